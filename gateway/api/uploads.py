"""The /v1/uploads resource: initiate, list, inspect, URLs, checkpoint, parts, complete, abort."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway.api.auth import require_api_key
from gateway.api.context import Services, services, tenant_id
from gateway.api.presenters import (
    file_view,
    initiate_view,
    page,
    proxied_part_view,
    upload_detail,
    upload_summary,
    view_json,
    with_parts_json,
)
from gateway.api.schemas import (
    CheckpointSchema,
    CompleteSchema,
    FileSchema,
    InitiateResponseSchema,
    InitiateSchema,
    ProxiedPartSchema,
    UploadListQuerySchema,
    UploadListSchema,
    UploadSchema,
    UrlsRequestSchema,
    UrlsResponseSchema,
)
from gateway.uploads.checksums import parse_crc32c
from gateway.uploads.model import ChecksumType
from gateway.uploads.policy import InitiateRequest, PartClaim
from gateway.uploads.state import UploadState

blp = Blueprint("uploads", __name__, url_prefix="/v1/uploads",
                description="Presigned multipart uploads straight to the bucket.")
blp.before_request(require_api_key)


def _json_response(body: str, status: int) -> Response:
    """A prepared JSON body; flask-smorest passes Response objects through untouched."""
    return current_app.response_class(body, status=status, mimetype="application/json")


def inspect_json(svc: Services, tenant: str, upload_id: str) -> str:
    """Inspect's JSON body; the Flask view and the fast path (fast_inspect) both answer it."""
    return view_json(upload_detail(svc.uploads.get(tenant, upload_id)))


def _crc32c(text: str | None) -> int | None:
    return None if text is None else parse_crc32c(text)


def _tokens(parts: list[dict[str, Any]]) -> list[PartClaim]:
    return [PartClaim(p["part_number"], p["part_token"], _crc32c(p["crc32c"])) for p in parts]


@blp.route("")
class Uploads(MethodView):
    """The tenant's uploads."""

    @blp.arguments(InitiateSchema)
    @blp.response(201, InitiateResponseSchema)
    @blp.alt_response(200, schema=InitiateResponseSchema,
                      description="An upload in progress was resumed (resume_if_started).")
    def post(self, args: dict[str, Any]) -> Any:
        """Initiate an upload and get presigned URLs for its parts."""
        svc = services()
        result = svc.uploads.initiate(tenant_id(), InitiateRequest(
            filename=args["filename"], content_type=args["content_type"],
            num_bytes=args["num_bytes"], resume_if_started=args["resume_if_started"],
            part_size_hint=args["part_size"], metadata=args["metadata"],
            checksum_type=ChecksumType(args["checksum_type"]),
        ))
        view = InitiateResponseSchema(exclude=["parts"]).dump(initiate_view(result, "crc32c"))
        return _json_response(with_parts_json(view, result.presigned),
                              200 if result.resumed else 201)

    @blp.arguments(UploadListQuerySchema, location="query")
    @blp.response(200, UploadListSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List the tenant's uploads, newest first."""
        svc = services()
        status = UploadState(args["status"]) if args.get("status") else None
        limit = args["limit"]
        found = svc.uploads.list_uploads(tenant_id(), status, limit + 1, args["cursor"])
        now = svc.uploads.clock()
        return page(found, limit, lambda u: upload_summary(u, now),
                    lambda u: (u.created_at, u.id))


@blp.route("/<string:upload_id>")
class UploadById(MethodView):
    """One upload."""

    @blp.response(200, UploadSchema)
    def get(self, upload_id: str) -> Any:
        """Inspect an upload: status, checkpointed parts, missing parts."""
        return _json_response(inspect_json(services(), tenant_id(), upload_id), 200)

    @blp.response(200, UploadSchema)
    def delete(self, upload_id: str) -> Any:
        """Abort an upload (same as POST .../abort)."""
        return upload_detail(services().uploads.abort(tenant_id(), upload_id))


@blp.route("/<string:upload_id>/urls")
class UploadUrls(MethodView):
    """Fresh presigned part URLs."""

    @blp.arguments(UrlsRequestSchema)
    @blp.response(200, UrlsResponseSchema)
    def post(self, args: dict[str, Any], upload_id: str) -> Any:
        """Sign fresh URLs for chosen parts (no store round trip)."""
        if "parts" in args:
            numbers = [p["part_number"] for p in args["parts"]]
            crcs: list[int] | None = [parse_crc32c(p["crc32c"]) for p in args["parts"]]
        else:
            numbers, crcs = args["part_numbers"], None
        presigned = services().uploads.presign(tenant_id(), upload_id, numbers,
                                               args["expires_in"], crcs)
        return _json_response(with_parts_json({}, presigned), 200)


@blp.route("/<string:upload_id>/checkpoint")
class UploadCheckpoint(MethodView):
    """Part tokens the client has uploaded."""

    @blp.arguments(CheckpointSchema)
    @blp.response(200, UploadSchema)
    def post(self, args: dict[str, Any], upload_id: str) -> Any:
        """Record part tokens, each checked against the store's ListParts."""
        return upload_detail(services().uploads.checkpoint(tenant_id(), upload_id,
                                                           _tokens(args["parts"])))


_RAW_BODY = {"required": True, "content": {"application/octet-stream": {
    "schema": {"type": "string", "format": "binary"}}}}


@blp.route("/<string:upload_id>/parts/<int(signed=True):part_number>")
class UploadPart(MethodView):
    """One part of an upload."""

    @blp.doc(requestBody=_RAW_BODY)
    @blp.response(200, ProxiedPartSchema)
    @blp.alt_response(411, description="Unknown-length upload and no Content-Length.")
    def put(self, upload_id: str, part_number: int) -> Any:
        """Upload a part through the gateway (raw body, streamed to the store; checkpointed)."""
        part = services().proxy.put_part(tenant_id(), upload_id, part_number, request.stream,
                                         request.content_length)
        return proxied_part_view(part)

    @blp.response(200, UploadSchema)
    def delete(self, upload_id: str, part_number: int) -> Any:
        """Forget a part's token so it is uploaded again."""
        return upload_detail(services().uploads.forget_part(tenant_id(), upload_id, part_number))


@blp.route("/<string:upload_id>/complete")
class UploadComplete(MethodView):
    """Finishing an upload."""

    @blp.arguments(CompleteSchema)
    @blp.response(200, FileSchema)
    def post(self, args: dict[str, Any], upload_id: str) -> Any:
        """Complete the upload: join the parts, verify size and CRC32C, return the file."""
        checksum = args["integrity_checksum"]
        file = services().completer.complete(
            tenant_id(), upload_id, _tokens(args["parts"]),
            None if checksum is None else parse_crc32c(checksum))
        return file_view(file)


@blp.route("/<string:upload_id>/abort")
class UploadAbort(MethodView):
    """Abandoning an upload."""

    @blp.response(200, UploadSchema)
    def post(self, upload_id: str) -> Any:
        """Abort the upload in the store and mark it aborted."""
        return upload_detail(services().uploads.abort(tenant_id(), upload_id))
