"""GET /v1/files/{id}/content?proxy=true: bytes through the gateway, with HTTP Range."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.test_errors import assert_error
from tests.support.api import MIB, Api, random_bytes
from tests.support.forms import Part, form_body, form_type

DATA = random_bytes(1000)


def upload(api: Api, data: bytes, name: str = "doc.txt", content_type: str = "text/plain"
           ) -> dict[str, Any]:
    response = api.client.post("/v1/files", data=form_body([Part("file", data, name,
                                                                 content_type)]),
                               content_type=form_type(),
                               headers={"Authorization": f"Bearer {api.key}"})
    assert response.status_code == 201, response.get_json()
    file: dict[str, Any] = response.get_json()
    return file


def download(api: Api, file_id: str, method: str = "GET", **headers: str) -> Any:
    return api.client.open(f"/v1/files/{file_id}/content?proxy=true", method=method,
                           headers={"Authorization": f"Bearer {api.key}", **headers})


def test_the_whole_file_with_its_headers(api: Api) -> None:
    file = upload(api, DATA, "résumé.txt")
    response = download(api, file["file_id"])
    assert response.status_code == 200 and response.data == DATA
    assert response.headers["Content-Length"] == "1000"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Content-Type"] == "text/plain"
    assert response.headers["ETag"] == f'"{file["file_id"]}"'
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9.txt" in response.headers["Content-Disposition"]
    assert response.headers["Content-Disposition"].startswith("attachment;")
    inline = api.get(f"/v1/files/{file['file_id']}/content?proxy=true&inline=true")
    assert inline.headers["Content-Disposition"].startswith("inline;")


@pytest.mark.parametrize("header,first,last", [
    ("bytes=0-99", 0, 99),
    ("bytes=990-", 990, 999),
    ("bytes=-10", 990, 999),
    ("bytes=-5000", 0, 999),
    ("bytes=900-5000", 900, 999),
    ("bytes=999-999", 999, 999),
    ("BYTES = 5 - 6", 5, 6),
])
def test_a_range_is_206_with_its_content_range(api: Api, header: str, first: int,
                                               last: int) -> None:
    file = upload(api, DATA)
    response = download(api, file["file_id"], Range=header)
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes {first}-{last}/1000"
    assert response.headers["Content-Length"] == str(last - first + 1)
    assert response.data == DATA[first:last + 1]


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "bytes=abc", "bytes=5-2", "items=0-1",
                                    "bytes=-"])
def test_ranges_it_does_not_serve_are_ignored(api: Api, header: str) -> None:
    file = upload(api, DATA)
    response = download(api, file["file_id"], Range=header)
    assert response.status_code == 200 and response.data == DATA
    assert "Content-Range" not in response.headers


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=1000-2000", "bytes=-0"])
def test_a_range_past_the_end_is_416(api: Api, header: str) -> None:
    file = upload(api, DATA)
    response = download(api, file["file_id"], Range=header)
    error = assert_error(response, 416, "range_not_satisfiable")
    assert error["details"]["size"] == 1000
    assert response.headers["Content-Range"] == "bytes */1000"


def test_if_range_serves_the_range_only_for_the_current_file(api: Api) -> None:
    file = upload(api, DATA)
    etag = f'"{file["file_id"]}"'
    same = download(api, file["file_id"], Range="bytes=0-9", **{"If-Range": etag})
    assert same.status_code == 206 and same.data == DATA[:10]
    other = download(api, file["file_id"], Range="bytes=0-9", **{"If-Range": '"other"'})
    assert other.status_code == 200 and other.data == DATA


def test_an_empty_file(api: Api) -> None:
    file = upload(api, b"")
    whole = download(api, file["file_id"])
    assert whole.status_code == 200 and whole.data == b""
    assert whole.headers["Content-Length"] == "0"
    assert_error(download(api, file["file_id"], Range="bytes=0-"), 416, "range_not_satisfiable")


def test_head_gives_the_headers_only(api: Api) -> None:
    file = upload(api, DATA)
    response = download(api, file["file_id"], method="HEAD", Range="bytes=10-19")
    assert response.status_code == 206 and response.data == b""
    assert response.headers["Content-Length"] == "10"


def test_a_range_across_parts_of_a_multipart_object(api: Api) -> None:
    data = random_bytes(12 * MIB)
    file = upload(api, data, "big.bin", "application/octet-stream")
    first, last = 5 * MIB - 10, 10 * MIB + 10
    response = download(api, file["file_id"], Range=f"bytes={first}-{last}")
    assert response.status_code == 206 and response.data == data[first:last + 1]


def test_foreign_and_unknown_files_are_404(api: Api, other_api: Api) -> None:
    file = upload(api, DATA)
    assert_error(download(other_api, file["file_id"]), 404, "file_not_found")
    assert_error(download(api, "no-such-file"), 404, "file_not_found")


def test_an_object_gone_from_the_store_is_502(api: Api, s3_admin: Any, bucket: str) -> None:
    file = upload(api, DATA)
    [item] = s3_admin.list_objects_v2(Bucket=bucket)["Contents"]
    s3_admin.delete_object(Bucket=bucket, Key=item["Key"])
    assert_error(download(api, file["file_id"]), 502, "store_error")


def test_redirect_false_still_answers_the_presigned_url(api: Api) -> None:
    file = upload(api, DATA)
    link = api.get(f"/v1/files/{file['file_id']}/content?redirect=false")
    assert link.status_code == 200 and set(link.get_json()) == {"url", "expires_at"}
