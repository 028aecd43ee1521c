"""Files: metadata, listing, download redirect and link, deletion."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests

from tests.support.api import Api, random_bytes, upload_all_parts


def make_file(api: Api, name: str, data: bytes, content_type: str = "text/plain"
              ) -> dict[str, Any]:
    upload = api.initiate(name, len(data), content_type=content_type)
    tokens = upload_all_parts(upload, data)
    response = api.post(f"/v1/uploads/{upload['upload_id']}/complete", json={"parts": tokens})
    assert response.status_code == 200, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def test_download_redirects_to_a_presigned_get_naming_the_file(api: Api) -> None:
    data = random_bytes(1000)
    name = "résumé 2026 \"final\"/../x.txt"
    file = make_file(api, name, data)
    response = api.get(f"/v1/files/{file['file_id']}/content")
    assert response.status_code == 302
    location = response.headers["Location"]
    disposition = parse_qs(urlsplit(location).query)["response-content-disposition"][0]
    assert disposition.startswith("attachment; filename=\"")
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == name
    downloaded = requests.get(location, timeout=30)
    assert downloaded.status_code == 200 and downloaded.content == data
    assert downloaded.headers["Content-Type"] == "text/plain"


def test_object_key_is_not_derived_from_the_filename(api: Api, s3_admin: Any,
                                                     bucket: str) -> None:
    make_file(api, "../../etc/passwd", b"x")
    keys = [o["Key"] for o in s3_admin.list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) == 1 and "passwd" not in keys[0] and ".." not in keys[0]


def test_metadata_list_and_delete(api: Api, s3_admin: Any, bucket: str) -> None:
    files = [make_file(api, f"doc{i}.txt", random_bytes(10 + i)) for i in range(3)]
    meta = api.get(f"/v1/files/{files[0]['file_id']}").get_json()
    assert meta == files[0]
    page = api.get("/v1/files?limit=2").get_json()
    assert [f["file_id"] for f in page["items"]] == [files[2]["file_id"], files[1]["file_id"]]
    rest = api.get(f"/v1/files?limit=2&cursor={page['next_cursor']}").get_json()
    assert [f["file_id"] for f in rest["items"]] == [files[0]["file_id"]]
    assert rest["next_cursor"] is None

    assert api.delete(f"/v1/files/{files[0]['file_id']}").status_code == 204
    assert api.get(f"/v1/files/{files[0]['file_id']}").status_code == 404
    assert api.delete(f"/v1/files/{files[0]['file_id']}").status_code == 404
    assert len(s3_admin.list_objects_v2(Bucket=bucket)["Contents"]) == 2


def test_download_link_as_json(api: Api) -> None:
    file = make_file(api, "a.txt", b"hello")
    link = api.get(f"/v1/files/{file['file_id']}/content?redirect=false&expires_in=120")
    body = link.get_json()
    assert link.status_code == 200 and set(body) == {"url", "expires_at"}
    assert parse_qs(urlsplit(body["url"]).query)["X-Amz-Expires"] == ["120"]
    assert requests.get(body["url"], timeout=30).content == b"hello"
