"""Local SigV4 query-string presigning for S3, byte-identical to botocore's presigned URLs.

botocore spends ~200 us per URL (request serialisation, endpoint rule set, signer plumbing).
Here everything that is constant for one upload is built once, the derived signing key is
cached, and each part costs one sha256 of the canonical request plus one HMAC-SHA256.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from hashlib import sha256
from urllib.parse import quote, urlsplit

_ALGORITHM = "AWS4-HMAC-SHA256"
_SERVICE = "s3"
_MAX_EXPIRES = 7 * 24 * 3600  # SigV4 presigned URLs cannot outlive a week
_MAX_PART_NUMBER = 10_000
_DEFAULT_PORTS = {"http": 80, "https": 443}
# The helpers botocore's S3 endpoint rule set uses to decide whether a bucket can be a
# hostname; its dotted-quad test is deliberately loose (999.1.1.1 counts), so is this one.
_HOST_LABEL = re.compile(r"^(?!-)[a-zA-Z\d-]{1,63}(?<!-)$")
_IPV4 = re.compile(r"^(?:[0-9]{1,3}\.){3}[0-9]{1,3}$")
# Stands in for the part number while templates are built: percent-encoding turns every
# NUL in a bucket, key or query value into %00, so the only raw NUL is the placeholder.
_SLOT = "\x00"
# Stands in for a signed header's value that differs per part (never part of a host or path).
_HEADER_SLOT = "\x01"
_CHECKSUM_HEADER = "x-amz-checksum-crc32c"
# RFC 2104 key pads, applied with bytes.translate so the HMAC can be pre-keyed once per upload.
_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))


@dataclass(frozen=True)
class SigningCredentials:
    """A frozen access key / secret / optional session token triple."""

    access_key: str
    secret_key: str
    session_token: str | None = None


@lru_cache(maxsize=256)
def _signing_key(secret_key: str, day: str, region: str, service: str) -> bytes:
    """The SigV4 derived key, which only changes daily; four HMACs saved per request."""
    key = f"AWS4{secret_key}".encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.digest(key, part.encode(), "sha256")
    return key


def _encode(value: str) -> str:
    # RFC 3986 unreserved characters only, as botocore's percent_encode.
    return quote(value, safe="-_.~")


def _virtual_hostable(bucket: str, *, allow_dots: bool) -> bool:
    """botocore's aws.isVirtualHostableS3Bucket."""
    if len(bucket) < 3 or bucket.lower() != bucket or _IPV4.match(bucket):
        return False
    labels = bucket.split(".") if allow_dots else [bucket]
    return all(_HOST_LABEL.match(label) for label in labels)


def _normalized_path(path: str) -> str:
    """The rule set's `normalizedPath`: dot and empty segments dropped, quoted, '/'-ended."""
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment and segment != ".":
            segments.append(segment)
    return quote("/".join(["", *segments, ""]))


def _utc_stamp(now: datetime | None) -> str:
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is not None:
        now = now.astimezone(UTC)
    # Naive datetimes are taken as UTC, like botocore's own clock.
    return now.strftime("%Y%m%dT%H%M%SZ")


