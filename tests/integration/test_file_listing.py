"""GET /v1/files: newest first, stable pages, and filters by name, type and creation time."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from tests.integration.test_errors import assert_error
from tests.integration.test_proxy_downloads import upload
from tests.support.api import Api

NAMES = [("report-2025.csv", "text/csv"), ("photo.png", "image/png"),
         ("report-2026.csv", "text/csv"), ("50%_off.txt", "text/plain"),
         ("report_x.csv", "text/csv"), ("photo-2.png", "image/png")]


@pytest.fixture
def files(api: Api) -> list[dict[str, Any]]:
    """Six files, oldest first."""
    return [upload(api, b"x", name, content_type) for name, content_type in NAMES]


def listing(api: Api, **query: Any) -> dict[str, Any]:
    response = api.get("/v1/files?" + urlencode(query))
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def every_page(api: Api, limit: int, **query: Any) -> list[str]:
    names, cursor = [], None
    while True:
        page = listing(api, limit=limit, **query, **({"cursor": cursor} if cursor else {}))
        assert len(page["items"]) <= limit
        names += [f["filename"] for f in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return names


def test_pages_walk_every_file_newest_first(api: Api, files: list[dict[str, Any]]) -> None:
    newest_first = [f["filename"] for f in reversed(files)]
    for limit in (1, 2, 4, 6, 1000):
        assert every_page(api, limit) == newest_first
    assert listing(api, limit=6)["next_cursor"] is None


@pytest.mark.parametrize("query,expected", [
    ({"filename_prefix": "report-"}, ["report-2026.csv", "report-2025.csv"]),
    ({"filename_prefix": "report_"}, ["report_x.csv"]),
    ({"filename_prefix": "50%"}, ["50%_off.txt"]),
    ({"filename_prefix": "%"}, []),
    ({"content_type": "image/png"}, ["photo-2.png", "photo.png"]),
    ({"content_type": "text/csv", "filename_prefix": "report-2026"}, ["report-2026.csv"]),
])
def test_filters_page_through_only_matching_files(api: Api, files: list[dict[str, Any]],
                                                  query: dict[str, str],
                                                  expected: list[str]) -> None:
    assert every_page(api, 1, **query) == expected
    assert every_page(api, 100, **query) == expected


def test_created_before_and_after(api: Api, files: list[dict[str, Any]]) -> None:
    middle = files[2]["created_at"]
    assert every_page(api, 2, created_after=middle) == [f["filename"] for f in files[:2:-1]]
    assert every_page(api, 2, created_before=middle) == [f["filename"] for f in files[1::-1]]
    assert every_page(api, 2, created_after=files[0]["created_at"],
                      created_before=files[-1]["created_at"]) == \
        [f["filename"] for f in files[-2:0:-1]]


def test_other_tenants_files_are_not_listed(api: Api, other_api: Api,
                                            files: list[dict[str, Any]]) -> None:
    assert listing(other_api)["items"] == []


@pytest.mark.parametrize("query,field", [
    ({"limit": 0}, "limit"), ({"limit": 1001}, "limit"), ({"limit": "x"}, "limit"),
    ({"created_after": "yesterday"}, "created_after"),
    ({"created_before": "2026-01-01T00:00:00"}, "created_before"),  # no time zone
])
def test_bad_listing_queries_are_422(api: Api, query: dict[str, Any], field: str) -> None:
    error = assert_error(api.get("/v1/files?" + urlencode(query)), 422, "validation_error")
    assert field in error["errors"]["query"]


def test_a_foreign_cursor_is_422(api: Api) -> None:
    assert_error(api.get("/v1/files?cursor=not-a-cursor"), 422, "validation_error")
