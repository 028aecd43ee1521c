"""Initiate, resume, URLs, forget a part, abort and listing, through the HTTP API."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask

from tests.support.api import MIB, Api, put_part, random_bytes, slice_part

TIB = 1024 * 1024 * MIB


def test_five_tib_plan_fits_ten_thousand_parts(api: Api, open_uploads: Any) -> None:
    upload = api.initiate("disk.img", 5 * TIB)
    assert upload["num_parts"] <= 10_000
    assert upload["part_size"] <= 5 * 1024 * MIB
    assert upload["part_size"] * upload["num_parts"] >= 5 * TIB
    assert upload["part_size"] * (upload["num_parts"] - 1) < 5 * TIB
    assert len(upload["parts"]) == upload["num_parts"]
    assert [p["part_number"] for p in upload["parts"]] == list(range(1, upload["num_parts"] + 1))
    assert len(open_uploads()) == 1


def test_part_size_hint_is_honoured_within_bounds(api: Api) -> None:
    assert api.initiate("a", 100 * MIB, part_size=16 * MIB)["part_size"] == 16 * MIB
    assert api.initiate("b", 100 * MIB, part_size=1024)["part_size"] == 5 * MIB


def test_concurrent_resumes_of_one_filename_make_one_upload(app: Flask, api: Api,
                                                            open_uploads: Any) -> None:
    start = threading.Barrier(8)
    answers: list[tuple[int, str]] = []

    def initiate() -> None:
        client = app.test_client()
        start.wait()
        response = client.post("/v1/uploads", json={
            "filename": "same.csv", "num_bytes": 12 * MIB, "resume_if_started": True},
            headers={"Authorization": f"Bearer {api.key}"})
        answers.append((response.status_code, response.get_json()["upload_id"]))

    threads = [threading.Thread(target=initiate) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({upload_id for _, upload_id in answers}) == 1, answers
    assert sorted(status for status, _ in answers) == [200] * 7 + [201]
    assert len(open_uploads()) == 1  # the losers' store uploads were aborted
    assert len(api.get("/v1/uploads").get_json()["items"]) == 1


def test_resume_with_other_size_or_type_is_409(api: Api) -> None:
    first = api.initiate("r.bin", 100, resume_if_started=True)
    for change in ({"num_bytes": 101}, {"content_type": "text/plain"}):
        body = {"filename": "r.bin", "num_bytes": 100, "resume_if_started": True, **change}
        response = api.post("/v1/uploads", json=body)
        assert response.status_code == 409, response.get_json()
        assert response.get_json()["error"] == "resume_mismatch"
        assert response.get_json()["details"]["upload_id"] == first["upload_id"]


def test_without_resume_a_second_upload_of_the_name_is_new(api: Api) -> None:
    first = api.initiate("dup.txt", 10)
    second = api.initiate("dup.txt", 10)
    assert first["upload_id"] != second["upload_id"]
    resumed = api.initiate("dup.txt", 10, expect=200, resume_if_started=True)
    assert resumed["upload_id"] == second["upload_id"]  # the newest in progress


def test_resume_after_completion_starts_a_new_upload(api: Api) -> None:
    first = api.initiate("once.txt", 0, resume_if_started=True)
    api.post(f"/v1/uploads/{first['upload_id']}/complete", json={})
    second = api.initiate("once.txt", 0, resume_if_started=True)
    assert second["upload_id"] != first["upload_id"] and second["resumed"] is False


def test_urls_are_bounded_and_resigned(api: Api) -> None:
    upload = api.initiate("u.bin", 11 * MIB)
    base = f"/v1/uploads/{upload['upload_id']}"
    fresh = api.post(f"{base}/urls", json={"part_numbers": [3, 1], "expires_in": 60}).get_json()
    assert [p["part_number"] for p in fresh["parts"]] == [3, 1]
    query = parse_qs(urlsplit(fresh["parts"][0]["url"]).query)
    assert query["X-Amz-Expires"] == ["60"] and query["partNumber"] == ["3"]
    signed = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")
    expires = datetime.fromisoformat(fresh["parts"][0]["expires_at"])
    assert (expires.replace(tzinfo=None) - signed).total_seconds() == 60
    week = api.post(f"{base}/urls", json={"part_numbers": [1], "expires_in": 604800}).get_json()
    assert int(parse_qs(urlsplit(week["parts"][0]["url"]).query)["X-Amz-Expires"][0]) <= 604800
    too_long = api.post(f"{base}/urls", json={"part_numbers": [1], "expires_in": 604801})
    assert too_long.status_code == 422


def test_url_lifetime_never_passes_the_upload_expiry(settings: Any) -> None:
    from gateway.app import create_app
    from tests.conftest import _key

    app = create_app(settings.with_overrides(upload_ttl=120, url_ttl=3600), migrate=True)
    api = Api(app.test_client(), _key(app, "t"))
    upload = api.initiate("short.bin", 10)
    query = parse_qs(urlsplit(upload["parts"][0]["url"]).query)
    assert int(query["X-Amz-Expires"][0]) <= 120


def test_forget_part_makes_it_missing_again(api: Api) -> None:
    data = random_bytes(11 * MIB)
    upload = api.initiate("g.bin", len(data))
    token = put_part(upload["parts"][0]["url"], slice_part(data, 1, upload["part_size"]))
    base = f"/v1/uploads/{upload['upload_id']}"
    api.post(f"{base}/checkpoint", json={"parts": [{"part_number": 1, "part_token": token}]})
    after = api.delete(f"{base}/parts/1").get_json()
    assert after["missing_parts"] == [1, 2, 3] and after["checkpointed_parts"] == []
    resumed = api.initiate("g.bin", len(data), expect=200, resume_if_started=True)
    assert [p["part_number"] for p in resumed["parts"]] == [1, 2, 3]


def test_abort_is_final_and_idempotent(api: Api, open_uploads: Any) -> None:
    upload = api.initiate("a.bin", 11 * MIB)
    assert len(open_uploads()) == 1
    first = api.post(f"/v1/uploads/{upload['upload_id']}/abort")
    assert first.status_code == 200 and first.get_json()["status"] == "aborted"
    assert open_uploads() == []
    again = api.delete(f"/v1/uploads/{upload['upload_id']}")
    assert again.status_code == 200 and again.get_json()["status"] == "aborted"
    base = f"/v1/uploads/{upload['upload_id']}"
    for response in (api.post(f"{base}/urls", json={"part_numbers": [1]}),
                     api.post(f"{base}/checkpoint",
                              json={"parts": [{"part_number": 1, "part_token": "x"}]})):
        assert response.status_code == 409 and response.get_json()["error"] == "invalid_state"


def test_abort_of_completed_upload_is_409(api: Api) -> None:
    upload = api.initiate("done.txt", 0)
    api.post(f"/v1/uploads/{upload['upload_id']}/complete", json={})
    response = api.post(f"/v1/uploads/{upload['upload_id']}/abort")
    assert response.status_code == 409
    assert api.get(f"/v1/uploads/{upload['upload_id']}").get_json()["status"] == "completed"


def test_list_pages_newest_first_and_filters_status(api: Api) -> None:
    ids = [api.initiate(f"n{i}.txt", 0)["upload_id"] for i in range(5)]
    api.post(f"/v1/uploads/{ids[1]}/abort")
    seen: list[str] = []
    cursor = None
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(f"/v1/uploads{query}").get_json()
        assert len(page["items"]) <= 2
        seen += [item["upload_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    aborted = api.get("/v1/uploads?status=aborted").get_json()["items"]
    assert [u["upload_id"] for u in aborted] == [ids[1]]
    assert api.get("/v1/uploads?status=bogus").status_code == 422
    assert api.get("/v1/uploads?limit=1001").status_code == 422
    assert api.get("/v1/uploads?cursor=garbage").status_code == 422


def test_inspect_reports_progress(api: Api) -> None:
    data = random_bytes(11 * MIB)
    upload = api.initiate("i.bin", len(data), metadata={"owner": "ada"})
    token = put_part(upload["parts"][2]["url"], slice_part(data, 3, upload["part_size"]))
    api.post(f"/v1/uploads/{upload['upload_id']}/checkpoint",
             json={"parts": [{"part_number": 3, "part_token": token.strip('"')}]})
    view = api.get(f"/v1/uploads/{upload['upload_id']}").get_json()
    assert view["status"] == "in_progress" and view["metadata"] == {"owner": "ada"}
    assert view["checkpointed_parts"] == [{"part_number": 3, "part_token": token,
                                           "size": 1 * MIB, "crc32c": None}]
    assert view["missing_parts"] == [1, 2] and view["bytes_checkpointed"] == 1 * MIB
    for field in ("created_at", "updated_at", "expires_at"):
        datetime.fromisoformat(view[field])


def test_inspect_lists_parts_in_order_whatever_the_checkpoint_order(api: Api) -> None:
    data = random_bytes(21 * MIB)  # parts of 5 MiB: 1..4 full, 5 of 1 MiB
    upload = api.initiate("order.bin", len(data), part_size=5 * MIB)
    base = f"/v1/uploads/{upload['upload_id']}"
    tokens = {}
    for number in (5, 2, 4):  # one checkpoint call each, highest first
        tokens[number] = put_part(upload["parts"][number - 1]["url"],
                                  slice_part(data, number, upload["part_size"]))
        api.post(f"{base}/checkpoint",
                 json={"parts": [{"part_number": number, "part_token": tokens[number]}]})
    view = api.get(base).get_json()
    assert [part["part_number"] for part in view["checkpointed_parts"]] == [2, 4, 5]
    assert [part["size"] for part in view["checkpointed_parts"]] == [5 * MIB, 5 * MIB, 1 * MIB]
    assert view["missing_parts"] == [1, 3]
    assert view["bytes_checkpointed"] == 11 * MIB
