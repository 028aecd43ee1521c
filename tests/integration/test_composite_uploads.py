"""Composite uploads: each part signed and sent with its CRC32C, the file's CRC32C combined.

Against moto (which computes each part's CRC32C itself and reports the composite) and, in
the strict lane, Ceph RGW (which reports no checksum: the gateway reads the object back).
"""

from __future__ import annotations

import base64
from typing import Any

import google_crc32c
import pytest
import requests
from flask import Flask

from gateway.app import create_app
from gateway.config import Settings
from gateway.uploads.policy import utcnow
from tests.support.api import MIB, Api, random_bytes, slice_part
from tests.support.s3server import S3Endpoint


def crc_b64(data: bytes) -> str:
    return base64.b64encode(google_crc32c.value(data).to_bytes(4, "big")).decode()


def sign(api: Api, upload: dict[str, Any], data: bytes, numbers: list[int],
         crc_of: dict[int, bytes] | None = None) -> list[dict[str, Any]]:
    """POST .../urls with each part's CRC32C (of `crc_of[n]` if given, else the part's bytes)."""
    size = upload["part_size"]
    body = {"parts": [{"part_number": n, "crc32c": crc_b64(
        (crc_of or {}).get(n, slice_part(data, n, size)))} for n in numbers]}
    response = api.post(f"/v1/uploads/{upload['upload_id']}/urls", json=body)
    assert response.status_code == 200, response.get_json()
    parts: list[dict[str, Any]] = response.get_json()["parts"]
    return parts


def put_signed(part: dict[str, Any], body: bytes) -> str:
    """PUT to a part URL with the headers it signs, as any HTTP client would."""
    response = requests.put(part["url"], data=body, headers=part["headers"], timeout=60)
    assert response.status_code == 200, (response.status_code, response.text[:500])
    return response.headers["ETag"]


def composite_upload(api: Api, size: int, name: str = "c.bin"
                     ) -> tuple[dict[str, Any], bytes, list[dict[str, Any]]]:
    """Initiate a composite upload, send every part signed with its CRC32C; the claims."""
    data = random_bytes(size)
    upload = api.initiate(name, size, checksum_type="composite")
    numbers = [p["part_number"] for p in upload["parts"]]
    claims = []
    for part in sign(api, upload, data, numbers):
        n = part["part_number"]
        body = slice_part(data, n, upload["part_size"])
        claims.append({"part_number": n, "part_token": put_signed(part, body),
                       "crc32c": crc_b64(body)})
    return upload, data, claims


def download(api: Api, file_id: str) -> bytes:
    link = api.get(f"/v1/files/{file_id}/content?redirect=false").get_json()
    return requests.get(link["url"], timeout=60).content


def test_initiate_lists_parts_to_sign_with_their_crc32c(api: Api) -> None:
    upload = api.initiate("c.bin", 11 * MIB, checksum_type="composite")
    assert upload["checksum_type"] == "composite"
    assert upload["parts"] == [{"part_number": n, "url": None, "expires_at": None}
                               for n in (1, 2, 3)]
    data = random_bytes(11 * MIB)
    [part] = sign(api, upload, data, [2])
    assert part["headers"] == {"x-amz-checksum-crc32c": crc_b64(slice_part(data, 2, 5 * MIB))}
    assert "X-Amz-SignedHeaders=host%3Bx-amz-checksum-crc32c&" in part["url"]


@pytest.mark.parametrize("with_integrity", [True, False], ids=["integrity", "parts-only"])
def test_composite_upload_completes_with_the_whole_files_crc32c(
        api: Api, s3_admin: Any, bucket: str, open_uploads: Any, with_integrity: bool) -> None:
    upload, data, claims = composite_upload(api, 11 * MIB)
    uid = upload["upload_id"]
    checkpointed = api.post(f"/v1/uploads/{uid}/checkpoint", json={"parts": claims[:2]})
    assert checkpointed.status_code == 200, checkpointed.get_json()
    view = checkpointed.get_json()
    assert view["checksum_type"] == "composite" and view["missing_parts"] == [3]
    assert [p["crc32c"] for p in view["checkpointed_parts"]] == [c["crc32c"] for c in claims[:2]]
    body: dict[str, Any] = {"parts": claims[2:]}
    if with_integrity:
        body["integrity_checksum"] = crc_b64(data)
    done = api.post(f"/v1/uploads/{uid}/complete", json=body)
    assert done.status_code == 200, done.get_json()
    file = done.get_json()
    assert file["checksum"]["crc32c"] == crc_b64(data) and file["num_bytes"] == len(data)
    assert download(api, file["file_id"]) == data
    assert open_uploads() == []


def test_a_part_stored_with_other_bytes_than_its_crc32c_fails_the_upload(
        api: Api, s3: S3Endpoint, s3_admin: Any, bucket: str, open_uploads: Any) -> None:
    data = random_bytes(11 * MIB)
    upload = api.initiate("bad.bin", len(data), checksum_type="composite")
    size = upload["part_size"]
    # Part 2 is signed with its CRC32C, then other bytes of the same length are sent: a store
    # that checks (AWS) refuses the PUT; one that does not (moto, Ceph) keeps them.
    corrupted = random_bytes(size)
    claims = []
    for part in sign(api, upload, data, [1, 2, 3]):
        n = part["part_number"]
        body = corrupted if n == 2 else slice_part(data, n, size)
        claims.append({"part_number": n, "part_token": put_signed(part, body),
                       "crc32c": crc_b64(slice_part(data, n, size))})
    done = api.post(f"/v1/uploads/{upload['upload_id']}/complete",
                    json={"parts": claims, "integrity_checksum": crc_b64(data)})
    answer = done.get_json()
    assert done.status_code == 422 and answer["error"] == "checksum_mismatch", answer
    # moto reports the composite CRC32C of the parts it holds; Ceph none (read back).
    caught_by = "store's composite CRC32C" if not s3.strict else "stored object's CRC32C is"
    assert caught_by in answer["message"], answer
    inspected = api.get(f"/v1/uploads/{upload['upload_id']}").get_json()
    assert inspected["status"] == "failed"
    assert s3_admin.list_objects_v2(Bucket=bucket).get("Contents", []) == []
    assert open_uploads() == []


