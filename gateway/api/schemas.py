"""Request and response schemas of the native API (marshmallow)."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from gateway.uploads.checksums import parse_crc32c
from gateway.uploads.model import ChecksumType
from gateway.uploads.planning import S3_MAX_PARTS
from gateway.uploads.state import UploadState

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAX_METADATA_BYTES = 8192


def _no_control_characters(value: str) -> None:
    if _CONTROL.search(value):
        raise ValidationError("must not contain control characters")


def _crc32c_text(value: str) -> None:
    try:
        parse_crc32c(value)
    except ValueError as exc:
        raise ValidationError(f"not a CRC32C: {exc}") from exc


_CHECKSUM_TYPES = [t.value for t in ChecksumType]


class PartRangeSchema(Schema):
    """Shared bound of a part number."""

    part_number = fields.Integer(required=True, strict=True,
                                 validate=validate.Range(1, S3_MAX_PARTS))


def _part_crc32c(**options: Any) -> fields.String:
    return fields.String(validate=_crc32c_text, metadata={
        "description": "The part's CRC32C (base64 of 4 big-endian bytes, or 8 hex digits): "
                       "required in a composite upload, refused in a full_object one"},
        **options)


class InitiateSchema(Schema):
    """POST /v1/uploads."""

    filename = fields.String(required=True, validate=[validate.Length(1, 1024),
                                                      _no_control_characters])
    content_type = fields.String(load_default="application/octet-stream",
                                 validate=[validate.Length(1, 255), _no_control_characters])
    num_bytes = fields.Integer(strict=True, allow_none=True, load_default=None,
                               validate=validate.Range(min=0))
    resume_if_started = fields.Boolean(load_default=False)
    part_size = fields.Integer(strict=True, load_default=None, allow_none=True,
                               validate=validate.Range(min=1),
                               metadata={"description": "A hint; the server chooses."})
    metadata = fields.Dict(keys=fields.String(validate=[validate.Length(1, 128),
                                                        _no_control_characters]),
                           values=fields.String(validate=validate.Length(max=1024)),
                           load_default=dict)
    checksum_type = fields.String(
        load_default=ChecksumType.FULL_OBJECT.value, validate=validate.OneOf(_CHECKSUM_TYPES),
        metadata={"description": "composite: each part is signed and sent with its CRC32C "
                                 "(URLs from POST .../urls with `parts`). A wish: the answer "
                                 "says what the upload is (a resumed one keeps its own)."})

    @validates("metadata")
    def _metadata_size(self, value: dict[str, str], **_: Any) -> None:
        total = sum(len(k.encode()) + len(v.encode()) for k, v in value.items())
        if total > _MAX_METADATA_BYTES or len(value) > 64:
            raise ValidationError(f"at most 64 entries and {_MAX_METADATA_BYTES} bytes")


class PartUrlSchema(PartRangeSchema):
    """One presigned part URL, and the headers its PUT must send (composite uploads)."""

    url = fields.String(required=True, allow_none=True, metadata={
        "description": "null in a composite upload's initiate answer: sign each part with "
                       "its CRC32C through POST .../urls"})
    expires_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    headers = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "present when the URL signs headers: send each exactly as given"})


class CheckpointedPartSchema(PartRangeSchema):
    """A part the gateway holds a token for."""

    part_token = fields.String(required=True)
    size = fields.Integer(required=True)
    crc32c = fields.String(required=True, allow_none=True)


class UploadSummarySchema(Schema):
    """An upload as lists show it."""

    upload_id = fields.String(required=True)
    file_id = fields.String(required=True)
    status = fields.String(required=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    num_bytes = fields.Integer(allow_none=True)
    num_parts = fields.Integer(allow_none=True)
    part_size = fields.Integer(required=True)
    checksum_type = fields.String(required=True, metadata={"enum": _CHECKSUM_TYPES})
    metadata = fields.Dict(keys=fields.String(), values=fields.String())
    failure_reason = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)


class UploadSchema(UploadSummarySchema):
    """GET /v1/uploads/{id}: the upload, its checkpointed parts and what is still missing."""

    checkpointed_parts = fields.List(fields.Nested(CheckpointedPartSchema), required=True)
    missing_parts = fields.List(fields.Integer(), required=True)
    bytes_checkpointed = fields.Integer(required=True)


class InitiateResponseSchema(UploadSummarySchema):
    """POST /v1/uploads: the upload and URLs for every part not yet checkpointed."""

    checksum_algorithm = fields.String(required=True, metadata={"enum": ["crc32c", "none"]})
    resumed = fields.Boolean(required=True)
    # Passed through as built: tens of thousands of nested dumps would cost more than signing.
    parts = fields.Raw(required=True, metadata={
        "type": "array", "items": {"$ref": "#/components/schemas/PartUrl"}})


class UploadListQuerySchema(Schema):
    """GET /v1/uploads query."""

    status = fields.String(validate=validate.OneOf([s.value for s in UploadState]))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    cursor = fields.String(load_default=None)


class UploadListSchema(Schema):
    """A page of uploads."""

    items = fields.List(fields.Nested(UploadSummarySchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class PartChecksumSchema(PartRangeSchema):
    """A part to sign with its CRC32C."""

    crc32c = _part_crc32c(required=True)


class UrlsRequestSchema(Schema):
    """POST /v1/uploads/{id}/urls: `part_numbers`, or (composite uploads) `parts`."""

    part_numbers = fields.List(fields.Integer(strict=True),
                               validate=validate.Length(1, S3_MAX_PARTS))
    parts = fields.List(fields.Nested(PartChecksumSchema),
                        validate=validate.Length(1, S3_MAX_PARTS))
    expires_in = fields.Integer(strict=True, load_default=None, allow_none=True,
                                validate=validate.Range(1, 7 * 24 * 3600))

    @validates_schema
    def _one_list(self, data: dict[str, Any], **_: Any) -> None:
        if ("part_numbers" in data) == ("parts" in data):
            raise ValidationError("send either part_numbers or parts (with each part's crc32c)",
                                  "part_numbers")


class UrlsResponseSchema(Schema):
    """Fresh part URLs."""

    parts = fields.Raw(required=True, metadata={
        "type": "array", "items": {"$ref": "#/components/schemas/PartUrl"}})


class PartTokenSchema(PartRangeSchema):
    """A part number and the ETag the store answered its PUT with."""

    part_token = fields.String(required=True, validate=[validate.Length(1, 128),
                                                        _no_control_characters])
    crc32c = _part_crc32c(load_default=None, allow_none=True)


class CheckpointSchema(Schema):
    """POST /v1/uploads/{id}/checkpoint."""

    parts = fields.List(fields.Nested(PartTokenSchema), required=True,
                        validate=validate.Length(1, S3_MAX_PARTS))


class CompleteSchema(Schema):
    """POST /v1/uploads/{id}/complete."""

    parts = fields.List(fields.Nested(PartTokenSchema), load_default=list,
                        validate=validate.Length(max=S3_MAX_PARTS))
    integrity_checksum = fields.String(load_default=None, allow_none=True,
                                       validate=_crc32c_text, metadata={
                                           "description": "CRC32C of the whole file: base64 of "
                                                          "4 big-endian bytes, or 8 hex digits"})

    @validates_schema
    def _unique_parts(self, data: dict[str, Any], **_: Any) -> None:
        numbers = [p["part_number"] for p in data.get("parts", [])]
        if len(numbers) != len(set(numbers)):
            raise ValidationError("a part number appears twice", "parts")


class ChecksumSchema(Schema):
    """Whole-file checksums."""

    crc32c = fields.String(allow_none=True, required=True)


class FileSchema(Schema):
    """A completed file."""

    file_id = fields.String(attribute="id", required=True)
    upload_id = fields.String(allow_none=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    num_bytes = fields.Integer(required=True)
    checksum = fields.Nested(ChecksumSchema, required=True)
    status = fields.String(required=True)
    metadata = fields.Dict(keys=fields.String(), values=fields.String())
    created_at = fields.DateTime(required=True)


class FileListQuerySchema(Schema):
    """GET /v1/files query."""

    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    cursor = fields.String(load_default=None)
    filename_prefix = fields.String(load_default=None)
    content_type = fields.String(load_default=None)
    created_before = fields.AwareDateTime(load_default=None, default_timezone=None)
    created_after = fields.AwareDateTime(load_default=None, default_timezone=None)


class FileListSchema(Schema):
    """A page of files."""

    items = fields.List(fields.Nested(FileSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class DownloadQuerySchema(Schema):
    """GET /v1/files/{id}/content query."""

    redirect = fields.Boolean(load_default=True, metadata={
        "description": "false: answer the presigned URL as JSON instead of a 302"})
    proxy = fields.Boolean(load_default=False, metadata={
        "description": "true: stream the bytes through the gateway (Range supported); "
                       "redirect and expires_in then do not apply"})
    expires_in = fields.Integer(load_default=None, validate=validate.Range(1, 7 * 24 * 3600))
    inline = fields.Boolean(load_default=False)


class FileFormSchema(Schema):
    """POST /v1/files: multipart/form-data, read as a stream (text fields before `file` are
    best; all are honoured)."""

    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})
    filename = fields.String(validate=[validate.Length(1, 1024), _no_control_characters],
                             metadata={"description": "default: the file part's filename"})
    content_type = fields.String(validate=[validate.Length(1, 255), _no_control_characters],
                                 metadata={"description": "default: the file part's "
                                                          "Content-Type"})
    integrity_checksum = fields.String(validate=_crc32c_text, metadata={
        "description": "CRC32C of the file (base64 of 4 big-endian bytes, or 8 hex digits); "
                       "checked before the file is kept"})


class ProxiedPartSchema(Schema):
    """PUT /v1/uploads/{id}/parts/{n}: the part as stored and checkpointed."""

    part_number = fields.Integer(required=True)
    part_token = fields.String(required=True)
    size = fields.Integer(required=True)
    crc32c = fields.String(required=True, metadata={
        "description": "CRC32C of the part's bytes, base64 of 4 big-endian bytes"})


class DownloadLinkSchema(Schema):
    """A presigned download URL."""

    url = fields.String(required=True)
    expires_at = fields.DateTime(required=True)
