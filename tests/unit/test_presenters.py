"""The hand-written JSON of part URL lists equals what the json module would produce."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from gateway.api.presenters import part_urls_json, upload_detail, view_json, with_parts_json
from gateway.api.schemas import UploadSchema
from gateway.uploads.model import PartRecord, Upload
from gateway.uploads.policy import PresignedParts, UploadDetails
from gateway.uploads.state import UploadState

EXPIRES = datetime(2026, 11, 22, 1, 2, 3, tzinfo=UTC)


def expected(numbers: list[int], urls: list[str]) -> list[dict[str, object]]:
    return [{"part_number": n, "url": u, "expires_at": EXPIRES.isoformat()}
            for n, u in zip(numbers, urls, strict=True)]


@pytest.mark.parametrize("prefix", [
    "http://127.0.0.1:9000/b/k%20x?uploadId=a%2Bb&partNumber=",
    'http://h/"quoted"?partNumber=', "http://h/back\\slash?partNumber=",
    "http://h/ctrl\x01?partNumber=", "http://h/ünï?partNumber=",
])
def test_a_signing_batch_round_trips(prefix: str) -> None:
    # A batch shares everything but the part number and the hex signature.
    numbers = [1, 2, 9999, 10000]
    urls = [f"{prefix}{n}&X-Amz-Signature={n:064x}" for n in numbers]
    presigned = PresignedParts(numbers, urls, EXPIRES)
    assert json.loads(part_urls_json(presigned)) == expected(numbers, urls)


def test_parts_appended_to_a_view_and_to_nothing() -> None:
    presigned = PresignedParts([7], ["http://h/x"], EXPIRES)
    view = {"upload_id": "u", "metadata": {"k": "v\"}"}}
    assert json.loads(with_parts_json(view, presigned)) == {**view,
                                                             "parts": expected([7], ["http://h/x"])}
    assert json.loads(with_parts_json({}, presigned)) == {"parts": expected([7], ["http://h/x"])}
    assert json.loads(with_parts_json({}, PresignedParts([], [], EXPIRES))) == {"parts": []}


def _details() -> UploadDetails:
    created = datetime(2026, 11, 22, 1, 2, 3, 456789, tzinfo=UTC)
    upload = Upload(
        id="u-1", tenant_id="t", file_id="f-1", object_key="t/f-1", store_upload_id="s",
        filename='naïve "name".bin', content_type="application/x-test", num_bytes=25,
        part_size=10, num_parts=3, metadata={"owner": "ada", "note": "ü\n"},
        status=UploadState.FAILED, created_at=created, updated_at=created,
        expires_at=EXPIRES, failure_reason="checksum")
    return UploadDetails(upload, [PartRecord(2, '"etag"', 10)], created)


def test_inspect_json_equals_the_schema_dump() -> None:
    view = upload_detail(_details())
    assert json.loads(view_json(view)) == UploadSchema().dump(view)
    assert json.loads(view_json(view))["upload_id"] == "u-1"


def test_view_json_refuses_what_it_cannot_encode() -> None:
    with pytest.raises(TypeError):
        view_json({"x": object()})


def test_parts_signed_with_their_crc32c_name_the_header_to_send() -> None:
    presigned = PresignedParts([1, 2], ["http://h/1", "http://h/2"], EXPIRES, [0, 0xE3069283])
    assert json.loads(part_urls_json(presigned)) == [
        {**item, "headers": {"x-amz-checksum-crc32c": crc}}
        for item, crc in zip(expected([1, 2], ["http://h/1", "http://h/2"]),
                             ["AAAAAA==", "4waSgw=="], strict=True)]


def test_parts_not_yet_signed_are_listed_without_urls() -> None:
    assert json.loads(part_urls_json(PresignedParts([3, 4], None, None))) == [
        {"part_number": 3, "url": None, "expires_at": None},
        {"part_number": 4, "url": None, "expires_at": None}]


def test_inspect_shows_each_parts_crc32c() -> None:
    details = _details()
    with_crc = UploadDetails(details.upload, [PartRecord(2, '"etag"', 10, 0xE3069283)],
                             details.now)
    view = upload_detail(with_crc)
    assert view["checkpointed_parts"][0]["crc32c"] == "4waSgw=="
    assert json.loads(view_json(view)) == UploadSchema().dump(view)
    assert upload_detail(details)["checkpointed_parts"][0]["crc32c"] is None
