"""POST /v1/files: a whole file in one multipart/form-data request, streamed to the store."""

from __future__ import annotations

import io
from typing import Any

import google_crc32c
import pytest
from flask import Flask

from gateway.config import Settings
from gateway.storage.timing import add_store_observer
from gateway.uploads.checksums import format_crc32c
from tests.support.api import MIB, Api, random_bytes
from tests.support.forms import Part, form_body, form_type
from tests.support.leftovers import assert_nothing_stored, row_counts, store_contents


def post_form(api: Api, parts: list[Part], **extra: Any) -> Any:
    return api.client.post("/v1/files", data=form_body(parts), content_type=form_type(),
                           headers={"Authorization": f"Bearer {api.key}"}, **extra)


def stored_object(s3_admin: Any, bucket: str) -> dict[str, Any]:
    [key] = store_contents(s3_admin, bucket)["objects"]
    found: dict[str, Any] = s3_admin.get_object(Bucket=bucket, Key=key)
    found["data"] = found["Body"].read()
    return found


@pytest.mark.parametrize("size", [0, 1000, 5 * MIB, 5 * MIB + 1, 12 * MIB + 7])
def test_form_upload_stores_the_file_with_its_crc32c(api: Api, s3_admin: Any, bucket: str,
                                                     settings: Settings, size: int) -> None:
    data = random_bytes(size)
    response = post_form(api, [Part("file", data, "report.bin", "application/x-test")])
    assert response.status_code == 201, response.get_json()
    file = response.get_json()
    assert file["num_bytes"] == size and file["filename"] == "report.bin"
    assert file["content_type"] == "application/x-test" and file["upload_id"] is None
    assert file["checksum"]["crc32c"] == format_crc32c(google_crc32c.value(data))
    assert response.headers["Location"].endswith(f"/v1/files/{file['file_id']}")
    assert api.get(f"/v1/files/{file['file_id']}").get_json() == file
    stored = stored_object(s3_admin, bucket)
    assert stored["data"] == data and stored["ContentType"] == "application/x-test"
    # Up to one part (5 MiB here) is one PutObject; beyond, a multipart upload ("-N" ETag).
    assert ("-" in stored["ETag"]) == (size > 5 * MIB)
    assert store_contents(s3_admin, bucket)["uploads"] == {}
    assert row_counts(settings) == {"uploads": 0, "upload_parts": 0, "files": 1}


def test_fields_name_and_type_the_file_in_any_order(api: Api) -> None:
    before = post_form(api, [Part("filename", "chosen name.txt"), Part("content_type",
                             "text/plain"), Part("file", b"abc", "ignored.bin", "x/y")])
    after = post_form(api, [Part("file", b"abc", "ignored.bin", "x/y"),
                            Part("filename", "chosen name.txt"),
                            Part("content_type", "text/plain")])
    for response in (before, after):
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["filename"] == "chosen name.txt"
        assert response.get_json()["content_type"] == "text/plain"
    plain = post_form(api, [Part("file", b"abc", "plain.dat")]).get_json()
    assert plain["content_type"] == "application/octet-stream" and plain["filename"] == "plain.dat"


def test_a_file_field_without_a_filename_takes_the_filename_field(api: Api) -> None:
    response = post_form(api, [Part("filename", "named.txt"), Part("file", b"data")])
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["filename"] == "named.txt"


def test_integrity_checksum_is_checked(api: Api, settings: Settings, s3_admin: Any) -> None:
    data = random_bytes(6 * MIB)
    good = format_crc32c(google_crc32c.value(data))
    ok = post_form(api, [Part("integrity_checksum", good), Part("file", data, "a.bin")])
    assert ok.status_code == 201 and ok.get_json()["checksum"]["crc32c"] == good
    assert api.delete(f"/v1/files/{ok.get_json()['file_id']}").status_code == 204
    bad = post_form(api, [Part("file", data, "a.bin"), Part("integrity_checksum", "00000000")])
    assert bad.status_code == 422 and bad.get_json()["error"] == "checksum_mismatch"
    assert_nothing_stored(settings, s3_admin)


def test_the_openapi_document_describes_the_form(app: Flask) -> None:
    spec = app.test_client().get("/openapi.json").get_json()
    body = spec["paths"]["/v1/files"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in body
    assert spec["components"]["schemas"]["FileForm"]["required"] == ["file"]


def test_a_werkzeug_encoded_form_works_too(api: Api) -> None:
    response = api.client.post("/v1/files", headers={"Authorization": f"Bearer {api.key}"},
                               data={"file": (io.BytesIO(b"hello"), "hello.txt", "text/plain")})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["num_bytes"] == 5


def test_store_calls_of_a_small_form_are_one_put(api: Api) -> None:
    calls: list[str] = []
    add_store_observer(lambda op, _s, _f: calls.append(op))
    before = len(calls)
    assert post_form(api, [Part("file", b"x" * 100, "x.txt")]).status_code == 201
    assert calls[before:] == ["PutObject"]
