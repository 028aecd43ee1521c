"""plan_parts: part size and count for every edge of the S3 limits."""

from __future__ import annotations

import pytest

from gateway.errors import GatewayError
from gateway.uploads.planning import MIB, S3_MAX_PART_SIZE, PartPlan, plan_parts

GIB = 1024 * MIB
TIB = 1024 * GIB
MIN = 8 * MIB


@pytest.mark.parametrize("num_bytes,part_size,num_parts", [
    (0, MIN, 0),
    (1, MIN, 1),
    (MIN - 1, MIN, 1),
    (MIN, MIN, 1),
    (MIN + 1, MIN, 2),
    (3 * MIN, MIN, 3),
    (10_000 * MIN, MIN, 10_000),
    (10_000 * MIN + 1, MIN + MIB, 8_889),
])
def test_sizes_and_counts(num_bytes: int, part_size: int, num_parts: int) -> None:
    plan = plan_parts(num_bytes, min_part_size=MIN)
    assert (plan.part_size, plan.num_parts) == (part_size, num_parts)


@pytest.mark.parametrize("num_bytes", [1, 5 * MIB, 123_456_789, 80 * GIB, 1 * TIB,
                                       5 * TIB - 1, 5 * TIB])
def test_invariants(num_bytes: int) -> None:
    plan = plan_parts(num_bytes, min_part_size=MIN)
    assert plan.num_parts is not None
    assert plan.num_parts <= 10_000
    assert MIN <= plan.part_size <= S3_MAX_PART_SIZE
    assert plan.part_size % MIB == 0
    assert plan.part_size * (plan.num_parts - 1) < num_bytes <= plan.part_size * plan.num_parts
    sizes = [plan.expected_size(n) for n in range(1, plan.num_parts + 1)]
    assert sum(s for s in sizes if s is not None) == num_bytes
    assert all(s == plan.part_size for s in sizes[:-1])


def test_five_tib_uses_under_ten_thousand_parts_of_whole_mib() -> None:
    plan = plan_parts(5 * TIB, min_part_size=MIN)
    assert plan == PartPlan(part_size=525 * MIB, num_bytes=5 * TIB, num_parts=9_987)


def test_over_the_maximum_is_rejected() -> None:
    with pytest.raises(GatewayError) as caught:
        plan_parts(5 * TIB + 1, min_part_size=MIN)
    assert caught.value.kind.status == 422 and caught.value.kind.code == "upload_too_large"
    with pytest.raises(GatewayError):
        plan_parts(2 * GIB, min_part_size=MIN, max_upload_bytes=GIB)


def test_small_maximum_part_size_caps_the_upload() -> None:
    with pytest.raises(GatewayError) as caught:
        plan_parts(10_000 * 16 * MIB + 1, min_part_size=MIN, max_part_size=16 * MIB)
    assert caught.value.details["max_upload_bytes"] == 10_000 * 16 * MIB


@pytest.mark.parametrize("hint,expected", [(None, MIN), (1, MIN), (16 * MIB, 16 * MIB),
                                           (10 * GIB, S3_MAX_PART_SIZE)])
def test_hint_is_clamped(hint: int | None, expected: int) -> None:
    assert plan_parts(100 * GIB, min_part_size=MIN, part_size_hint=hint).part_size == \
        max(expected, 11 * MIB)


def test_hint_never_breaks_the_part_limit() -> None:
    plan = plan_parts(1 * TIB, min_part_size=MIN, part_size_hint=MIN)
    assert plan.num_parts is not None and plan.num_parts <= 10_000


def test_unknown_length_allows_any_part_up_to_ten_thousand() -> None:
    plan = plan_parts(None, min_part_size=MIN)
    assert plan.num_parts is None and plan.max_part_number == 10_000
    assert plan.contains(10_000) and not plan.contains(10_001) and not plan.contains(0)
    assert plan.expected_size(1) is None


def test_negative_size_is_invalid() -> None:
    with pytest.raises(GatewayError):
        plan_parts(-1, min_part_size=MIN)


@pytest.mark.parametrize("num_bytes,part,size,ok", [
    (25 * MIB, 1, 8 * MIB, True), (25 * MIB, 1, 8 * MIB - 1, False),
    (25 * MIB, 4, MIB, True), (25 * MIB, 4, MIB + 1, False), (25 * MIB, 4, 8 * MIB, False),
    (None, 1, 8 * MIB, True), (None, 7, 1, True), (None, 7, 0, True),
    (None, 7, 8 * MIB + 1, False),
])
def test_size_problem(num_bytes: int | None, part: int, size: int, ok: bool) -> None:
    plan = plan_parts(num_bytes, min_part_size=8 * MIB)
    assert (plan.size_problem(part, size) is None) == ok
