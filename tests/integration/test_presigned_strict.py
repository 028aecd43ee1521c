"""What only a store that checks signatures can show: tampered and expired URLs are refused.

These run in the strict lane (`make test-strict`, Ceph RGW); moto checks no signature.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from tests.support.api import MIB, Api, put_part, random_bytes, slice_part
from tests.support.s3server import S3Endpoint

pytestmark = pytest.mark.strict


@pytest.fixture(autouse=True)
def _strict_store_only(s3: S3Endpoint) -> None:
    if not s3.strict:
        pytest.skip("needs a store that checks presigned signatures (make test-strict)")


def _tamper_signature(url: str) -> str:
    head, signature = url.rsplit("X-Amz-Signature=", 1)
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    return f"{head}X-Amz-Signature={flipped}"


def test_gateway_signed_urls_are_accepted(api: Api) -> None:
    data = random_bytes(6 * MIB)
    upload = api.initiate("ok.bin", len(data))
    tokens = [{"part_number": p["part_number"],
               "part_token": put_part(p["url"], slice_part(data, p["part_number"],
                                                           upload["part_size"]))}
              for p in upload["parts"]]
    done = api.post(f"/v1/uploads/{upload['upload_id']}/complete", json={"parts": tokens})
    assert done.status_code == 200, done.get_json()
    link = api.get(f"/v1/files/{done.get_json()['file_id']}/content?redirect=false").get_json()
    assert requests.get(link["url"], timeout=30).content == data


def test_tampered_urls_are_refused(api: Api) -> None:
    upload = api.initiate("t.bin", 6 * MIB)
    url = upload["parts"][0]["url"]
    for bad in (_tamper_signature(url), url.replace("partNumber=1&", "partNumber=2&"),
                url.replace("X-Amz-Expires=", "X-Amz-Expires=9")):
        response = requests.put(bad, data=b"x" * 10, timeout=30)
        assert response.status_code == 403, (bad, response.status_code, response.text[:300])
        assert "SignatureDoesNotMatch" in response.text or "AccessDenied" in response.text
    inspected = api.get(f"/v1/uploads/{upload['upload_id']}").get_json()
    assert inspected["checkpointed_parts"] == []


def test_tampered_download_url_is_refused(api: Api) -> None:
    upload = api.initiate("d.txt", 0)
    file = api.post(f"/v1/uploads/{upload['upload_id']}/complete", json={}).get_json()
    link = api.get(f"/v1/files/{file['file_id']}/content?redirect=false").get_json()
    assert requests.get(link["url"], timeout=30).status_code == 200
    assert requests.get(_tamper_signature(link["url"]), timeout=30).status_code == 403


def test_expired_url_is_refused_and_a_fresh_one_works(api: Api, open_uploads: Any) -> None:
    data = random_bytes(6 * MIB)
    upload = api.initiate("e.bin", len(data))
    base = f"/v1/uploads/{upload['upload_id']}"
    short = api.post(f"{base}/urls", json={"part_numbers": [1], "expires_in": 1}).get_json()
    time.sleep(2.5)
    expired = requests.put(short["parts"][0]["url"], data=b"x", timeout=30)
    assert expired.status_code == 403, expired.text[:300]
    fresh = api.post(f"{base}/urls", json={"part_numbers": [1]}).get_json()
    token = put_part(fresh["parts"][0]["url"], slice_part(data, 1, upload["part_size"]))
    inspected = api.post(f"{base}/checkpoint", json={"parts": [
        {"part_number": 1, "part_token": token}]}).get_json()
    assert inspected["missing_parts"] == [2]


AWKWARD_KEYS = ["plain", "with space/and+plus", "naïve/файл 日本.txt", "double//slash",
                "tilde~and%percent", "q?hash#amp&eq=", "k" * 900]


@pytest.mark.parametrize("key", AWKWARD_KEYS, ids=range(len(AWKWARD_KEYS)))
def test_presigner_urls_for_awkward_keys_are_accepted(s3: S3Endpoint, s3_admin: Any,
                                                      bucket: str, key: str) -> None:
    from gateway.storage.presigner import S3Presigner, SigningCredentials
    from gateway.uploads.policy import utcnow

    presigner = S3Presigner(endpoint_url=s3.url, region=s3.region)
    credentials = SigningCredentials(s3.access_key, s3.secret_key)
    upload_id = s3_admin.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    urls = presigner.presign_parts(credentials, bucket=bucket, key=key, upload_id=upload_id,
                                   part_numbers=[1, 2], expires_in=300, now=utcnow())
    first, last = random_bytes(5 * MIB), b"tail"
    etags = [put_part(urls[0], first), put_part(urls[1], last)]
    s3_admin.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                       MultipartUpload={"Parts": [
                                           {"PartNumber": n, "ETag": e}
                                           for n, e in enumerate(etags, start=1)]})
    get = presigner.presign_object(credentials, method="GET", bucket=bucket, key=key,
                                   expires_in=300, now=utcnow(),
                                   query={"response-content-type": "application/x-test"})
    response = requests.get(get, timeout=60)
    assert response.status_code == 200 and response.content == first + last
    assert response.headers["Content-Type"] == "application/x-test"
