"""Part bodies streamed to the store as presigned PUTs: the path browsers take, run by the
gateway for clients that cannot reach the bucket.

boto3 adds a few milliseconds of request machinery per call and wants a body it can hash or
rewind; a proxied part is neither. A presigned URL (signed locally, UNSIGNED-PAYLOAD) and a
plain urllib3 PUT stream the body once, in 1 MiB blocks, with the length declared up front.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import IO, cast

import certifi
import urllib3

from gateway.errors import STORE_UNAVAILABLE, GatewayError
from gateway.storage.interface import ByteSource
from gateway.storage.presigner import S3Presigner, SigningCredentials
from gateway.storage.s3_errors import translate_error
from gateway.storage.timing import record_store_call

BLOCK_SIZE = 1024 * 1024
URL_LIFETIME = 900  # signed per request; S3 checks it when the request starts
_ATTEMPTS = 3
_XML_FIELD = re.compile(rb"<(Code|Message)>([^<]*)</\1>")


class PartStreamer:
    """UploadPart over a presigned URL against the endpoint the gateway itself reaches."""

    def __init__(self, presigner: S3Presigner, credentials: Callable[[], SigningCredentials],
                 bucket: str, *, max_connections: int = 64) -> None:
        self._presigner = presigner
        self._credentials = credentials
        self._bucket = bucket
        self._pool = urllib3.PoolManager(
            maxsize=max_connections, retries=False, blocksize=BLOCK_SIZE,
            timeout=urllib3.Timeout(connect=5, read=120),
            # The CA bundle boto3 would use: AWS_CA_BUNDLE, else certifi's.
            ca_certs=os.environ.get("AWS_CA_BUNDLE") or certifi.where(),
        )

    def upload_part(self, key: str, upload_id: str, part_number: int, body: ByteSource,
                    length: int) -> str:
        """Send `length` bytes of `body` as the part; return the store's quoted ETag.

        A seekable body (a part held in memory) is sent again after a transient failure;
        a stream is sent once, and a failure is a retryable 503 for the client to resend.
        """
        attempts = _ATTEMPTS if _seekable(body) else 1
        for attempt in range(1, attempts + 1):
            try:
                return self._attempt(key, upload_id, part_number, body, length)
            except GatewayError as exc:
                if attempt == attempts or not exc.kind.retryable:
                    raise
            body.seek(0)  # type: ignore[attr-defined]
            time.sleep(0.2 * 2 ** attempt)
        raise AssertionError("every attempt returns or raises")

    def _attempt(self, key: str, upload_id: str, part_number: int, body: ByteSource,
                 length: int) -> str:
        """One PUT, answering the store's quoted ETag (the body's own errors propagate)."""
        [url] = self._presigner.presign_parts(
            self._credentials(), bucket=self._bucket, key=key, upload_id=upload_id,
            part_numbers=[part_number], expires_in=URL_LIFETIME,
            now=datetime.now(UTC).replace(microsecond=0))
        started = time.perf_counter()
        failed = True
        try:
            response = self._pool.request("PUT", url, body=cast(IO[bytes], body),
                                          redirect=False,
                                          headers={"Content-Length": str(length)})
        except urllib3.exceptions.HTTPError as exc:
            raise GatewayError(STORE_UNAVAILABLE, f"the object store is unreachable "
                               f"(UploadPart): {exc}") from exc
        else:
            if response.status == 200 and response.headers.get("ETag"):
                failed = False
                return _quoted(response.headers["ETag"])
            fields = {name.decode(): value.decode("utf-8", "replace")
                      for name, value in _XML_FIELD.findall(response.data[:4096])}
            raise translate_error("UploadPart", fields.get("Code") or str(response.status),
                                  fields.get("Message", ""), response.status)
        finally:
            record_store_call("UploadPart", time.perf_counter() - started, failed)


def _seekable(body: ByteSource) -> bool:
    seekable = getattr(body, "seekable", None)
    return bool(seekable()) if callable(seekable) else False


def _quoted(etag: str) -> str:
    bare = etag.strip().strip('"')
    return f'"{bare}"'
