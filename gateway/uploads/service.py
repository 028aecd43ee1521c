"""The upload use cases: initiate, inspect, list, sign URLs, checkpoint, forget a part, abort."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from urllib.parse import quote

from gateway.errors import (
    INVALID_STATE,
    RESUME_MISMATCH,
    UPLOAD_NOT_FOUND,
    GatewayError,
)
from gateway.storage.interface import ObjectStore, StoredPart, StoreUploadMissing
from gateway.uploads import claims
from gateway.uploads.events import NoEvents, UploadEvents
from gateway.uploads.model import ChecksumType, Upload
from gateway.uploads.planning import PartPlan, plan_parts
from gateway.uploads.policy import (
    InitiateRequest,
    InitiateResult,
    PartClaim,
    PresignedParts,
    UploadDetails,
    UploadPolicy,
    decode_cursor,
    utcnow,
)
from gateway.uploads.ports import ResumeSlotTaken, UploadRepository
from gateway.uploads.state import UploadState, require_state

log = logging.getLogger(__name__)
_ACTIVE = {UploadState.IN_PROGRESS}


class UploadService:
    """Use cases of the native upload API; storage and database only through their ports."""

    def __init__(
        self,
        repository: UploadRepository,
        store: ObjectStore,
        policy: UploadPolicy,
        clock: Callable[[], datetime] = utcnow,
        events: UploadEvents | None = None,
    ) -> None:
        self.repository = repository
        self.store = store
        self.policy = policy
        self.clock = clock
        self.events: UploadEvents = events or NoEvents()

    def initiate(self, tenant_id: str, request: InitiateRequest) -> InitiateResult:
        """Start an upload, or with resume_if_started reuse the matching one in progress."""
        policy = self.policy
        plan = plan_parts(
            request.num_bytes, min_part_size=policy.min_part_size,
            max_part_size=policy.max_part_size, max_upload_bytes=policy.max_upload_bytes,
            part_size_hint=request.part_size_hint,
        )
        for _ in range(3):
            if request.resume_if_started:
                existing = self._find_resumable(tenant_id, request)
                if existing is not None:
                    return self._resume(existing)
            try:
                upload = self._create(tenant_id, request, plan)
            except ResumeSlotTaken:
                continue  # a concurrent initiate created it first: resume that one
            self.events.initiated(upload)
            details = UploadDetails(upload, [], upload.created_at)
            return InitiateResult(details, False, self._sign_missing(details))
        raise GatewayError(INVALID_STATE, "the upload changed state while resuming; retry")

    def get(self, tenant_id: str, upload_id: str) -> UploadDetails:
        """An upload with its checkpointed parts."""
        found = self.repository.get_upload_with_parts(tenant_id, upload_id)
        if found is None:
            raise GatewayError(UPLOAD_NOT_FOUND, f"no upload {upload_id}")
        return UploadDetails(found[0], found[1], self.clock())

    def list_uploads(self, tenant_id: str, status: UploadState | None, limit: int,
             cursor: str | None) -> list[Upload]:
        """A page of the tenant's uploads, newest first (limit + 1 to tell if more follow)."""
        return self.repository.list_uploads(tenant_id, status, limit, decode_cursor(cursor))

    def presign(self, tenant_id: str, upload_id: str, part_numbers: Sequence[int],
                expires_in: int | None, crc32cs: Sequence[int] | None = None) -> PresignedParts:
        """Fresh URLs for the chosen parts of an in-progress upload (a composite upload's
        signed with each part's CRC32C, given in the same order)."""
        upload = self.require(tenant_id, upload_id)
        now = self.clock()
        self.require_active(upload, now, "sign part URLs")
        claims.require_in_plan(upload.plan, part_numbers)
        claims.require_checksums_fit(upload, part_numbers,
                                     [None] * len(part_numbers) if crc32cs is None else crc32cs)
        expiry = self.policy.idle_expiry(now)
        # A client re-signing in a loop moves the expiry by seconds of a days-long TTL:
        # record activity only when it moves by more than the slack, sparing a write.
        if expiry - upload.expires_at > self.policy.activity_slack():
            if not self.repository.touch(upload.id, now, expiry):
                raise self.state_error(upload.id, tenant_id, "sign part URLs")
            upload = replace(upload, expires_at=expiry, updated_at=now)
        if crc32cs is None:
            return self.sign(upload, list(dict.fromkeys(part_numbers)), now, expires_in)
        # One URL per part number: the last CRC32C named for a part is the one signed.
        chosen = dict(zip(part_numbers, crc32cs, strict=True))
        return self.sign(upload, list(chosen), now, expires_in, list(chosen.values()))

    def checkpoint(self, tenant_id: str, upload_id: str,
                   tokens: Sequence[PartClaim]) -> UploadDetails:
        """Record part tokens the store confirms holding; reject the lot if any is unknown."""
        upload = self.require(tenant_id, upload_id)
        now = self.clock()
        self.require_active(upload, now, "checkpoint")
        self.record_parts(upload, tokens, now)
        return self.get(tenant_id, upload_id)

    def forget_part(self, tenant_id: str, upload_id: str, part_number: int) -> UploadDetails:
        """Drop a part's token so it is uploaded again (the store keeps bytes until replaced)."""
        upload = self.require(tenant_id, upload_id)
        now = self.clock()
        self.require_active(upload, now, "forget a part")
        claims.require_in_plan(upload.plan, [part_number])
        if not self.repository.delete_part(upload.id, part_number, now,
                                           self.policy.idle_expiry(now)):
            raise self.state_error(upload.id, tenant_id, "forget a part")
        return self.get(tenant_id, upload_id)

    def abort(self, tenant_id: str, upload_id: str) -> UploadDetails:
        """Abort in the store and mark aborted; a no-op for uploads already ended unfinished."""
        upload = self.require(tenant_id, upload_id)
        now = self.clock()
        if upload.status is UploadState.IN_PROGRESS:
            if not self.repository.set_status(upload.id, [UploadState.IN_PROGRESS],
                                              UploadState.ABORTED, now):
                return self.abort(tenant_id, upload_id)  # it moved on meanwhile: judge again
            self.events.aborted(upload)
        else:
            require_state(upload.status, {UploadState.ABORTED, UploadState.FAILED,
                                          UploadState.EXPIRED}, "abort")
        self.close_in_store(upload)
        return self.get(tenant_id, upload_id)

    # Shared steps, also used by completion and the janitor.

    def require(self, tenant_id: str, upload_id: str) -> Upload:
        """The tenant's upload, or 404 (also for another tenant's id)."""
        upload = self.repository.get_upload(tenant_id, upload_id)
        if upload is None:
            raise GatewayError(UPLOAD_NOT_FOUND, f"no upload {upload_id}")
        return upload

    def require_active(self, upload: Upload, now: datetime, action: str) -> None:
        """409 unless the upload is in progress and not idle past its expiry."""
        require_state(upload.effective_status(now), _ACTIVE, action)

    def sign(self, upload: Upload, part_numbers: list[int], now: datetime,
             expires_in: int | None, crc32cs: list[int] | None = None) -> PresignedParts:
        """Sign URLs living at most the asked (or default) time and never past the upload."""
        signed_at = now.replace(microsecond=0)  # SigV4 dates have whole seconds
        remaining = int((upload.expires_at - signed_at).total_seconds())
        lifetime = min(expires_in or self.policy.url_ttl, self.policy.max_url_ttl, remaining)
        if lifetime < 1 or upload.store_upload_id is None:
            return PresignedParts([], [], signed_at)
        urls = self.store.presign_parts(upload.object_key, upload.store_upload_id,
                                        part_numbers, lifetime, signed_at, crc32cs)
        return PresignedParts(part_numbers, urls, signed_at + timedelta(seconds=lifetime),
                              crc32cs)

    def record_parts(self, upload: Upload, tokens: Sequence[PartClaim], now: datetime) -> None:
        """Check tokens against the store's ListParts and save them, all or none."""
        if not tokens:
            return
        claims.check_claims(upload, tokens)
        numbers = [c.part_number for c in tokens]
        held = {p.part_number: p for p in self.list_store_parts(upload, numbers)}
        records = claims.match_claims(upload, tokens, held)
        if not self.repository.save_parts(upload.id, records, now, self.policy.idle_expiry(now)):
            raise self.state_error(upload.id, upload.tenant_id, "checkpoint")

    def list_store_parts(self, upload: Upload, wanted: Sequence[int] | None = None
                         ) -> list[StoredPart]:
        """The store's parts of an in-progress upload; a vanished store upload fails it."""
        if upload.store_upload_id is None:
            return []
        try:
            return self.store.list_parts(upload.object_key, upload.store_upload_id, wanted)
        except StoreUploadMissing as exc:
            raise self.lost_in_store(upload) from exc

    def lost_in_store(self, upload: Upload) -> GatewayError:
        """Fail an upload whose store multipart upload is gone; the 409 that says so."""
        reason = "the store no longer holds this multipart upload"
        if self.repository.set_status(upload.id, [UploadState.IN_PROGRESS], UploadState.FAILED,
                                      self.clock(), failure_reason=reason):
            self.events.failed(upload, reason)
        self.repository.set_store_closed(upload.id)
        return GatewayError(INVALID_STATE, reason, status=UploadState.FAILED.value)

    def close_in_store(self, upload: Upload) -> None:
        """Abort the store's multipart upload if it may still be open."""
        if upload.store_upload_id is not None and upload.store_open:
            self.store.abort_multipart_upload(upload.object_key, upload.store_upload_id)
            self.repository.set_store_closed(upload.id)

    def _find_resumable(self, tenant_id: str, request: InitiateRequest) -> Upload | None:
        while True:
            existing = self.repository.find_resumable(tenant_id, request.filename)
            if existing is None:
                return None
            now = self.clock()
            if existing.effective_status(now) is UploadState.IN_PROGRESS:
                break
            if self.repository.set_status(existing.id, [UploadState.IN_PROGRESS],
                                          UploadState.EXPIRED, now):
                self.close_in_store(existing)
        if existing.content_type != request.content_type or \
                existing.num_bytes != request.num_bytes:
            raise GatewayError(
                RESUME_MISMATCH,
                f"upload {existing.id} of this filename is in progress with content_type "
                f"{existing.content_type!r} and num_bytes {existing.num_bytes}",
                upload_id=existing.id, content_type=existing.content_type,
                num_bytes=existing.num_bytes,
            )
        self.repository.claim_resume_slot(existing)
        return existing

    def _resume(self, upload: Upload) -> InitiateResult:
        now = self.clock()
        if not self.repository.touch(upload.id, now, self.policy.idle_expiry(now)):
            raise self.state_error(upload.id, upload.tenant_id, "resume")
        details = self.get(upload.tenant_id, upload.id)
        return InitiateResult(details, True, self._sign_missing(details))

    def _sign_missing(self, details: UploadDetails) -> PresignedParts:
        upload = details.upload
        if upload.checksum_type is ChecksumType.COMPOSITE:
            # Each part is signed once its CRC32C is known (POST .../urls with `parts`).
            return PresignedParts(details.parts_to_send, None, None)
        return self.sign(upload, details.parts_to_send, details.now, None)

    def _create(self, tenant_id: str, request: InitiateRequest, plan: PartPlan) -> Upload:
        now = self.clock()
        file_id = str(uuid.uuid4())
        key = f"{self.policy.key_prefix}{tenant_id}/{file_id}"
        store_upload_id = None
        # Composite needs a known length (its parts are sent by the client, each signed with
        # its CRC32C) and a store asked for checksums; otherwise the upload is full_object.
        composite = (request.checksum_type is ChecksumType.COMPOSITE and plan.num_parts
                     and self.policy.store_checksums)
        if plan.num_parts != 0:  # a 0-byte file becomes one empty PutObject at complete
            store_metadata = {"filename": quote(request.filename, safe=""), "file-id": file_id}
            store_upload_id = self.store.create_multipart_upload(
                key, request.content_type, store_metadata, composite=bool(composite))
        upload = Upload(
            id=str(uuid.uuid4()), tenant_id=tenant_id, file_id=file_id, object_key=key,
            store_upload_id=store_upload_id, filename=request.filename,
            content_type=request.content_type, num_bytes=plan.num_bytes,
            part_size=plan.part_size, num_parts=plan.num_parts, metadata=dict(request.metadata),
            status=UploadState.IN_PROGRESS, created_at=now, updated_at=now,
            expires_at=self.policy.idle_expiry(now), store_open=store_upload_id is not None,
            checksum_type=ChecksumType.COMPOSITE if composite else ChecksumType.FULL_OBJECT,
        )
        try:
            self.repository.add_upload(upload, claim_resume_slot=request.resume_if_started)
        except BaseException:
            # Nothing half-made: the store upload goes when the record could not be written.
            self._abort_quietly(upload)
            raise
        return upload

    def _abort_quietly(self, upload: Upload) -> None:
        if upload.store_upload_id is None:
            return
        try:
            self.store.abort_multipart_upload(upload.object_key, upload.store_upload_id)
        except Exception:  # the bucket's lifecycle rule is the last resort
            log.exception("could not abort store upload %s", upload.store_upload_id)

    def state_error(self, upload_id: str, tenant_id: str, action: str) -> GatewayError:
        """The 409 for an upload that left `in_progress` while a request was working on it."""
        current = self.require(tenant_id, upload_id)
        status = current.effective_status(self.clock())
        return GatewayError(INVALID_STATE, f"cannot {action}: the upload is {status.value}",
                            status=status.value)
