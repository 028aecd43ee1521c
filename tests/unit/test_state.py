"""The upload state machine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.errors import GatewayError
from gateway.uploads.model import PartRecord, Upload
from gateway.uploads.state import TERMINAL_STATES, UploadState, can_transition, require_state

S = UploadState


@pytest.mark.parametrize("current,target,allowed", [
    (S.IN_PROGRESS, S.COMPLETING, True),
    (S.IN_PROGRESS, S.ABORTED, True),
    (S.IN_PROGRESS, S.EXPIRED, True),
    (S.IN_PROGRESS, S.COMPLETED, False),
    (S.COMPLETING, S.COMPLETED, True),
    (S.COMPLETING, S.FAILED, True),
    (S.COMPLETING, S.IN_PROGRESS, True),
    (S.COMPLETING, S.ABORTED, False),
    (S.COMPLETED, S.ABORTED, False),
    (S.ABORTED, S.IN_PROGRESS, False),
    (S.FAILED, S.COMPLETING, False),
    (S.EXPIRED, S.IN_PROGRESS, False),
])
def test_transitions(current: UploadState, target: UploadState, allowed: bool) -> None:
    assert can_transition(current, target) is allowed


def test_terminal_states_go_nowhere() -> None:
    for state in TERMINAL_STATES:
        assert state.is_terminal
        assert not any(can_transition(state, target) for target in UploadState)
    assert not S.IN_PROGRESS.is_terminal and not S.COMPLETING.is_terminal


def test_require_state_names_the_current_status() -> None:
    require_state(S.IN_PROGRESS, {S.IN_PROGRESS}, "checkpoint")
    with pytest.raises(GatewayError) as caught:
        require_state(S.ABORTED, {S.IN_PROGRESS}, "checkpoint")
    assert caught.value.kind.status == 409 and "aborted" in caught.value.message


def _upload(**changes: object) -> Upload:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    fields: dict[str, object] = dict(
        id="u", tenant_id="t", file_id="f", object_key="k", store_upload_id="s",
        filename="n", content_type="c", num_bytes=25, part_size=10, num_parts=3, metadata={},
        status=S.IN_PROGRESS, created_at=now, updated_at=now,
        expires_at=now + timedelta(days=1))
    fields.update(changes)
    return Upload(**fields)  # type: ignore[arg-type]


def test_idle_upload_reads_as_expired() -> None:
    upload = _upload()
    assert upload.effective_status(upload.expires_at - timedelta(seconds=1)) is S.IN_PROGRESS
    assert upload.effective_status(upload.expires_at) is S.EXPIRED
    assert _upload(status=S.COMPLETED).effective_status(upload.expires_at) is S.COMPLETED


def test_missing_parts_known_and_unknown_length() -> None:
    parts = [PartRecord(2, '"a"', 10)]
    assert _upload().missing_parts(parts) == [1, 3]
    unknown = _upload(num_bytes=None, num_parts=None)
    assert unknown.missing_parts(parts) == [1]
    assert unknown.missing_parts([]) == []


def test_parts_to_send_add_the_next_part_when_the_length_is_unknown() -> None:
    from gateway.uploads.policy import UploadDetails

    parts = [PartRecord(2, '"a"', 10)]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert UploadDetails(_upload(), parts, now).parts_to_send == [1, 3]
    unknown = _upload(num_bytes=None, num_parts=None)
    assert UploadDetails(unknown, parts, now).parts_to_send == [1, 3]
    assert UploadDetails(unknown, [], now).parts_to_send == [1]
    assert UploadDetails(unknown, [PartRecord(10_000, '"z"', 1)], now).parts_to_send == \
        list(range(1, 10_000))
