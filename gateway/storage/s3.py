"""The ObjectStore for S3-compatible stores (AWS S3, MinIO, Ceph RGW) through boto3."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import boto3
import botocore.exceptions
from botocore.config import Config

from gateway.errors import STORE_ERROR, STORE_UNAVAILABLE, GatewayError
from gateway.storage.interface import (
    ByteSource,
    ObjectInfo,
    StoredPart,
    StoreUploadMissing,
)
from gateway.storage.presigner import S3Presigner, SigningCredentials
from gateway.storage.s3_errors import CONNECTION_ERRORS, translate_client_error
from gateway.storage.s3_stream import PartStreamer
from gateway.storage.timing import record_store_call
from gateway.uploads.checksums import crc32c_of, format_crc32c, parse_crc32c

T = TypeVar("T")

READ_CHUNK = 1024 * 1024


def make_s3_client(
    *, endpoint_url: str | None, region: str, addressing_style: str, session: Any = None
) -> Any:
    """A boto3 S3 client tuned for a gateway: bounded retries and timeouts, no default checksums."""
    session = session or boto3.session.Session()
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": addressing_style},  # type: ignore[arg-type]
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=5,
        read_timeout=120,
        max_pool_connections=64,
        # Third-party stores (Ceph RGW 16) reject the aws-chunked trailers newer
        # botocore sends by default; checksums are asked for explicitly instead.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return session.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)


class S3ObjectStore:
    """ObjectStore over one bucket; presigns locally against the public endpoint."""

    def __init__(
        self,
        *,
        bucket: str,
        region: str,
        endpoint_url: str | None = None,
        public_endpoint_url: str | None = None,
        addressing_style: str = "path",
        full_object_crc32c: bool = True,
    ) -> None:
        self.bucket = bucket
        self._session = boto3.session.Session()
        self.client = make_s3_client(
            endpoint_url=endpoint_url, region=region, addressing_style=addressing_style,
            session=self._session,
        )
        public = public_endpoint_url or endpoint_url or _aws_endpoint(region)
        self._presigner = S3Presigner(
            endpoint_url=public, region=region, addressing_style=addressing_style
        )
        # Part bodies stream over presigned PUTs to the endpoint the gateway itself reaches.
        self._parts = PartStreamer(
            S3Presigner(endpoint_url=endpoint_url or _aws_endpoint(region), region=region,
                        addressing_style=addressing_style),
            self._credentials, bucket,
        )
        self._full_object_crc32c = full_object_crc32c

    def create_multipart_upload(
        self, key: str, content_type: str, metadata: Mapping[str, str], *,
        composite: bool = False,
    ) -> str:
        """Start a multipart upload, asking for a composite CRC32C (the parts carry theirs)
        or, where configured, a full-object one."""
        extra: dict[str, Any] = {}
        if composite:
            extra = {"ChecksumAlgorithm": "CRC32C", "ChecksumType": "COMPOSITE"}
        elif self._full_object_crc32c:
            extra = {"ChecksumAlgorithm": "CRC32C", "ChecksumType": "FULL_OBJECT"}
        response = self._call(
            "CreateMultipartUpload", self.client.create_multipart_upload,
            Bucket=self.bucket, Key=key, ContentType=content_type, Metadata=dict(metadata),
            **extra,
        )
        return str(response["UploadId"])

    def list_parts(
        self, key: str, upload_id: str, wanted: Collection[int] | None = None
    ) -> list[StoredPart]:
        """The parts held, following pagination; with `wanted`, only those numbers."""
        if not wanted:
            return self._list_parts_from(key, upload_id, 0, None)
        wanted_set = set(wanted)
        marker = min(wanted_set) - 1
        found = self._list_parts_from(key, upload_id, marker, max(wanted_set))
        if marker > 0 and not wanted_set <= {p.part_number for p in found}:
            # moto reads PartNumberMarker as an offset into the list, not a part number;
            # before calling a part missing, list from the start.
            found = self._list_parts_from(key, upload_id, 0, max(wanted_set))
        return [p for p in found if p.part_number in wanted_set]

    def _list_parts_from(self, key: str, upload_id: str, marker: int, last: int | None
                         ) -> list[StoredPart]:
        parts: list[StoredPart] = []
        while True:
            response = self._call(
                "ListParts", self.client.list_parts,
                Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumberMarker=marker,
            )
            for item in response.get("Parts", []):
                number = int(item["PartNumber"])
                if last is not None and number > last:
                    return parts
                reported = item.get("ChecksumCRC32C")
                parts.append(StoredPart(number, _quoted(item["ETag"]), int(item["Size"]),
                                        parse_crc32c(reported) if reported else None))
            next_marker = int(response.get("NextPartNumberMarker") or 0)
            if not response.get("IsTruncated") or next_marker <= marker:
                return parts
            marker = next_marker

    def complete_multipart_upload(
        self, key: str, upload_id: str, parts: Sequence[tuple[int, str]],
        part_crc32cs: Mapping[int, int] | None = None,
    ) -> None:
        """Join the parts; Ceph RGW answers an empty ETag here, so callers HEAD afterwards."""
        named: list[dict[str, Any]] = [{"PartNumber": n, "ETag": etag} for n, etag in parts]
        if part_crc32cs is not None:
            for entry in named:
                entry["ChecksumCRC32C"] = format_crc32c(part_crc32cs[entry["PartNumber"]])
        self._call(
            "CompleteMultipartUpload", self.client.complete_multipart_upload,
            Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": named},
        )

    def abort_multipart_upload(self, key: str, upload_id: str) -> None:
        """Abort; an upload the store no longer has counts as aborted."""
        try:
            self._call(
                "AbortMultipartUpload", self.client.abort_multipart_upload,
                Bucket=self.bucket, Key=key, UploadId=upload_id,
            )
        except StoreUploadMissing:
            return

    def upload_part(
        self, key: str, upload_id: str, part_number: int, body: ByteSource, length: int
    ) -> str:
        """Stream one part's `length` bytes and return the ETag the store gave it.

        The body is read once, in blocks, as it is sent (see s3_stream): a seekable body is
        sent again after a transient failure; a failure while streaming one is a 503.
        """
        return self._parts.upload_part(key, upload_id, part_number, body, length)

    def put_object(
        self, key: str, body: bytes, content_type: str, metadata: Mapping[str, str],
        crc32c: int | None = None,
    ) -> None:
        """Store a small object in one PutObject; with `crc32c` the store can check it."""
        extra: dict[str, Any] = {}
        if crc32c is not None:
            extra["ChecksumCRC32C"] = format_crc32c(crc32c)
        self._call(
            "PutObject", self.client.put_object,
            Bucket=self.bucket, Key=key, Body=body, ContentType=content_type,
            Metadata=dict(metadata), **extra,
        )

    def head_object(self, key: str) -> ObjectInfo | None:
        """Size and full-object CRC32C (when reported), or None for a missing object."""
        try:
            response = self._call(
                "HeadObject", self.client.head_object,
                Bucket=self.bucket, Key=key, ChecksumMode="ENABLED",
            )
        except StoreUploadMissing:
            return None
        crc = composite = None
        reported = response.get("ChecksumCRC32C")
        # Only a full-object value is the file's CRC32C; "xxxx==-3" is a checksum of checksums.
        if reported and ("-" in reported or response.get("ChecksumType") == "COMPOSITE"):
            composite = parse_crc32c(reported.split("-", 1)[0])
        elif reported:
            crc = parse_crc32c(reported)
        return ObjectInfo(size=int(response["ContentLength"]),
                          etag=str(response.get("ETag", "")), crc32c=crc,
                          composite_crc32c=composite)

    def read_object(
        self, key: str, first: int | None = None, last: int | None = None
    ) -> Iterator[bytes]:
        """Stream the object in 1 MiB chunks, or the inclusive byte range first..last."""
        extra: dict[str, Any] = {}
        if first is not None:
            extra["Range"] = f"bytes={first}-{'' if last is None else last}"
        response = self._call("GetObject", self.client.get_object, Bucket=self.bucket, Key=key,
                              **extra)
        body = response["Body"]
        try:
            yield from body.iter_chunks(READ_CHUNK)
        except CONNECTION_ERRORS as exc:
            raise GatewayError(STORE_UNAVAILABLE, f"reading the object failed: {exc}") from exc
        finally:
            body.close()

    def read_crc32c(self, key: str) -> int:
        """Compute the object's CRC32C by reading it back."""
        return crc32c_of(self.read_object(key))

    def delete_object(self, key: str) -> None:
        """Delete; S3 answers 204 for a missing key as well."""
        self._call("DeleteObject", self.client.delete_object, Bucket=self.bucket, Key=key)

    def presign_parts(
        self, key: str, upload_id: str, part_numbers: Sequence[int], expires_in: int,
        now: datetime, crc32cs: Sequence[int] | None = None,
    ) -> list[str]:
        """Part URLs signed in-process with a cached SigV4 key (and each part's CRC32C)."""
        return self._presigner.presign_parts(
            self._credentials(), bucket=self.bucket, key=key, upload_id=upload_id,
            part_numbers=part_numbers, expires_in=expires_in, now=now,
            crc32cs=None if crc32cs is None else [format_crc32c(c) for c in crc32cs],
        )

    def presign_download(
        self, key: str, expires_in: int, now: datetime, *, content_disposition: str,
        content_type: str,
    ) -> str:
        """A GET URL whose response carries the file's name and type."""
        return self._presigner.presign_object(
            self._credentials(), method="GET", bucket=self.bucket, key=key,
            expires_in=expires_in, now=now,
            query={
                "response-content-disposition": content_disposition,
                "response-content-type": content_type,
            },
        )

    def check(self) -> None:
        """HEAD the bucket; raises a 503-kind error when the store is unreachable."""
        self._call("HeadBucket", self.client.head_bucket, Bucket=self.bucket)

    def _credentials(self) -> SigningCredentials:
        credentials = self._session.get_credentials()
        if credentials is None:
            raise GatewayError(STORE_ERROR, "no S3 credentials found (AWS_ACCESS_KEY_ID, ...)")
        frozen = credentials.get_frozen_credentials()
        if not frozen.access_key or not frozen.secret_key:
            raise GatewayError(STORE_ERROR, "the S3 credentials are incomplete")
        return SigningCredentials(frozen.access_key, frozen.secret_key, frozen.token)

    def _call(self, operation: str, method: Callable[..., T], **kwargs: Any) -> T:
        started = time.perf_counter()
        failed = True
        try:
            result = method(**kwargs)
            failed = False
            return result
        except botocore.exceptions.ClientError as exc:
            raise translate_client_error(operation, exc) from exc
        except CONNECTION_ERRORS as exc:
            raise GatewayError(
                STORE_UNAVAILABLE, f"the object store is unreachable ({operation})"
            ) from exc
        except botocore.exceptions.NoCredentialsError as exc:
            raise GatewayError(STORE_ERROR, "no S3 credentials found (AWS_ACCESS_KEY_ID, ...)") \
                from exc
        finally:
            record_store_call(operation, time.perf_counter() - started, failed)


def _quoted(etag: str) -> str:
    """ETags compared and stored in S3's quoted form."""
    bare = etag.strip().strip('"')
    return f'"{bare}"'


def _aws_endpoint(region: str) -> str:
    return f"https://s3.{region}.amazonaws.com"
