"""PUT /v1/uploads/{id}/parts/{n}: parts streamed through the gateway and checkpointed."""

from __future__ import annotations

import io
from typing import Any

import google_crc32c
import pytest

from gateway.config import Settings
from gateway.storage.timing import add_store_observer
from gateway.uploads.checksums import format_crc32c
from tests.integration.test_errors import assert_error
from tests.support.api import MIB, Api, put_part, random_bytes, slice_part
from tests.support.leftovers import row_counts, store_contents


def put_proxied(api: Api, upload_id: str, number: int, data: bytes, *,
                chunked: bool = False) -> Any:
    path = f"/v1/uploads/{upload_id}/parts/{number}"
    headers = {"Authorization": f"Bearer {api.key}", "Content-Type": "application/octet-stream"}
    if chunked:  # no Content-Length: the server ends the stream, as gunicorn does
        return api.client.put(path, input_stream=io.BytesIO(data), headers={
            **headers, "Transfer-Encoding": "chunked"},
            environ_overrides={"wsgi.input_terminated": True})
    return api.client.put(path, data=data, headers=headers)


def store_parts(s3_admin: Any, bucket: str) -> list[int]:
    """Part numbers the store holds across the bucket's open multipart uploads."""
    return sorted(n for parts in store_contents(s3_admin, bucket)["uploads"].values()
                  for n in parts)


@pytest.mark.parametrize("chunked", [False, True])
def test_proxied_parts_complete_into_the_file(api: Api, chunked: bool) -> None:
    data = random_bytes(12 * MIB + 7)
    upload = api.initiate("proxied.bin", len(data))
    assert upload["num_parts"] == 3
    for number in (3, 1, 2):
        chunk = slice_part(data, number, upload["part_size"])
        response = put_proxied(api, upload["upload_id"], number, chunk, chunked=chunked)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["part_number"] == number and body["size"] == len(chunk)
        assert body["crc32c"] == format_crc32c(google_crc32c.value(chunk))
        assert body["part_token"].startswith('"')
    state = api.get(f"/v1/uploads/{upload['upload_id']}").get_json()
    assert [p["part_number"] for p in state["checkpointed_parts"]] == [1, 2, 3]
    assert state["missing_parts"] == [] and state["bytes_checkpointed"] == len(data)
    crc = format_crc32c(google_crc32c.value(data))
    done = api.post(f"/v1/uploads/{upload['upload_id']}/complete",
                    json={"integrity_checksum": crc})
    assert done.status_code == 200, done.get_json()
    file = done.get_json()
    assert file["num_bytes"] == len(data) and file["checksum"]["crc32c"] == crc
    assert api.get(f"/v1/files/{file['file_id']}/content?proxy=true").data == data


def test_proxied_and_presigned_parts_mix_and_a_re_put_replaces(api: Api) -> None:
    data = random_bytes(10 * MIB + 3)
    upload = api.initiate("mixed.bin", len(data))
    size = upload["part_size"]
    direct = put_part(upload["parts"][0]["url"], slice_part(data, 1, size))
    wrong = random_bytes(size)
    assert put_proxied(api, upload["upload_id"], 2, wrong).status_code == 200
    again = put_proxied(api, upload["upload_id"], 2, slice_part(data, 2, size))
    assert again.status_code == 200
    state = api.get(f"/v1/uploads/{upload['upload_id']}").get_json()
    assert state["checkpointed_parts"][0]["part_token"] == again.get_json()["part_token"]
    done = api.post(f"/v1/uploads/{upload['upload_id']}/complete", json={"parts": [
        {"part_number": 1, "part_token": direct}, {"part_number": 3, "part_token": put_part(
            upload["parts"][2]["url"], slice_part(data, 3, size))}]})
    assert done.status_code == 200, done.get_json()
    file_id = done.get_json()["file_id"]
    assert api.get(f"/v1/files/{file_id}/content?proxy=true").data == data


@pytest.mark.parametrize("number,size", [(1, 5 * MIB - 1), (1, 5 * MIB + 1), (2, 99), (2, 101)])
def test_a_part_of_the_wrong_length_is_422_before_any_store_call(
        api: Api, s3_admin: Any, bucket: str, settings: Settings, number: int,
        size: int) -> None:
    upload = api.initiate("sized.bin", 5 * MIB + 100)  # parts: 5 MiB, then 100 bytes
    calls: list[str] = []
    add_store_observer(lambda op, _s, _f: calls.append(op))
    before = len(calls)
    error = assert_error(put_proxied(api, upload["upload_id"], number, b"x" * size), 422,
                         "size_mismatch")
    assert error["details"]["part_number"] == number
    assert error["details"]["received_bytes"] == size
    assert calls[before:] == []
    assert store_parts(s3_admin, bucket) == [] and row_counts(settings)["upload_parts"] == 0


