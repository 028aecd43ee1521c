"""Prometheus metrics at /metrics and the request id carried by logs."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from gateway.logs import JsonFormatter
from tests.support.api import MIB, Api, random_bytes, upload_all_parts


def _scrape(app: Flask) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = app.test_client().get("/metrics")  # no API key needed
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for s in family.samples}


def _value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= ls)


def test_metrics_count_requests_outcomes_bytes_and_store_calls(app: Flask, api: Api) -> None:
    before = _scrape(app)
    data = random_bytes(5 * MIB + 10)
    upload = api.initiate("counted.bin", len(data))
    parts = upload_all_parts(upload, data)
    assert api.post(f"/v1/uploads/{upload['upload_id']}/complete",
                    json={"parts": parts}).status_code == 200
    failed = api.initiate("wrong-size.bin", 5 * MIB + 10)
    bad = upload_all_parts(failed, random_bytes(5 * MIB + 10))
    assert api.post(f"/v1/uploads/{failed['upload_id']}/complete",
                    json={"parts": bad, "integrity_checksum": "00000000"}).status_code == 422
    aborted = api.initiate("given-up.bin", 6 * MIB)
    assert api.post(f"/v1/uploads/{aborted['upload_id']}/abort").status_code == 200
    assert api.get("/v1/uploads/no-such-upload").status_code == 404
    after = _scrape(app)

    def delta(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert delta("gateway_uploads_initiated_total") == 3
    assert delta("gateway_uploads_completed_total") == 1
    assert delta("gateway_uploads_failed_total") == 1
    assert delta("gateway_uploads_aborted_total") == 1
    assert delta("gateway_completed_bytes_total") == len(data)
    route = "/v1/uploads/<string:upload_id>"
    assert delta("gateway_http_requests_total", method="GET", route=route, status="404") == 1
    assert delta("gateway_http_requests_total", method="POST", route="/v1/uploads",
                 status="201") == 3
    assert delta("gateway_http_request_duration_seconds_count", method="POST",
                 route="/v1/uploads") == 3
    assert delta("gateway_store_request_duration_seconds_count",
                 operation="CompleteMultipartUpload") == 2
    assert delta("gateway_store_request_duration_seconds_count",
                 operation="CreateMultipartUpload") == 3


def test_store_errors_are_counted_by_operation(app: Flask, api: Api, s3_admin: Any,
                                               bucket: str) -> None:
    upload = api.initiate("vanishing.bin", 6 * MIB)
    key = f"{upload['file_id']}"
    for item in s3_admin.list_multipart_uploads(Bucket=bucket)["Uploads"]:
        if item["Key"].endswith(key):
            s3_admin.abort_multipart_upload(Bucket=bucket, Key=item["Key"],
                                            UploadId=item["UploadId"])
    before = _value(_scrape(app), "gateway_store_errors_total", operation="ListParts")
    response = api.post(f"/v1/uploads/{upload['upload_id']}/checkpoint",
                        json={"parts": [{"part_number": 1, "part_token": "abc"}]})
    assert response.status_code == 409  # the store lost the upload: it failed
    after = _value(_scrape(app), "gateway_store_errors_total", operation="ListParts")
    assert after - before == 1


def test_access_log_carries_the_request_id(app: Flask, api: Api,
                                           caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="gateway.access"):
        api.client.get("/v1/uploads", headers={"X-Request-ID": "trace-42",
                                               "Authorization": f"Bearer {api.key}"})
        api.client.get("/health")
    first, second = (r for r in caplog.records if r.name == "gateway.access")
    line = json.loads(JsonFormatter().format(first))
    assert line["request_id"] == "trace-42"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/v1/uploads", 200)
    generated = json.loads(JsonFormatter().format(second))["request_id"]
    assert len(generated) == 32 and generated != "trace-42"


def test_single_request_uploads_count_as_completed(app: Flask, api: Api) -> None:
    before = _scrape(app)
    response = api.client.post("/v1/files", headers={"Authorization": f"Bearer {api.key}"},
                               data={"file": (io.BytesIO(b"counted bytes"), "form.txt")})
    assert response.status_code == 201, response.get_json()
    after = _scrape(app)
    assert _value(after, "gateway_uploads_completed_total") - _value(
        before, "gateway_uploads_completed_total") == 1
    assert _value(after, "gateway_completed_bytes_total") - _value(
        before, "gateway_completed_bytes_total") == len(b"counted bytes")


def test_a_method_http_does_not_define_is_counted_as_other(app: Flask) -> None:
    before = _value(_scrape(app), "gateway_http_requests_total", method="OTHER", status="405")
    assert app.test_client().open("/v1/uploads", method="BREW").status_code == 405
    samples = _scrape(app)
    assert _value(samples, "gateway_http_requests_total", method="OTHER",
                  status="405") == before + 1
    assert not any(dict(labels).get("method") == "BREW" for _, labels in samples)