def test_integrity_checksum_must_match_the_parts_crc32cs(api: Api, open_uploads: Any) -> None:
    upload, data, claims = composite_upload(api, 6 * MIB)
    done = api.post(f"/v1/uploads/{upload['upload_id']}/complete",
                    json={"parts": claims, "integrity_checksum": crc_b64(data + b"!")})
    answer = done.get_json()
    assert done.status_code == 422 and answer["error"] == "checksum_mismatch", answer
    assert "the CRC32Cs the parts were sent with" in answer["message"]
    assert open_uploads() == []


def test_composite_parts_need_their_crc32c(api: Api) -> None:
    upload, _, claims = composite_upload(api, 6 * MIB)
    uid = upload["upload_id"]
    unsigned = api.post(f"/v1/uploads/{uid}/urls", json={"part_numbers": [1]})
    assert unsigned.status_code == 422 and "composite" in unsigned.get_json()["message"]
    bare = [{k: v for k, v in c.items() if k != "crc32c"} for c in claims]
    for path in ("checkpoint", "complete"):
        refused = api.post(f"/v1/uploads/{uid}/{path}", json={"parts": bare})
        answer = refused.get_json()
        assert refused.status_code == 422, answer
        assert answer["details"]["part_numbers"] == [1, 2], answer
    assert api.get(f"/v1/uploads/{uid}").get_json()["checkpointed_parts"] == []
    proxied = api.client.put(f"/v1/uploads/{uid}/parts/1", data=b"x" * 10,
                             headers={"Authorization": f"Bearer {api.key}"})
    assert proxied.status_code == 409
    assert proxied.get_json()["error"] == "checksum_type_conflict"


def test_full_object_parts_carry_no_crc32c(api: Api) -> None:
    data = random_bytes(6 * MIB)
    upload = api.initiate("f.bin", len(data))
    assert upload["checksum_type"] == "full_object" and upload["parts"][0]["url"]
    uid = upload["upload_id"]
    signed = api.post(f"/v1/uploads/{uid}/urls",
                      json={"parts": [{"part_number": 1, "crc32c": crc_b64(data)}]})
    assert signed.status_code == 422 and "full_object" in signed.get_json()["message"]
    refused = api.post(f"/v1/uploads/{uid}/checkpoint", json={"parts": [
        {"part_number": 1, "part_token": "abc", "crc32c": "AAAAAA=="}]})
    assert refused.status_code == 422 and refused.get_json()["details"]["part_numbers"] == [1]


@pytest.mark.parametrize("body", [{}, {"part_numbers": [1], "parts": [
    {"part_number": 1, "crc32c": "AAAAAA=="}]}, {"parts": [{"part_number": 1}]},
    {"parts": [{"part_number": 1, "crc32c": "not a crc"}]}], ids=["neither", "both",
                                                                   "no-crc", "bad-crc"])
def test_url_requests_name_parts_one_way(api: Api, body: dict[str, Any]) -> None:
    upload = api.initiate("u.bin", 6 * MIB, checksum_type="composite")
    response = api.post(f"/v1/uploads/{upload['upload_id']}/urls", json=body)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"] == "validation_error"


def test_resume_keeps_the_uploads_own_checksum_type(api: Api) -> None:
    first = api.initiate("r.bin", 6 * MIB, resume_if_started=True)
    again = api.initiate("r.bin", 6 * MIB, expect=200, resume_if_started=True,
                         checksum_type="composite")
    assert again["upload_id"] == first["upload_id"] and again["checksum_type"] == "full_object"
    assert again["parts"][0]["url"]
    composite = api.initiate("s.bin", 6 * MIB, resume_if_started=True,
                             checksum_type="composite")
    resumed = api.initiate("s.bin", 6 * MIB, expect=200, resume_if_started=True)
    assert resumed["upload_id"] == composite["upload_id"]
    assert resumed["checksum_type"] == "composite" and resumed["parts"][0]["url"] is None


@pytest.mark.parametrize("num_bytes", [0, None], ids=["empty", "unknown-length"])
def test_composite_needs_parts_of_known_length(api: Api, num_bytes: int | None) -> None:
    upload = api.initiate("e.bin", num_bytes, checksum_type="composite")
    assert upload["checksum_type"] == "full_object"


def test_without_store_checksums_uploads_are_full_object(settings: Settings) -> None:
    app: Flask = create_app(settings.with_overrides(s3_full_object_crc32c=False), migrate=True)
    try:
        _, key = app.extensions["gateway"].keys.create_key("t", utcnow())
        api = Api(app.test_client(), key)
        assert api.initiate("n.bin", 6 * MIB, checksum_type="composite")["checksum_type"] \
            == "full_object"
    finally:
        app.extensions["gateway"].close()


@pytest.mark.strict
def test_a_signed_checksum_header_must_be_sent(api: Api, s3: S3Endpoint) -> None:
    if not s3.strict:
        pytest.skip("moto checks no signature (make test-strict)")
    data = random_bytes(6 * MIB)
    upload = api.initiate("h.bin", len(data), checksum_type="composite")
    [part] = sign(api, upload, data, [1])
    response = requests.put(part["url"], data=data, timeout=60)
    assert response.status_code == 403, response.text[:300]
