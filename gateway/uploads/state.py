"""The upload state machine: which statuses exist and which moves between them are legal."""

from __future__ import annotations

from enum import StrEnum

from gateway.errors import INVALID_STATE, GatewayError


class UploadState(StrEnum):
    """Where an upload is in its life."""

    IN_PROGRESS = "in_progress"
    COMPLETING = "completing"
    COMPLETED = "completed"
    ABORTED = "aborted"
    FAILED = "failed"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        """True once nothing more can happen to the upload."""
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset(
    {UploadState.COMPLETED, UploadState.ABORTED, UploadState.FAILED, UploadState.EXPIRED}
)

_ALLOWED: dict[UploadState, frozenset[UploadState]] = {
    UploadState.IN_PROGRESS: frozenset(
        {UploadState.COMPLETING, UploadState.ABORTED, UploadState.EXPIRED, UploadState.FAILED}
    ),
    # A completer whose lease ran out is replaced by another (completing -> completing);
    # a completer that hit a transient store error hands the upload back (-> in_progress).
    UploadState.COMPLETING: frozenset(
        {UploadState.COMPLETING, UploadState.COMPLETED, UploadState.FAILED, UploadState.IN_PROGRESS}
    ),
    UploadState.COMPLETED: frozenset(),
    UploadState.ABORTED: frozenset(),
    UploadState.FAILED: frozenset(),
    UploadState.EXPIRED: frozenset(),
}


def can_transition(current: UploadState, target: UploadState) -> bool:
    """Whether an upload may move from `current` to `target`."""
    return target in _ALLOWED[current]


def require_state(current: UploadState, allowed: set[UploadState], action: str) -> None:
    """Raise a 409 naming the current status unless it is one of `allowed`."""
    if current not in allowed:
        raise GatewayError(
            INVALID_STATE, f"cannot {action}: the upload is {current.value}", status=current.value
        )
