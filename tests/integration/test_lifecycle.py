"""The native upload lifecycle end to end: initiate, PUT parts, checkpoint, complete, download."""

from __future__ import annotations

import base64
from typing import Any

import google_crc32c
import pytest
import requests

from tests.support.api import MIB, Api, put_part, random_bytes, slice_part, upload_all_parts


def crc_b64(data: bytes) -> str:
    return base64.b64encode(google_crc32c.value(data).to_bytes(4, "big")).decode()


@pytest.mark.parametrize("size", [
    1, 5 * MIB, 10 * MIB, 12 * MIB + 3,
], ids=["1-byte", "exactly-one-part", "two-exact-parts", "short-last-part"])
def test_upload_completes_byte_identical(api: Api, s3_admin: Any, bucket: str, size: int,
                                         open_uploads: Any) -> None:
    data = random_bytes(size)
    upload = api.initiate("report.bin", size, content_type="application/x-test")
    assert upload["num_parts"] == len(upload["parts"]) == -(-size // upload["part_size"])
    tokens = upload_all_parts(upload, data)
    inspected = api.post(f"/v1/uploads/{upload['upload_id']}/checkpoint",
                         json={"parts": tokens}).get_json()
    assert inspected["missing_parts"] == []
    assert inspected["bytes_checkpointed"] == size

    response = api.post(f"/v1/uploads/{upload['upload_id']}/complete",
                        json={"integrity_checksum": crc_b64(data)})
    assert response.status_code == 200, response.get_json()
    file = response.get_json()
    assert file["file_id"] == upload["file_id"]
    assert file["num_bytes"] == size
    assert file["checksum"]["crc32c"] == crc_b64(data)
    assert file["status"] == "available"

    link = api.get(f"/v1/files/{file['file_id']}/content?redirect=false").get_json()
    downloaded = requests.get(link["url"], timeout=60)
    assert downloaded.content == data
    assert "report.bin" in downloaded.headers["Content-Disposition"]
    assert open_uploads() == []


def test_zero_byte_file_completes_to_empty_object(api: Api, s3_admin: Any, bucket: str) -> None:
    upload = api.initiate("empty.txt", 0)
    assert upload["num_parts"] == 0 and upload["parts"] == []
    response = api.post(f"/v1/uploads/{upload['upload_id']}/complete",
                        json={"integrity_checksum": "00000000"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["num_bytes"] == 0
    head = s3_admin.head_object(Bucket=bucket, Key=_key_of(api, upload))
    assert head["ContentLength"] == 0


def test_complete_accepts_tokens_not_checkpointed(api: Api) -> None:
    data = random_bytes(11 * MIB)
    upload = api.initiate("a.bin", len(data))
    tokens = upload_all_parts(upload, data)
    response = api.post(f"/v1/uploads/{upload['upload_id']}/complete", json={"parts": tokens})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["checksum"]["crc32c"] in (crc_b64(data), None)


def test_complete_is_idempotent(api: Api) -> None:
    data = random_bytes(6 * MIB)
    upload = api.initiate("twice.bin", len(data))
    tokens = upload_all_parts(upload, data)
    first = api.post(f"/v1/uploads/{upload['upload_id']}/complete", json={"parts": tokens})
    second = api.post(f"/v1/uploads/{upload['upload_id']}/complete", json={})
    assert first.status_code == second.status_code == 200
    assert first.get_json() == second.get_json()
    status = api.get(f"/v1/uploads/{upload['upload_id']}").get_json()["status"]
    assert status == "completed"


def test_resume_returns_only_parts_not_checkpointed(api: Api) -> None:
    data = random_bytes(16 * MIB)
    first = api.initiate("big.iso", len(data), resume_if_started=True)
    part1 = first["parts"][0]
    token = put_part(part1["url"], slice_part(data, 1, first["part_size"]))
    api.post(f"/v1/uploads/{first['upload_id']}/checkpoint",
             json={"parts": [{"part_number": 1, "part_token": token}]})

    again = api.initiate("big.iso", len(data), expect=200, resume_if_started=True)
    assert again["resumed"] is True
    assert again["upload_id"] == first["upload_id"]
    assert [p["part_number"] for p in again["parts"]] == [2, 3, 4]
    tokens = upload_all_parts(again, data)
    done = api.post(f"/v1/uploads/{again['upload_id']}/complete", json={"parts": tokens})
    assert done.status_code == 200, done.get_json()
    link = api.get(f"/v1/files/{done.get_json()['file_id']}/content?redirect=false").get_json()
    assert requests.get(link["url"], timeout=60).content == data


def _key_of(api: Api, upload: dict[str, Any]) -> str:
    app = api.client.application
    services = app.extensions["gateway"]
    tenant = services.keys.authenticate(api.key)
    return str(services.repository.get_upload(tenant, upload["upload_id"]).object_key)
