"""Part planning: how a file of a given size is cut into S3 multipart parts."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.errors import TOO_LARGE, VALIDATION_ERROR, GatewayError

MIB = 1024 * 1024
S3_MIN_PART_SIZE = 5 * MIB
S3_MAX_PART_SIZE = 5 * 1024 * MIB
S3_MAX_PARTS = 10_000


@dataclass(frozen=True)
class PartPlan:
    """The parts of one upload; `num_bytes` and `num_parts` are None when the length is unknown."""

    part_size: int
    num_bytes: int | None
    num_parts: int | None

    @property
    def max_part_number(self) -> int:
        """The highest part number a client may upload."""
        return S3_MAX_PARTS if self.num_parts is None else self.num_parts

    def contains(self, part_number: int) -> bool:
        """Whether the part number belongs to this plan."""
        return 1 <= part_number <= self.max_part_number

    def expected_size(self, part_number: int) -> int | None:
        """The exact size the part must have, or None when only an upper bound is known."""
        if self.num_bytes is None or self.num_parts is None:
            return None
        if part_number < self.num_parts:
            return self.part_size
        return self.num_bytes - self.part_size * (self.num_parts - 1)

    def size_problem(self, part_number: int, size: int) -> str | None:
        """Why `size` bytes cannot be this part, or None: exact sizes when the length is known,
        at most `part_size` when it is not (only the last part of a file may be shorter)."""
        expected = self.expected_size(part_number)
        if expected is not None:
            return None if size == expected else f"the part has {size} bytes; the plan says " \
                f"{expected}"
        if size > self.part_size:
            return f"the part has {size} bytes; parts of this upload have at most " \
                f"{self.part_size}"
        return None


def plan_parts(
    num_bytes: int | None,
    *,
    min_part_size: int,
    max_part_size: int = S3_MAX_PART_SIZE,
    max_upload_bytes: int = 5 * 1024 * 1024 * MIB,
    part_size_hint: int | None = None,
    max_parts: int = S3_MAX_PARTS,
) -> PartPlan:
    """Choose the part size and count: at least the minimum, whole MiB, never over max_parts."""
    if num_bytes is not None and num_bytes < 0:
        raise GatewayError(VALIDATION_ERROR, "num_bytes must be 0 or more", field="num_bytes")
    if num_bytes is not None and num_bytes > max_upload_bytes:
        raise GatewayError(
            TOO_LARGE,
            f"num_bytes {num_bytes} is over the maximum upload size of {max_upload_bytes} bytes",
            max_upload_bytes=max_upload_bytes,
        )
    part_size = min_part_size
    if part_size_hint is not None:
        part_size = min(max(part_size_hint, min_part_size), max_part_size)
    if num_bytes is not None:
        smallest_fitting = -(-num_bytes // max_parts)
        if part_size < smallest_fitting:
            part_size = _round_up(smallest_fitting, MIB)
    if part_size > max_part_size:
        raise GatewayError(
            TOO_LARGE,
            f"num_bytes {num_bytes} needs parts over the {max_part_size}-byte maximum part size",
            max_upload_bytes=max_part_size * max_parts,
        )
    if num_bytes is None:
        return PartPlan(part_size=part_size, num_bytes=None, num_parts=None)
    return PartPlan(part_size=part_size, num_bytes=num_bytes, num_parts=-(-num_bytes // part_size))


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple
