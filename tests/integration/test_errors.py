"""Bad input gets the one JSON error shape with the right status, and leaves nothing behind."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from gateway.storage.timing import add_store_observer
from tests.support.api import MIB, Api, put_part, random_bytes, slice_part

TIB = 1024 * 1024 * MIB


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    body: dict[str, Any] = response.get_json()
    assert response.status_code == status, body
    assert body["code"] == status and body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nope", "Basic abc",
                                    "Bearer gwk_unknown_secret"])
def test_missing_or_bad_key_is_401(app: Flask, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = app.test_client().get("/v1/uploads", headers=headers)
    assert_error(response, 401, "unauthorized")


def test_revoked_key_is_401(app: Flask, api: Api) -> None:
    keys = app.extensions["gateway"].keys
    key_id = api.key.split("_")[1]
    from gateway.uploads.policy import utcnow
    assert keys.revoke(key_id, utcnow())
    assert_error(api.get("/v1/uploads"), 401, "unauthorized")


@pytest.mark.parametrize("body,field", [
    ({}, "filename"),
    ({"filename": ""}, "filename"),
    ({"filename": "a\nb"}, "filename"),
    ({"filename": "x" * 1025}, "filename"),
    ({"filename": "a", "num_bytes": -1}, "num_bytes"),
    ({"filename": "a", "num_bytes": "12"}, "num_bytes"),
    ({"filename": "a", "num_bytes": 1.5}, "num_bytes"),
    ({"filename": "a", "metadata": {"k": 1}}, "metadata"),
    ({"filename": "a", "surprise": True}, "surprise"),
])
def test_invalid_initiate_is_422_per_field(api: Api, body: dict[str, Any], field: str,
                                           open_uploads: Any) -> None:
    error = assert_error(api.post("/v1/uploads", json=body), 422, "validation_error")
    assert field in error["errors"]["json"]
    assert open_uploads() == []
    assert api.get("/v1/uploads").get_json()["items"] == []


def test_over_maximum_is_422_without_any_store_call(api: Api, open_uploads: Any) -> None:
    calls: list[str] = []
    add_store_observer(lambda op, _s, _f: calls.append(op))
    before = len(calls)
    error = assert_error(api.post("/v1/uploads", json={"filename": "huge",
                                                       "num_bytes": 5 * TIB + 1}),
                         422, "upload_too_large")
    assert error["details"]["max_upload_bytes"] == 5 * TIB
    assert calls[before:] == []
    assert open_uploads() == []


def test_unknown_and_foreign_ids_are_404(api: Api, other_api: Api) -> None:
    upload = api.initiate("mine.bin", 10)
    for client, upload_id in ((api, "no-such-id"), (other_api, upload["upload_id"])):
        base = f"/v1/uploads/{upload_id}"
        assert_error(client.get(base), 404, "upload_not_found")
        assert_error(client.post(f"{base}/urls", json={"part_numbers": [1]}), 404,
                     "upload_not_found")
        assert_error(client.post(f"{base}/checkpoint", json={
            "parts": [{"part_number": 1, "part_token": "x"}]}), 404, "upload_not_found")
        assert_error(client.post(f"{base}/complete", json={}), 404, "upload_not_found")
        assert_error(client.post(f"{base}/abort"), 404, "upload_not_found")
        assert_error(client.delete(f"{base}/parts/1"), 404, "upload_not_found")
    assert other_api.get("/v1/uploads").get_json()["items"] == []
    assert api.get(f"/v1/uploads/{upload['upload_id']}").status_code == 200


def test_foreign_file_is_404(api: Api, other_api: Api) -> None:
    upload = api.initiate("f.txt", 0)
    file = api.post(f"/v1/uploads/{upload['upload_id']}/complete", json={}).get_json()
    for path in (f"/v1/files/{file['file_id']}", f"/v1/files/{file['file_id']}/content"):
        assert_error(other_api.get(path), 404, "file_not_found")
    assert_error(other_api.delete(f"/v1/files/{file['file_id']}"), 404, "file_not_found")
    assert other_api.get("/v1/files").get_json()["items"] == []
    assert api.get(f"/v1/files/{file['file_id']}").status_code == 200


def test_part_numbers_outside_the_plan_are_422(api: Api) -> None:
    upload = api.initiate("p.bin", 9 * MIB)  # two parts of 5 MiB
    base = f"/v1/uploads/{upload['upload_id']}"
    error = assert_error(api.post(f"{base}/urls", json={"part_numbers": [1, 3, 4]}), 422,
                         "part_out_of_range")
    assert error["details"]["part_numbers"] == [3, 4]
    assert_error(api.post(f"{base}/urls", json={"part_numbers": [0]}), 422,
                 "part_out_of_range")
    assert_error(api.delete(f"{base}/parts/3"), 422, "part_out_of_range")


def test_checkpoint_rejects_tokens_the_store_does_not_hold(api: Api) -> None:
    data = random_bytes(11 * MIB)
    upload = api.initiate("c.bin", len(data))
    good = put_part(upload["parts"][0]["url"], slice_part(data, 1, upload["part_size"]))
    base = f"/v1/uploads/{upload['upload_id']}"
    error = assert_error(api.post(f"{base}/checkpoint", json={"parts": [
        {"part_number": 1, "part_token": good},
        {"part_number": 2, "part_token": '"0123456789abcdef0123456789abcdef"'},
        {"part_number": 3, "part_token": "bogus"},
    ]}), 422, "part_rejected")
    assert [r["part_number"] for r in error["details"]["rejected_parts"]] == [2, 3]
    # All or nothing: the good token was not recorded either.
    assert api.get(base).get_json()["checkpointed_parts"] == []


def test_checkpoint_rejects_a_part_of_the_wrong_size(api: Api) -> None:
    upload = api.initiate("w.bin", 11 * MIB)
    token = put_part(upload["parts"][0]["url"], random_bytes(3 * MIB))
    error = assert_error(api.post(f"/v1/uploads/{upload['upload_id']}/checkpoint", json={
        "parts": [{"part_number": 1, "part_token": token}]}), 422, "part_rejected")
    assert "3145728 bytes" in error["details"]["rejected_parts"][0]["reason"]


def test_complete_with_missing_parts_is_409_naming_them(api: Api) -> None:
    data = random_bytes(16 * MIB)
    upload = api.initiate("m.bin", len(data))
    token = put_part(upload["parts"][1]["url"], slice_part(data, 2, upload["part_size"]))
    error = assert_error(api.post(f"/v1/uploads/{upload['upload_id']}/complete", json={
        "parts": [{"part_number": 2, "part_token": token}]}), 409, "missing_parts")
    assert error["details"]["missing_parts"] == [1, 3, 4]
    assert api.get(f"/v1/uploads/{upload['upload_id']}").get_json()["status"] == "in_progress"


def test_bad_integrity_checksum_text_is_422(api: Api) -> None:
    upload = api.initiate("e.txt", 0)
    assert_error(api.post(f"/v1/uploads/{upload['upload_id']}/complete",
                          json={"integrity_checksum": "not-a-crc"}), 422, "validation_error")


def test_failed_initiate_leaves_no_record_and_no_store_upload(app: Flask, api: Api,
                                                              open_uploads: Any) -> None:
    # Break the database under the running app: the store upload is made, the insert fails.
    engine = app.extensions["gateway"].repository._engine
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE uploads RENAME TO uploads_broken"))
    response = api.post("/v1/uploads", json={"filename": "doomed.bin", "num_bytes": 10 * MIB})
    assert response.status_code in (500, 503)
    assert response.get_json()["error"] in ("database_unavailable", "internal_error")
    assert open_uploads() == []


def test_unknown_route_and_method_use_the_error_shape(api: Api) -> None:
    assert_error(api.get("/v1/nothing-here"), 404, "not_found")
    assert_error(api.client.put("/v1/uploads", headers={"Authorization": f"Bearer {api.key}"}),
                 405, "method_not_allowed")


def test_malformed_json_is_a_json_error(api: Api) -> None:
    response = api.client.post("/v1/uploads", data="{not json",
                               headers={"Authorization": f"Bearer {api.key}",
                                        "Content-Type": "application/json"})
    assert response.status_code in (400, 422)
    assert response.get_json()["error"] in ("bad_request", "validation_error")
