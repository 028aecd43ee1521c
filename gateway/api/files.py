"""The /v1/files resource: metadata, listing, download and deletion of completed files."""

from __future__ import annotations

from typing import Any

from flask import redirect, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway.api.auth import require_api_key
from gateway.api.context import services, tenant_id
from gateway.api.downloads import content_response
from gateway.api.forms import read_form
from gateway.api.presenters import file_view, page
from gateway.api.schemas import (
    DownloadLinkSchema,
    DownloadQuerySchema,
    FileListQuerySchema,
    FileListSchema,
    FileSchema,
)
from gateway.uploads.ports import FileFilter

blp = Blueprint("files", __name__, url_prefix="/v1/files",
                description="Completed files: the UUIDs users keep in their own tables.")
blp.before_request(require_api_key)


_FORM_BODY = {"required": True, "content": {"multipart/form-data": {
    "schema": {"$ref": "#/components/schemas/FileForm"},
    "encoding": {"file": {"contentType": "application/octet-stream"}}}}}


@blp.route("")
class Files(MethodView):
    """The tenant's files."""

    @blp.doc(requestBody=_FORM_BODY)
    @blp.response(201, FileSchema)
    @blp.alt_response(413, description="The body is over GATEWAY_MAX_FORM_BYTES.")
    def post(self) -> Any:
        """Upload a file in one request: multipart/form-data, field `file`; streamed."""
        svc = services()
        items = read_form(request.stream, request.headers.get("Content-Type"),
                          request.content_length, svc.settings.max_form_bytes)
        file = svc.ingest.ingest(tenant_id(), items, request.content_length)
        return file_view(file), 201, {"Location": url_for("files.FileById", file_id=file.id)}

    @blp.arguments(FileListQuerySchema, location="query")
    @blp.response(200, FileListSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List files, newest first, optionally filtered."""
        limit = args["limit"]
        filters = FileFilter(
            filename_prefix=args["filename_prefix"], content_type=args["content_type"],
            created_before=args["created_before"], created_after=args["created_after"])
        found = services().files.list_files(tenant_id(), limit + 1, args["cursor"], filters)
        return page(found, limit, file_view, lambda f: (f.created_at, f.id))


@blp.route("/<string:file_id>")
class FileById(MethodView):
    """One file."""

    @blp.response(200, FileSchema)
    def get(self, file_id: str) -> Any:
        """File metadata."""
        return file_view(services().files.get(tenant_id(), file_id))

    @blp.response(204)
    def delete(self, file_id: str) -> None:
        """Delete the object and its record."""
        services().files.delete(tenant_id(), file_id)


@blp.route("/<string:file_id>/content")
class FileContent(MethodView):
    """A file's bytes."""

    @blp.arguments(DownloadQuerySchema, location="query")
    @blp.response(200, DownloadLinkSchema)
    @blp.alt_response(302, description="Redirect to a presigned GET of the object.")
    @blp.alt_response(206, description="?proxy=true with a Range header: the asked bytes.")
    @blp.alt_response(416, description="?proxy=true: the Range starts past the end.")
    def get(self, args: dict[str, Any], file_id: str) -> Any:
        """Download: a redirect to a presigned GET (?redirect=false: the URL as JSON;
        ?proxy=true: the bytes through the gateway, with Range)."""
        files = services().files
        if args["proxy"]:
            return content_response(files, files.get(tenant_id(), file_id), args["inline"])
        link = files.download_link(tenant_id(), file_id, args["expires_in"],
                                   inline=args["inline"])
        if args["redirect"]:
            return redirect(link.url, code=302)
        return {"url": link.url, "expires_at": link.expires_at}
