"""What the upload use cases announce as they happen (metrics listen; the domain stays pure)."""

from __future__ import annotations

from typing import Protocol

from gateway.uploads.model import FileRecord, Upload


class UploadEvents(Protocol):
    """Called once per transition, by whichever process won it."""

    def initiated(self, upload: Upload) -> None:
        """A new upload was recorded (not a resume)."""

    def completed(self, file: FileRecord) -> None:
        """An upload became a file."""

    def failed(self, upload: Upload, reason: str) -> None:
        """An upload was marked failed."""

    def aborted(self, upload: Upload) -> None:
        """A client aborted an upload."""

    def expired(self, upload: Upload) -> None:
        """The janitor expired an idle upload."""


class NoEvents:
    """Listens to nothing."""

    def initiated(self, upload: Upload) -> None:
        """Ignore."""

    def completed(self, file: FileRecord) -> None:
        """Ignore."""

    def failed(self, upload: Upload, reason: str) -> None:
        """Ignore."""

    def aborted(self, upload: Upload) -> None:
        """Ignore."""

    def expired(self, upload: Upload) -> None:
        """Ignore."""
