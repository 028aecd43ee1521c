"""S3Presigner must produce the very bytes botocore's generate_presigned_url produces."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import botocore.auth
import botocore.session
import pytest
from botocore.config import Config

from gateway.storage.presigner import S3Presigner, SigningCredentials

AT = datetime(2024, 3, 5, 12, 34, 56, tzinfo=UTC)
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEBYaD+/token==~with-odd.chars_"
LOCAL = ("http://127.0.0.1:9000", "path", "us-east-1")
ENDPOINTS = [
    LOCAL,
    ("https://minio.example.com", "path", "eu-central-1"),
    ("https://s3.eu-west-1.amazonaws.com", "virtual", "eu-west-1"),
]
KEYS = [
    "plain.bin",
    "with space/and+plus.txt",
    "naïve/файл 日本.txt",
    "double//slash///x",
    "/leading-slash",
    "trailing/",
    "tilde~and%percent",
    "what?#hash&amp=eq",
    "dots/./and/../parent",
    "quote'\"!*()$,;:@[]{}|\\^`<>",
    "k" * 1200,
]
UPLOAD_IDS = ["2~abc+def/ghi=", "VXBsb2FkSWQ-._~+/==", "simple"]
DISPOSITION = "attachment; filename=\"na ve.txt\"; filename*=UTF-8''na%C3%AFve%20%E6%97%A5.txt"

ClientFactory = Callable[..., Any]


@pytest.fixture(scope="module")
def make_client() -> Iterator[ClientFactory]:
    """botocore S3 clients isolated from the developer's AWS config and environment."""
    clients: dict[tuple[str, str, str, str | None], Any] = {}
    with pytest.MonkeyPatch.context() as env:
        for name in [n for n in os.environ if n.startswith("AWS_")]:
            env.delenv(name)
        env.setenv("AWS_CONFIG_FILE", os.devnull)
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        session = botocore.session.get_session()

        def make(endpoint: str, style: str, region: str, token: str | None = None) -> Any:
            cache_key = (endpoint, style, region, token)
            if cache_key not in clients:
                s3_options: Any = {"addressing_style": style}
                clients[cache_key] = session.create_client(
                    "s3", region_name=region, endpoint_url=endpoint,
                    aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                    aws_session_token=token,
                    config=Config(signature_version="s3v4", s3=s3_options),
                )
            return clients[cache_key]

        yield make