@pytest.mark.parametrize("size", [5 * MIB - 1, 5 * MIB + 1, 0])
def test_a_chunked_part_of_the_wrong_length_leaves_nothing_in_the_store(
        api: Api, s3_admin: Any, bucket: str, settings: Settings, size: int) -> None:
    upload = api.initiate("chunked.bin", 5 * MIB + 100)
    response = put_proxied(api, upload["upload_id"], 1, random_bytes(size), chunked=True)
    error = assert_error(response, 422, "size_mismatch")
    assert error["details"]["expected_bytes"] == 5 * MIB
    assert store_parts(s3_admin, bucket) == [] and row_counts(settings)["upload_parts"] == 0
    assert api.get(f"/v1/uploads/{upload['upload_id']}").get_json()["status"] == "in_progress"


@pytest.mark.parametrize("num_bytes,number", [(10 * MIB, 0), (10 * MIB, 3), (10 * MIB, -1),
                                              (None, 0), (None, 10_001)])
def test_part_numbers_outside_the_plan_are_422(api: Api, s3_admin: Any, bucket: str,
                                               settings: Settings, num_bytes: int | None,
                                               number: int) -> None:
    upload = api.initiate("range.bin", num_bytes)
    error = assert_error(put_proxied(api, upload["upload_id"], number, b"x" * 10), 422,
                         "part_out_of_range")
    assert error["details"]["part_numbers"] == [number]
    assert store_parts(s3_admin, bucket) == [] and row_counts(settings)["upload_parts"] == 0


@pytest.mark.parametrize("end", ["abort", "complete"])
def test_an_upload_not_in_progress_takes_no_part(api: Api, s3_admin: Any, bucket: str,
                                                 settings: Settings, end: str) -> None:
    upload = api.initiate("ended.bin", 100)
    if end == "complete":
        assert put_proxied(api, upload["upload_id"], 1, b"y" * 100).status_code == 200
    assert api.post(f"/v1/uploads/{upload['upload_id']}/{end}").status_code == 200
    parts_before = row_counts(settings)["upload_parts"]
    objects_before = store_contents(s3_admin, bucket)
    error = assert_error(put_proxied(api, upload["upload_id"], 1, b"z" * 100), 409,
                         "invalid_state")
    assert error["details"]["status"] in ("aborted", "completed")
    assert row_counts(settings)["upload_parts"] == parts_before
    assert store_contents(s3_admin, bucket) == objects_before


def test_unknown_and_foreign_uploads_are_404(api: Api, other_api: Api) -> None:
    upload = api.initiate("mine.bin", 100)
    assert_error(put_proxied(api, "no-such-upload", 1, b"x"), 404, "upload_not_found")
    assert_error(put_proxied(other_api, upload["upload_id"], 1, b"x" * 100), 404,
                 "upload_not_found")


def test_unknown_length_parts_need_a_length_and_fit_the_part_size(
        api: Api, s3_admin: Any, bucket: str, settings: Settings) -> None:
    upload = api.initiate("stream.log", None)
    error = assert_error(put_proxied(api, upload["upload_id"], 1, b"x" * 10, chunked=True),
                         411, "length_required")
    assert error["details"]["max_part_size"] == upload["part_size"]
    error = assert_error(put_proxied(api, upload["upload_id"], 1,
                                     b"x" * (upload["part_size"] + 1)), 422, "size_mismatch")
    assert store_parts(s3_admin, bucket) == [] and row_counts(settings)["upload_parts"] == 0


def test_a_body_that_breaks_off_is_400_and_leaves_nothing(api: Api, s3_admin: Any,
                                                          bucket: str,
                                                          settings: Settings) -> None:
    upload = api.initiate("broken.bin", 100)
    response = api.client.put(f"/v1/uploads/{upload['upload_id']}/parts/1",
                              input_stream=io.BytesIO(b"x" * 60),
                              environ_overrides={"CONTENT_LENGTH": "100"},  # says 100, sends 60
                              headers={"Authorization": f"Bearer {api.key}"})
    error = assert_error(response, 400, "incomplete_body")
    assert error["retryable"] is True
    assert store_parts(s3_admin, bucket) == [] and row_counts(settings)["upload_parts"] == 0

