"""Proxied parts: a part's bytes streamed through the gateway to the store, then checkpointed.

For clients that cannot reach the bucket. The body is never held: it is read in blocks as
the store's UploadPart sends it, its CRC32C computed on the way, and a body of the wrong
length is cut off before its last byte so that the store keeps nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.errors import CHECKSUM_TYPE_CONFLICT, LENGTH_REQUIRED, SIZE_MISMATCH, GatewayError
from gateway.storage.interface import ByteSource, StoreUploadMissing
from gateway.uploads import claims
from gateway.uploads.model import ChecksumType, PartRecord, Upload
from gateway.uploads.service import UploadService
from gateway.uploads.streams import ExactBodyReader


@dataclass(frozen=True)
class ProxiedPart:
    """A part the gateway sent to the store and checkpointed."""

    part_number: int
    part_token: str
    size: int
    crc32c: int


class PartProxy:
    """The proxied part upload use case (PUT /v1/uploads/{id}/parts/{n})."""

    def __init__(self, uploads: UploadService) -> None:
        self._uploads = uploads

    def put_part(self, tenant_id: str, upload_id: str, part_number: int, body: ByteSource,
                 declared_length: int | None) -> ProxiedPart:
        """Stream the body to the store as this part and checkpoint its token."""
        svc = self._uploads
        upload = svc.require(tenant_id, upload_id)
        svc.require_active(upload, svc.clock(), "upload a part")
        claims.require_in_plan(upload.plan, [part_number])
        if upload.checksum_type is ChecksumType.COMPOSITE:
            raise GatewayError(
                CHECKSUM_TYPE_CONFLICT, "a composite upload's parts go to the store on URLs "
                "signed with their CRC32C (POST .../urls); to send parts through the gateway, "
                "initiate with checksum_type 'full_object'",
                checksum_type=upload.checksum_type.value)
        length = self._length(upload, part_number, declared_length)
        assert upload.store_upload_id is not None  # only 0-byte uploads have none, and no parts
        reader = ExactBodyReader(body, length, f"part {part_number}",
                                 declared=declared_length is not None)
        try:
            token = svc.store.upload_part(upload.object_key, upload.store_upload_id,
                                          part_number, reader, length)
        except GatewayError:
            if reader.failure is not None:  # the client's body failed, not the store
                raise reader.failure from None
            raise
        except StoreUploadMissing as exc:
            raise svc.lost_in_store(upload) from exc
        now = svc.clock()
        if not svc.repository.save_parts(upload.id, [PartRecord(part_number, token, length)],
                                         now, svc.policy.idle_expiry(now)):
            raise svc.state_error(upload.id, tenant_id, "upload a part")
        return ProxiedPart(part_number, token, length, reader.crc32c)

    @staticmethod
    def _length(upload: Upload, part_number: int, declared: int | None) -> int:
        """The part's length, checked against the plan before any byte is read."""
        plan = upload.plan
        expected = plan.expected_size(part_number)
        if declared is None:
            if expected is None:
                raise GatewayError(
                    LENGTH_REQUIRED, "an upload of unknown length needs each part's "
                    "Content-Length", part_number=part_number, max_part_size=plan.part_size)
            return expected  # a chunked body of a known-length upload: counted as it streams
        problem = plan.size_problem(part_number, declared)
        if problem:
            raise GatewayError(SIZE_MISMATCH, f"part {part_number}: {problem}",
                               part_number=part_number, received_bytes=declared,
                               expected_bytes=expected, max_part_size=plan.part_size)
        return declared