@pytest.fixture
def freeze(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Pin the clock botocore's SigV4 signers read (botocore.auth.get_current_datetime)."""

    def pin(at: datetime) -> None:
        def fake_now(remove_tzinfo: bool = True) -> datetime:
            return at.replace(tzinfo=None) if remove_tzinfo else at

        monkeypatch.setattr(botocore.auth, "get_current_datetime", fake_now)

    pin(AT)
    return pin


def creds(token: str | None) -> SigningCredentials:
    return SigningCredentials(ACCESS_KEY, SECRET_KEY, token)


@pytest.mark.usefixtures("freeze")
@pytest.mark.parametrize("token", [None, TOKEN])
@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("endpoint,style,region", ENDPOINTS)
def test_upload_part_matches_botocore(
    make_client: ClientFactory, endpoint: str, style: str, region: str, key: str,
    token: str | None,
) -> None:
    client = make_client(endpoint, style, region, token)
    presigner = S3Presigner(endpoint_url=endpoint, region=region, addressing_style=style)
    for upload_id in UPLOAD_IDS:
        expected = client.generate_presigned_url(
            "upload_part", ExpiresIn=900,
            Params={"Bucket": "my-bucket", "Key": key, "UploadId": upload_id, "PartNumber": 42},
        )
        [url] = presigner.presign_parts(
            creds(token), bucket="my-bucket", key=key, upload_id=upload_id, part_numbers=[42],
            expires_in=900, now=AT,
        )
        assert url == expected


@pytest.mark.usefixtures("freeze")
@pytest.mark.parametrize("token", [None, TOKEN])
@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("endpoint,style,region", ENDPOINTS)
def test_get_object_with_response_overrides_matches_botocore(
    make_client: ClientFactory, endpoint: str, style: str, region: str, key: str,
    token: str | None,
) -> None:
    expected = make_client(endpoint, style, region, token).generate_presigned_url(
        "get_object", ExpiresIn=3600,
        Params={
            "Bucket": "my-bucket", "Key": key, "ResponseContentDisposition": DISPOSITION,
            "ResponseContentType": "text/plain; charset=utf-8",
        },
    )
    url = S3Presigner(endpoint_url=endpoint, region=region, addressing_style=style).presign_object(
        creds(token), method="GET", bucket="my-bucket", key=key, expires_in=3600, now=AT,
        query={
            "response-content-disposition": DISPOSITION,
            "response-content-type": "text/plain; charset=utf-8",
        },
    )
    assert url == expected


@pytest.mark.usefixtures("freeze")
@pytest.mark.parametrize("token", [None, TOKEN])
@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("endpoint,style,region", ENDPOINTS)
def test_put_object_matches_botocore(
    make_client: ClientFactory, endpoint: str, style: str, region: str, key: str,
    token: str | None,
) -> None:
    expected = make_client(endpoint, style, region, token).generate_presigned_url(
        "put_object", Params={"Bucket": "my-bucket", "Key": key}, ExpiresIn=60,
    )
    url = S3Presigner(endpoint_url=endpoint, region=region, addressing_style=style).presign_object(
        creds(token), method="put", bucket="my-bucket", key=key, expires_in=60, now=AT,
    )
    assert url == expected


@pytest.mark.usefixtures("freeze")
@pytest.mark.parametrize("style", ["path", "virtual"])
@pytest.mark.parametrize(
    "endpoint",
    [
        "http://127.0.0.1:9000",  # virtual falls back to path for IP endpoints
        "http://[::1]:9000",
        "https://minio.example.com:443",  # default port kept in the URL, not in the host header
        "http://minio.example.com:80/",
        "HTTPS://MinIO.Example.COM:8443/prefix/",
        "https://storage.example.com/a/./b/../c//d",
        "https://s3.amazonaws.com",
    ],
)
@pytest.mark.parametrize(
    "bucket", ["my-bucket", "my.dotted.bucket", "ab", "Upper-Case", "10.1.2.3", "x" * 63]
)
def test_endpoint_and_bucket_shapes_match_botocore(
    make_client: ClientFactory, endpoint: str, style: str, bucket: str,
) -> None:
    presigner = S3Presigner(endpoint_url=endpoint, region="us-east-1", addressing_style=style)
    sign = functools.partial(
        presigner.presign_object, creds(None), method="GET", bucket=bucket,
        key="/dir//file name.txt", expires_in=300, now=AT,
    )
    if style == "virtual" and "[" in endpoint and bucket == "my.dotted.bucket":
        # botocore would build an unusable "my.dotted.bucket.[::1]" host here.
        with pytest.raises(ValueError, match="IPv6"):
            sign()
        return
    expected = make_client(endpoint, style, "us-east-1").generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "/dir//file name.txt"}, ExpiresIn=300,
    )
    assert sign() == expected


def test_virtual_style_on_aws_uses_bucket_subdomain() -> None:
    presigner = S3Presigner(
        endpoint_url="https://s3.eu-west-1.amazonaws.com", region="eu-west-1",
        addressing_style="virtual",
    )
    [url] = presigner.presign_parts(
        creds(None), bucket="my-bucket", key="a b", upload_id="u", part_numbers=[1],
        expires_in=60, now=AT,
    )
    assert url.startswith("https://my-bucket.s3.eu-west-1.amazonaws.com/a%20b?uploadId=u&")
    assert "%2Feu-west-1%2Fs3%2Faws4_request" in url


