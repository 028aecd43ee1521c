"""The /v1/files resource: metadata, listing, download and deletion of completed files."""

from __future__ import annotations

from typing import Any

from flask import redirect
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway.api.auth import require_api_key
from gateway.api.context import services, tenant_id
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


@blp.route("")
class Files(MethodView):
    """The tenant's files."""

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
    def get(self, args: dict[str, Any], file_id: str) -> Any:
        """Download: a redirect to a presigned GET (?redirect=false: the URL as JSON)."""
        link = services().files.download_link(tenant_id(), file_id, args["expires_in"],
                                              inline=args["inline"])
        if args["redirect"]:
            return redirect(link.url, code=302)
        return {"url": link.url, "expires_at": link.expires_at}