class S3Presigner:
    """Signs S3 URLs locally with SigV4 query auth, byte-identical to botocore."""

    def __init__(self, *, endpoint_url: str, region: str, addressing_style: str = "path") -> None:
        if addressing_style not in ("path", "virtual"):
            raise ValueError(f"addressing_style must be path or virtual: {addressing_style!r}")
        if not region:
            raise ValueError("region is required")
        parts = urlsplit(endpoint_url)
        port = parts.port  # raises ValueError for a malformed port
        hostname = parts.hostname
        if parts.scheme not in _DEFAULT_PORTS or not hostname or parts.query or parts.fragment:
            raise ValueError(f"endpoint_url must be a plain http(s) URL, not {endpoint_url!r}")
        self._region = region
        self._virtual = addressing_style == "virtual"
        self._scheme = parts.scheme
        # The URL keeps the endpoint's authority verbatim (case, default port); the signed host
        # header is lowercase and omits a default port.
        self._authority = parts.netloc
        host = f"[{hostname}]" if ":" in hostname else hostname
        self._host = host if port in (None, _DEFAULT_PORTS[parts.scheme]) else f"{host}:{port}"
        self._is_ip = ":" in hostname or bool(_IPV4.match(hostname))
        self._raw_path = parts.path
        self._path_prefix = _normalized_path(parts.path)

    def presign_parts(
        self,
        credentials: SigningCredentials,
        *,
        bucket: str,
        key: str,
        upload_id: str,
        part_numbers: Sequence[int],
        expires_in: int,
        now: datetime | None = None,
        crc32cs: Sequence[str] | None = None,
    ) -> list[str]:
        """PUT UploadPart URLs for the given part numbers (same order).

        With `crc32cs` (each part's CRC32C in S3's base64 form, same order) every URL also
        signs an `x-amz-checksum-crc32c` header: the client must send exactly that value,
        and a store that checks checksums refuses bytes that do not match it.
        """
        if crc32cs is not None and len(crc32cs) != len(part_numbers):
            raise ValueError("one CRC32C per part number")
        headers = [] if crc32cs is None else [(_CHECKSUM_HEADER, None)]
        url, canonical, string_to_sign, signing_key = self._prepare(
            credentials, "PUT", bucket, key, [("uploadId", upload_id), ("partNumber", None)],
            expires_in, now, headers,
        )
        url_head, url_tail = url.split(_SLOT)
        url_tail += "&X-Amz-Signature="
        canonical_head, canonical_tail = canonical.split(_SLOT)
        middle, _, after = canonical_tail.partition(_HEADER_SLOT)
        tails = [middle.encode()] * len(part_numbers) if crc32cs is None else [
            f"{middle}{value}{after}".encode() for value in crc32cs]
        # Hash states primed with everything before the part number (a 1 KiB key is hashed
        # once, not per part) and an HMAC keyed once: per part only copies and short updates.
        request_hash = sha256(canonical_head.encode()).copy
        padded = signing_key.ljust(64, b"\0")
        inner_state = sha256(padded.translate(_IPAD))
        inner_state.update(string_to_sign.encode())
        inner, outer = inner_state.copy, sha256(padded.translate(_OPAD)).copy
        urls: list[str] = []
        append = urls.append
        for number, tail in zip(part_numbers, tails, strict=True):
            if not 1 <= number <= _MAX_PART_NUMBER:
                raise ValueError(f"part number {number} outside 1..{_MAX_PART_NUMBER}")
            text = str(number)
            digest = request_hash()
            digest.update(text.encode() + tail)
            mac = inner()
            mac.update(digest.hexdigest().encode())
            signature = outer()
            signature.update(mac.digest())
            append(url_head + text + url_tail + signature.hexdigest())
        return urls

    def presign_object(
        self,
        credentials: SigningCredentials,
        *,
        method: str,
        bucket: str,
        key: str,
        expires_in: int,
        query: Mapping[str, str] | None = None,
        now: datetime | None = None,
    ) -> str:
        """A URL for one object request with extra query parameters, kept in mapping order."""
        url, canonical, string_to_sign, signing_key = self._prepare(
            credentials, method.upper(), bucket, key, [*(query or {}).items()], expires_in, now,
        )
        message = string_to_sign + sha256(canonical.encode()).hexdigest()
        signature = hmac.new(signing_key, message.encode(), sha256).hexdigest()
        return f"{url}&X-Amz-Signature={signature}"

    def _prepare(
        self,
        credentials: SigningCredentials,
        method: str,
        bucket: str,
        key: str,
        params: list[tuple[str, str | None]],
        expires_in: int,
        now: datetime | None,
        headers: Sequence[tuple[str, str | None]] = (),
    ) -> tuple[str, str, str, bytes]:
        """(URL without signature, canonical request, string-to-sign minus hash, signing key).

        A None param value becomes the _SLOT placeholder in both the URL and canonical request;
        `headers` are signed besides host (lowercase names, sorted; None: _HEADER_SLOT).
        """
        if not 1 <= expires_in <= _MAX_EXPIRES:
            raise ValueError(f"expires_in must be within 1..{_MAX_EXPIRES} seconds")
        if not bucket or not key:
            raise ValueError("bucket and key must be non-empty")
        if bucket.endswith(("--x-s3", "--xa-s3")):
            # Directory buckets sign as "s3express" with session credentials from CreateSession.
            raise ValueError("S3 Express directory buckets are not supported")
        amz_date = _utc_stamp(now)
        scope = f"{amz_date[:8]}/{self._region}/{_SERVICE}/aws4_request"
        authority, host, base = self._locate(bucket)
        # S3 signs the path exactly as sent: no dot-segment or '//' normalisation.
        path = f"{base}/{quote(key, safe='/~')}"
        auth: list[tuple[str, str | None]] = [
            ("X-Amz-Algorithm", _ALGORITHM),
            ("X-Amz-Credential", f"{credentials.access_key}/{scope}"),
            ("X-Amz-Date", amz_date),
            ("X-Amz-Expires", str(expires_in)),
            ("X-Amz-SignedHeaders", ";".join(["host", *(name for name, _ in headers)])),
        ]
        if credentials.session_token is not None:
            # Appended after SignedHeaders in the URL yet signed (it sorts before it).
            auth.append(("X-Amz-Security-Token", credentials.session_token))
        pairs = [(_encode(k), _SLOT if v is None else _encode(v)) for k, v in [*params, *auth]]
        # URL: operation params in caller order, then auth params; canonical form: sorted by
        # encoded (name, value), which puts every X-Amz-* name before lowercase ones.
        query = "&".join(f"{k}={v}" for k, v in pairs)
        canonical_query = "&".join(f"{k}={v}" for k, v in sorted(pairs))
        signed = [("host", host), *((n, _HEADER_SLOT if v is None else v) for n, v in headers)]
        canonical_headers = "".join(f"{name}:{value}\n" for name, value in signed)
        canonical = (f"{method}\n{path}\n{canonical_query}\n{canonical_headers}\n"
                     f"{';'.join(name for name, _ in signed)}\nUNSIGNED-PAYLOAD")
        string_to_sign = f"{_ALGORITHM}\n{amz_date}\n{scope}\n"
        signing_key = _signing_key(credentials.secret_key, amz_date[:8], self._region, _SERVICE)
        return f"{self._scheme}://{authority}{path}?{query}", canonical, string_to_sign, signing_key

    def _locate(self, bucket: str) -> tuple[str, str, str]:
        """(URL authority, signed host header, path before the key) for this bucket."""
        # Mirrors botocore's rule set for custom endpoints: a plain DNS-label bucket goes
        # virtual unless the endpoint is an IP literal; a dotted one only over http (where
        # TLS wildcard certificates are not an issue), even on an IP; anything else falls
        # back to path style.
        if not self._virtual:
            virtual = False
        elif _virtual_hostable(bucket, allow_dots=False):
            virtual = not self._is_ip
        else:
            virtual = self._scheme == "http" and _virtual_hostable(bucket, allow_dots=True)
        if virtual:
            if self._host.startswith("["):
                # botocore would emit "bucket.[::1]" here, a URL no client can use.
                raise ValueError("virtual addressing cannot prefix a bucket to an IPv6 literal")
            # The endpoint path is used raw here, minus one trailing slash (botocore's urljoin).
            base = self._raw_path[:-1] if self._raw_path.endswith("/") else self._raw_path
            return f"{bucket}.{self._authority}", f"{bucket}.{self._host}", base
        return self._authority, self._host, self._path_prefix + _encode(bucket)