@pytest.mark.usefixtures("freeze")
@pytest.mark.parametrize("token", [None, TOKEN])
@pytest.mark.parametrize("endpoint,style,region", ENDPOINTS)
def test_many_parts_match_botocore_url_by_url(
    make_client: ClientFactory, endpoint: str, style: str, region: str, token: str | None,
) -> None:
    client = make_client(endpoint, style, region, token)
    numbers = [1, 2, 3, 10, 99, 100, 1000, 9999, 10000, 7]
    key, upload_id = "videos/2024/naïve clip+1.mp4", "ZXhhbXBsZQ+/=~x"
    urls = S3Presigner(endpoint_url=endpoint, region=region, addressing_style=style).presign_parts(
        creds(token), bucket="my-bucket", key=key, upload_id=upload_id, part_numbers=numbers,
        expires_in=3600, now=AT,
    )
    expected = [
        client.generate_presigned_url(
            "upload_part", ExpiresIn=3600,
            Params={"Bucket": "my-bucket", "Key": key, "UploadId": upload_id, "PartNumber": n},
        )
        for n in numbers
    ]
    assert urls == expected
    assert len(set(urls)) == len(numbers)


@pytest.mark.usefixtures("freeze")
@pytest.mark.parametrize("token", [None, TOKEN])
@pytest.mark.parametrize("endpoint,style,region", ENDPOINTS)
def test_parts_signed_with_their_crc32c_match_botocore(
    make_client: ClientFactory, endpoint: str, style: str, region: str, token: str | None,
) -> None:
    client = make_client(endpoint, style, region, token)
    numbers = [1, 2, 10, 10000, 7]
    checksums = ["AAAAAA==", "4waSgw==", "/////w==", "+/+/+w==", "ZXhhbQ=="]
    key, upload_id = "naïve clip+1.mp4", "ZXhhbXBsZQ+/=~x"
    urls = S3Presigner(endpoint_url=endpoint, region=region, addressing_style=style).presign_parts(
        creds(token), bucket="my-bucket", key=key, upload_id=upload_id, part_numbers=numbers,
        expires_in=3600, now=AT, crc32cs=checksums,
    )
    expected = [
        client.generate_presigned_url(
            "upload_part", ExpiresIn=3600,
            Params={"Bucket": "my-bucket", "Key": key, "UploadId": upload_id, "PartNumber": n,
                    "ChecksumCRC32C": crc})
        for n, crc in zip(numbers, checksums, strict=True)
    ]
    assert urls == expected
    assert all("X-Amz-SignedHeaders=host%3Bx-amz-checksum-crc32c&" in url for url in urls)


def test_a_crc32c_for_each_part_is_required() -> None:
    presigner = S3Presigner(endpoint_url=LOCAL[0], region=LOCAL[2])
    with pytest.raises(ValueError, match="one CRC32C per part"):
        presigner.presign_parts(creds(None), bucket="b", key="k", upload_id="u",
                                part_numbers=[1, 2], expires_in=60, now=AT, crc32cs=["AAAAAA=="])


def test_signing_on_two_days_uses_each_days_key(
    make_client: ClientFactory, freeze: Callable[[datetime], None],
) -> None:
    endpoint, style, region = LOCAL
    client = make_client(endpoint, style, region)
    presigner = S3Presigner(endpoint_url=endpoint, region=region, addressing_style=style)
    params = {"Bucket": "my-bucket", "Key": "k", "UploadId": "u+1", "PartNumber": 5}
    seen = []
    for at in [AT, AT + timedelta(days=1), AT, AT + timedelta(days=1, seconds=1)]:
        freeze(at)
        [url] = presigner.presign_parts(
            creds(None), bucket="my-bucket", key="k", upload_id="u+1", part_numbers=[5],
            expires_in=900, now=at,
        )
        assert url == client.generate_presigned_url("upload_part", Params=params, ExpiresIn=900)
        seen.append(url)
    assert seen[0] == seen[2]
    assert seen[0] != seen[1] != seen[3]
    assert "20240306%2Fus-east-1" in seen[1]


