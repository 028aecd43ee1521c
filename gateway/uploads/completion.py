"""Completing an upload: claim it, join the parts once, verify size and CRC32C, record the file.

One caller at a time holds a lease on the upload (status `completing`). Anyone else
waits for the outcome, or finishes the bookkeeping when the store already holds the
object: that is also how a retry after a crash between the store's completion and
ours picks the job up instead of failing it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, NoReturn

from gateway.errors import (
    CHECKSUM_MISMATCH,
    COMPLETION_IN_PROGRESS,
    INVALID_STATE,
    MISSING_PARTS,
    PART_CHANGED,
    PART_REJECTED,
    SIZE_MISMATCH,
    UNNAMED_PARTS,
    ErrorKind,
    GatewayError,
)
from gateway.storage.interface import ObjectInfo, StorePartsRejected, StoreUploadMissing
from gateway.uploads.checksums import (
    combine_crc32c,
    composite_crc32c,
    crc32c_of,
    format_crc32c,
)
from gateway.uploads.model import ChecksumType, FileRecord, PartRecord, Upload
from gateway.uploads.policy import PartClaim
from gateway.uploads.service import UploadService
from gateway.uploads.state import UploadState

_POLL_SECONDS = 0.2


class Completer:
    """The complete use case, built on the upload service's shared steps."""

    def __init__(self, uploads: UploadService, sleep: Callable[[float], None] = time.sleep
                 ) -> None:
        self._uploads = uploads
        self._repository = uploads.repository
        self._store = uploads.store
        self._sleep = sleep

    def complete(self, tenant_id: str, upload_id: str, tokens: Sequence[PartClaim],
                 integrity_checksum: int | None) -> FileRecord:
        """Complete once; later calls (and concurrent ones) get the same file."""
        svc = self._uploads
        upload = svc.require(tenant_id, upload_id)
        now = svc.clock()
        if upload.status is UploadState.COMPLETED:
            return self._completed_file(upload, integrity_checksum)
        if upload.status is UploadState.IN_PROGRESS:
            svc.require_active(upload, now, "complete")
            try:
                svc.record_parts(upload, tokens, now)
            except GatewayError as exc:
                if exc.kind is not INVALID_STATE or not self._taken_by_another(upload):
                    raise
                # A concurrent complete claimed it between our read and our checkpoint:
                # its outcome is ours too.
                return self.complete(tenant_id, upload_id, [], integrity_checksum)
            self._require_all_parts(upload)
        elif upload.status is not UploadState.COMPLETING:
            reason = f": {upload.failure_reason}" if upload.failure_reason else ""
            raise GatewayError(INVALID_STATE,
                               f"cannot complete: the upload is {upload.status.value}{reason}",
                               status=upload.status.value)
        if self._claim(upload.id, integrity_checksum):
            return self._run(svc.require(tenant_id, upload_id))
        return self._await(tenant_id, upload_id, integrity_checksum)

    def _taken_by_another(self, upload: Upload) -> bool:
        current = self._uploads.require(upload.tenant_id, upload.id)
        return current.status in (UploadState.COMPLETING, UploadState.COMPLETED)

    def _require_all_parts(self, upload: Upload) -> None:
        parts = self._repository.get_parts(upload.id)
        missing = upload.missing_parts(parts)
        if missing:
            shown = ", ".join(map(str, missing[:20])) + (" ..." if len(missing) > 20 else "")
            raise GatewayError(MISSING_PARTS, f"{len(missing)} parts have no token: {shown}",
                               missing_parts=missing)
        if upload.num_parts is None:
            self._require_whole_parts(upload, parts)

    def _require_whole_parts(self, upload: Upload, parts: list[PartRecord]) -> None:
        """Unknown length: the file is the named parts in order, all but the last full-size.

        Naming no part makes an empty file, unless the store holds parts: then the client
        surely forgot to name them.
        """
        if not parts:
            held = [p.part_number for p in self._uploads.list_store_parts(upload)]
            if held:
                raise GatewayError(
                    MISSING_PARTS, f"no part was checkpointed or listed, but the store holds "
                    f"parts {held[:20]}: name them in `parts`, or abort", missing_parts=held)
            return
        short = [{"part_number": p.part_number, "reason": f"the part has {p.size} bytes; every "
                  f"part but the last must have {upload.part_size}"}
                 for p in parts[:-1] if p.size != upload.part_size]
        if short:
            names = [r["part_number"] for r in short]
            raise GatewayError(PART_REJECTED, f"parts {names[:20]} are shorter than the part "
                               "size; only the last part may be", rejected_parts=short)

    def _claim(self, upload_id: str, integrity_checksum: int | None) -> bool:
        now = self._uploads.clock()
        lease_until = now + timedelta(seconds=self._uploads.policy.complete_lease)
        return self._repository.claim_completion(upload_id, now, lease_until, integrity_checksum)

    def _run(self, upload: Upload) -> FileRecord:
        """Holding the lease: join in the store, then verify; hand back on transient failure."""
        try:
            return self._finish(upload, self._join(upload))
        except GatewayError as exc:
            if exc.kind.retryable:
                self._repository.release_completion(upload.id, self._uploads.clock())
            raise
        except Exception:
            self._repository.release_completion(upload.id, self._uploads.clock())
            raise

    def _join(self, upload: Upload) -> ObjectInfo:
        if upload.store_upload_id is None:
            self._store.put_object(upload.object_key, b"", upload.content_type, {})
        elif upload.num_parts is None and not self._repository.get_parts(upload.id):
            # An upload of unknown length that ended before its first part: an empty file.
            self._store.abort_multipart_upload(upload.object_key, upload.store_upload_id)
            self._repository.set_store_closed(upload.id)
            self._store.put_object(upload.object_key, b"", upload.content_type, {})
        else:
            try:
                held = {p.part_number: p for p in self._store.list_parts(
                    upload.object_key, upload.store_upload_id)}
            except StoreUploadMissing:
                return self._joined_earlier(upload)
            recorded = self._repository.get_parts(upload.id)
            changed = [p.part_number for p in recorded
                       if (h := held.get(p.part_number)) is None
                       or h.etag.strip('"') != p.part_token.strip('"') or h.size != p.size
                       or None not in (h.crc32c, p.crc32c) and h.crc32c != p.crc32c]
            if changed:
                self._fail(upload, PART_CHANGED, f"parts {changed[:20]} changed in the store "
                           "after they were checkpointed", part_numbers=changed)
            composite = upload.checksum_type is ChecksumType.COMPOSITE
            try:
                self._store.complete_multipart_upload(
                    upload.object_key, upload.store_upload_id,
                    [(p.part_number, p.part_token) for p in recorded],
                    {p.part_number: p.crc32c for p in recorded if p.crc32c is not None}
                    if composite else None)
            except StorePartsRejected as exc:
                self._refused(upload, exc, sorted(set(held) - {p.part_number for p in recorded}))
            except StoreUploadMissing:
                return self._joined_earlier(upload)
            self._repository.set_store_closed(upload.id)
        info = self._store.head_object(upload.object_key)
        if info is None:
            self._fail(upload, INVALID_STATE, "the store does not hold the completed object")
        return info

    def _refused(self, upload: Upload, exc: StorePartsRejected, unnamed: list[int]) -> NoReturn:
        """The store refused the part list. AWS and MinIO drop parts left out of it; Ceph RGW
        refuses instead: then nothing is wrong with the data, so the upload goes back to
        in progress with a 409 naming those parts rather than being failed and aborted."""
        if not unnamed:
            self._fail(upload, PART_REJECTED, f"the store refused the parts: {exc.code}: {exc}",
                       store_code=exc.code)
        self._repository.release_completion(upload.id, self._uploads.clock())
        raise GatewayError(
            UNNAMED_PARTS, f"the store refuses to complete while it holds parts {unnamed[:20]} "
            "that are not in the file: name them in `parts`, or abort the upload",
            part_numbers=unnamed, store_code=exc.code)

    def _joined_earlier(self, upload: Upload) -> ObjectInfo:
        """The store's upload is gone: an earlier completer joined it, or it was lost."""
        info = self._store.head_object(upload.object_key)
        if info is None:
            self._fail(upload, INVALID_STATE, "the store no longer holds this multipart upload")
        self._repository.set_store_closed(upload.id)
        return info

    def _finish(self, upload: Upload, info: ObjectInfo) -> FileRecord:
        """Verify the stored object and record the file (idempotent)."""
        if upload.num_bytes is not None and info.size != upload.num_bytes:
            self._fail(upload, SIZE_MISMATCH, f"the stored object has {info.size} bytes; the "
                       f"upload declared {upload.num_bytes}", stored_bytes=info.size,
                       expected_bytes=upload.num_bytes)
        crc = self._verified_crc32c(upload, info)
        file = FileRecord(
            id=upload.file_id, tenant_id=upload.tenant_id, upload_id=upload.id,
            object_key=upload.object_key, filename=upload.filename,
            content_type=upload.content_type, num_bytes=info.size, crc32c=crc,
            created_at=self._uploads.clock(), metadata=dict(upload.metadata),
        )
        if self._repository.finish_completion(upload.id, file):
            self._uploads.events.completed(file)
            return file
        return self._completed_file(self._uploads.require(upload.tenant_id, upload.id), None)

    def _verified_crc32c(self, upload: Upload, info: ObjectInfo) -> int | None:
        """The object's CRC32C as the store vouches for it, checked against what the client
        said; the object is read back when the store reports nothing to check it with."""
        expected, source = upload.expected_crc32c, "integrity_checksum says"
        if upload.checksum_type is ChecksumType.COMPOSITE and upload.store_upload_id:
            # Parts without a CRC32C cannot be checkpointed in a composite upload.
            pieces = [(p.crc32c, p.size) for p in self._repository.get_parts(upload.id)
                      if p.crc32c is not None]
            whole = combine_crc32c(pieces)
            if expected is not None and expected != whole:
                self._fail(upload, CHECKSUM_MISMATCH,
                           f"integrity_checksum says {_show(expected)}; the CRC32Cs the parts "
                           f"were sent with make {_show(whole)}", stored=_show(whole),
                           expected=_show(expected))
            expected, source = whole, "the CRC32Cs its parts were sent with make"
            if info.composite_crc32c is not None:
                # The store's checksum of the CRC32Cs it computed (or checked) of each part.
                declared = composite_crc32c(crc for crc, _ in pieces)
                if info.composite_crc32c != declared:
                    self._fail(upload, CHECKSUM_MISMATCH,
                               "the stored parts do not have the CRC32Cs they were sent with: "
                               f"the store's composite CRC32C is {_show(info.composite_crc32c)}"
                               f", theirs make {_show(declared)}",
                               stored=_show(info.composite_crc32c), expected=_show(declared))
                return whole
        crc = info.crc32c
        if crc is None and expected is not None:
            crc = crc32c_of(self._store.read_object(upload.object_key))
        if expected is not None and crc != expected:
            self._fail(upload, CHECKSUM_MISMATCH,
                       f"the stored object's CRC32C is {_show(crc)}; {source} {_show(expected)}",
                       stored=_show(crc), expected=_show(expected))
        return crc

    def _fail(self, upload: Upload, kind: ErrorKind, message: str, **details: Any) -> NoReturn:
        """Remove what the store holds, mark the upload failed, and raise."""
        if upload.store_upload_id is not None:
            self._store.abort_multipart_upload(upload.object_key, upload.store_upload_id)
            self._repository.set_store_closed(upload.id)
        self._store.delete_object(upload.object_key)
        if self._repository.set_status(upload.id, [UploadState.COMPLETING], UploadState.FAILED,
                                       self._uploads.clock(), failure_reason=message):
            self._uploads.events.failed(upload, message)
        raise GatewayError(kind, message, status=UploadState.FAILED.value, **details)

    def _await(self, tenant_id: str, upload_id: str, expected: int | None) -> FileRecord:
        """Someone else holds the lease: wait for their outcome or finish what they started."""
        deadline = time.monotonic() + self._uploads.policy.complete_wait
        while True:
            upload = self._uploads.require(tenant_id, upload_id)
            if upload.status is UploadState.COMPLETED:
                return self._completed_file(upload, expected)
            if upload.status is not UploadState.COMPLETING:
                if upload.status is UploadState.IN_PROGRESS and self._claim(upload.id, expected):
                    return self._run(self._uploads.require(tenant_id, upload_id))
                if upload.status is not UploadState.IN_PROGRESS:
                    return self.complete(tenant_id, upload_id, [], expected)
            else:
                info = self._store.head_object(upload.object_key)
                if info is not None:
                    return self._finish(upload, info)
                if self._claim(upload.id, expected):
                    return self._run(self._uploads.require(tenant_id, upload_id))
            if time.monotonic() >= deadline:
                raise GatewayError(COMPLETION_IN_PROGRESS,
                                   "another request is completing this upload; retry shortly")
            self._sleep(_POLL_SECONDS)

    def _completed_file(self, upload: Upload, expected: int | None) -> FileRecord:
        file = self._repository.get_file(upload.tenant_id, upload.file_id)
        if file is None:
            raise GatewayError(INVALID_STATE, "the upload completed but its file has since "
                               "been deleted", status=upload.status.value)
        if expected is not None and file.crc32c is not None and file.crc32c != expected:
            raise GatewayError(INVALID_STATE, f"the upload already completed with CRC32C "
                               f"{_show(file.crc32c)}, not {_show(expected)}",
                               status=upload.status.value)
        return file


def _show(value: int | None) -> str:
    return "unknown" if value is None else format_crc32c(value)
