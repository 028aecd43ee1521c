"""Bad single-request uploads: each answered by a JSON error, each leaving nothing behind."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask

from gateway.config import Settings
from gateway.storage.timing import add_store_observer
from tests.integration.test_errors import assert_error
from tests.support.api import MIB, Api, random_bytes
from tests.support.forms import Part, form_body, form_type
from tests.support.leftovers import assert_nothing_stored


def post_raw(api: Api, body: bytes, content_type: str | None = None, *,
             chunked: bool = False) -> Any:
    headers = {"Authorization": f"Bearer {api.key}"}
    if chunked:  # no Content-Length: the server ends the stream, as gunicorn does
        return api.client.post("/v1/files", input_stream=io.BytesIO(body), headers={
            **headers, "Content-Type": content_type or form_type(),
            "Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})
    return api.client.post("/v1/files", data=body, content_type=content_type or form_type(),
                           headers=headers)


@pytest.fixture
def small_limit_api(settings: Settings) -> Api:
    """A gateway whose form bodies may have at most 1 MiB."""
    from gateway.app import create_app
    from gateway.uploads.policy import utcnow

    app = create_app(settings.with_overrides(max_form_bytes=MIB), migrate=True)
    _, token = app.extensions["gateway"].keys.create_key("tenant-small", utcnow())
    return Api(app.test_client(), str(token))


@pytest.mark.parametrize("parts,field", [
    ([Part("filename", "a.txt")], "file"),
    ([], "file"),
    ([Part("file", b"abc", "a.txt"), Part("surprise", "1")], "surprise"),
    ([Part("file", b"abc", "a.txt"), Part("file", b"def", "b.txt")], "file"),
    ([Part("filename", "a.txt"), Part("filename", "b.txt"), Part("file", b"x", "c")],
     "filename"),
    ([Part("filename", "bad\nname"), Part("file", b"abc", "a.txt")], "filename"),
    ([Part("file", b"abc", "a.txt"), Part("filename", "x" * 1025)], "filename"),
    ([Part("file", b"abc", "a.txt"), Part("content_type", "")], "content_type"),
    ([Part("file", b"abc", "a.txt"), Part("integrity_checksum", "nope")],
     "integrity_checksum"),
])
def test_invalid_forms_are_422_per_field(api: Api, settings: Settings, s3_admin: Any,
                                         parts: list[Part], field: str) -> None:
    error = assert_error(post_raw(api, form_body(parts)), 422, "validation_error")
    assert field in error["errors"]["form"], error
    assert_nothing_stored(settings, s3_admin)


@pytest.mark.parametrize("where", ["before", "after"])
def test_a_bad_field_after_a_multipart_sized_file_leaves_nothing(
        api: Api, settings: Settings, s3_admin: Any, where: str) -> None:
    big = Part("file", random_bytes(11 * MIB), "big.bin")
    bad = Part("unexpected", "x")
    parts = [bad, big] if where == "before" else [big, bad]
    assert_error(post_raw(api, form_body(parts)), 422, "validation_error")
    assert_nothing_stored(settings, s3_admin)


def test_a_file_without_any_name_is_422(api: Api, settings: Settings, s3_admin: Any) -> None:
    error = assert_error(post_raw(api, form_body([Part("file", b"abc")])), 422,
                         "validation_error")
    assert error["details"]["field"] == "filename"
    assert_nothing_stored(settings, s3_admin)


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
def test_a_body_that_is_not_a_form_is_415(api: Api, settings: Settings, s3_admin: Any,
                                          content_type: str | None) -> None:
    response = api.client.post("/v1/files", data=b'{"file": "x"}', headers={
        "Authorization": f"Bearer {api.key}", **({"Content-Type": content_type}
                                                 if content_type else {})})
    assert_error(response, 415, "unsupported_media_type")
    assert_nothing_stored(settings, s3_admin)


@pytest.mark.parametrize("body,content_type", [
    (b"no boundary anywhere" * 10, None),
    (form_body([Part("file", b"abc", "a.txt")])[:-20], None),  # cut off before the end
    (b"x", "multipart/form-data"),  # no boundary parameter
    (b"--B\r\nContent-Type: text/plain\r\n\r\nabc\r\n--B--\r\n", "multipart/form-data; boundary=B"),
])
def test_a_malformed_form_is_400(api: Api, settings: Settings, s3_admin: Any, body: bytes,
                                 content_type: str | None) -> None:
    assert_error(post_raw(api, body, content_type), 400, "bad_request")
    assert_nothing_stored(settings, s3_admin)


def test_runaway_headers_are_400_not_buffered(api: Api, settings: Settings,
                                              s3_admin: Any) -> None:
    body = b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\nX: " + \
        b"y" * (2 * MIB)
    assert_error(post_raw(api, body, "multipart/form-data; boundary=B"), 400, "bad_request")
    assert_nothing_stored(settings, s3_admin)


def test_an_oversized_body_is_413_before_any_store_call(small_limit_api: Api,
                                                        settings: Settings,
                                                        s3_admin: Any) -> None:
    calls: list[str] = []
    add_store_observer(lambda op, _s, _f: calls.append(op))
    before = len(calls)
    body = form_body([Part("file", random_bytes(MIB + 1), "big.bin")])
    error = assert_error(post_raw(small_limit_api, body), 413, "payload_too_large")
    assert error["details"]["max_form_bytes"] == MIB
    assert calls[before:] == []
    assert_nothing_stored(settings, s3_admin)


@pytest.mark.parametrize("size", [MIB + 1, 6 * MIB])
def test_an_oversized_chunked_body_is_cut_off_at_the_limit(small_limit_api: Api,
                                                           settings: Settings, s3_admin: Any,
                                                           size: int) -> None:
    body = form_body([Part("file", random_bytes(size), "big.bin")])
    assert_error(post_raw(small_limit_api, body, chunked=True), 413, "payload_too_large")
    assert_nothing_stored(settings, s3_admin)


def test_a_chunked_body_under_the_limit_is_stored(small_limit_api: Api) -> None:
    body = form_body([Part("file", b"z" * 1000, "small.txt")])
    response = post_raw(small_limit_api, body, chunked=True)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["num_bytes"] == 1000


def test_a_file_over_the_upload_maximum_is_413(settings: Settings, s3_admin: Any) -> None:
    from gateway.app import create_app
    from gateway.uploads.policy import utcnow

    capped = create_app(settings.with_overrides(max_upload_bytes=6 * MIB), migrate=True)
    _, token = capped.extensions["gateway"].keys.create_key("tenant-capped", utcnow())
    api = Api(capped.test_client(), str(token))
    body = form_body([Part("file", random_bytes(12 * MIB), "big.bin")])
    error = assert_error(post_raw(api, body), 413, "payload_too_large")
    assert error["details"]["max_upload_bytes"] == 6 * MIB
    assert_nothing_stored(settings, s3_admin)


def test_without_a_key_the_form_is_401_and_unread(app: Flask, settings: Settings,
                                                  s3_admin: Any) -> None:
    response = app.test_client().post("/v1/files", data=form_body([Part("file", b"a", "a")]),
                                      content_type=form_type())
    assert_error(response, 401, "unauthorized")
    assert_nothing_stored(settings, s3_admin)


def test_a_form_that_breaks_off_is_400_and_leaves_nothing(api: Api, settings: Settings,
                                                          s3_admin: Any) -> None:
    body = form_body([Part("file", random_bytes(7 * MIB), "big.bin")])
    response = api.client.post("/v1/files", input_stream=io.BytesIO(body[:6 * MIB]),
                               environ_overrides={"CONTENT_LENGTH": str(len(body))},
                               content_type=form_type(),
                               headers={"Authorization": f"Bearer {api.key}"})
    assert_error(response, 400, "incomplete_body")
    assert_nothing_stored(settings, s3_admin)