def test_timezones_and_default_clock() -> None:
    presigner = S3Presigner(endpoint_url=LOCAL[0], region=LOCAL[2])
    common: dict[str, Any] = {"bucket": "b", "key": "k", "expires_in": 60}
    in_utc = presigner.presign_object(creds(None), method="GET", now=AT, **common)
    cest = AT.astimezone(timezone(timedelta(hours=2)))
    assert presigner.presign_object(creds(None), method="GET", now=cest, **common) == in_utc
    naive = AT.replace(tzinfo=None)
    assert presigner.presign_object(creds(None), method="GET", now=naive, **common) == in_utc

    url = presigner.presign_object(creds(None), method="GET", **common)
    [stamp] = parse_qs(urlsplit(url).query)["X-Amz-Date"]
    signed_at = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - signed_at) < timedelta(minutes=1)
    again = presigner.presign_object(creds(None), method="GET", now=signed_at, **common)
    assert again == url


@pytest.mark.parametrize("expires_in", [0, -1, 604801, 10**9])
def test_expires_in_out_of_bounds_raises(expires_in: int) -> None:
    presigner = S3Presigner(endpoint_url=LOCAL[0], region=LOCAL[2])
    with pytest.raises(ValueError, match="expires_in"):
        presigner.presign_parts(
            creds(None), bucket="b", key="k", upload_id="u", part_numbers=[1],
            expires_in=expires_in, now=AT,
        )
    with pytest.raises(ValueError, match="expires_in"):
        presigner.presign_object(
            creds(None), method="GET", bucket="b", key="k", expires_in=expires_in, now=AT,
        )


@pytest.mark.parametrize("expires_in", [1, 604800])
def test_expires_in_bounds_are_inclusive(
    make_client: ClientFactory, freeze: Callable[[datetime], None], expires_in: int,
) -> None:
    expected = make_client(*LOCAL).generate_presigned_url(
        "get_object", Params={"Bucket": "b", "Key": "k"}, ExpiresIn=expires_in,
    )
    url = S3Presigner(endpoint_url=LOCAL[0], region=LOCAL[2]).presign_object(
        creds(None), method="GET", bucket="b", key="k", expires_in=expires_in, now=AT,
    )
    assert url == expected


@pytest.mark.parametrize("number", [0, -3, 10001])
def test_part_number_out_of_range_raises(number: int) -> None:
    presigner = S3Presigner(endpoint_url=LOCAL[0], region=LOCAL[2])
    with pytest.raises(ValueError, match="part number"):
        presigner.presign_parts(
            creds(None), bucket="b", key="k", upload_id="u", part_numbers=[1, number],
            expires_in=60, now=AT,
        )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"endpoint_url": "ftp://example.com", "region": "us-east-1"},
        {"endpoint_url": "http://example.com/?x=1", "region": "us-east-1"},
        {"endpoint_url": "http://example.com:notaport", "region": "us-east-1"},
        {"endpoint_url": "http://example.com", "region": ""},
        {"endpoint_url": "http://example.com", "region": "us-east-1", "addressing_style": "auto"},
    ],
)
def test_bad_configuration_raises(kwargs: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        S3Presigner(**kwargs)


@pytest.mark.parametrize("bucket,key", [("", "k"), ("b", ""), ("data--x-s3", "k")])
def test_unsupported_targets_raise(bucket: str, key: str) -> None:
    presigner = S3Presigner(endpoint_url=LOCAL[0], region=LOCAL[2])
    with pytest.raises(ValueError):
        presigner.presign_object(
            creds(None), method="GET", bucket=bucket, key=key, expires_in=60, now=AT,
        )
