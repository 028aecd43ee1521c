"""What a client says of its parts, checked against the upload's plan and the store's listing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from gateway.errors import GatewayError
from gateway.storage.interface import StoredPart
from gateway.uploads.claims import check_claims, match_claims
from gateway.uploads.model import ChecksumType, PartRecord, Upload
from gateway.uploads.policy import PartClaim
from gateway.uploads.state import UploadState

NOW = datetime(2026, 12, 1, tzinfo=UTC)
FULL = Upload(id="u", tenant_id="t", file_id="f", object_key="t/f", store_upload_id="s",
              filename="x.bin", content_type="application/octet-stream", num_bytes=25,
              part_size=10, num_parts=3, metadata={}, status=UploadState.IN_PROGRESS,
              created_at=NOW, updated_at=NOW, expires_at=NOW)
COMPOSITE = replace(FULL, checksum_type=ChecksumType.COMPOSITE)
HELD = {1: StoredPart(1, '"a"', 10), 2: StoredPart(2, '"b"', 10, crc32c=7),
        3: StoredPart(3, '"c"', 5)}


def refusal(upload: Upload, claims: list[PartClaim]) -> GatewayError:
    with pytest.raises(GatewayError) as caught:
        check_claims(upload, claims)
        match_claims(upload, claims, HELD)
    return caught.value


@pytest.mark.parametrize("upload,claims,code,numbers", [
    (FULL, [PartClaim(1, "a"), PartClaim(1, "a")], "validation_error", [1]),
    (FULL, [PartClaim(4, "d"), PartClaim(9, "d")], "part_out_of_range", [4, 9]),
    (FULL, [PartClaim(1, "a"), PartClaim(2, "b", 7)], "validation_error", [2]),
    (COMPOSITE, [PartClaim(1, "a", 1), PartClaim(3, "c")], "validation_error", [3]),
], ids=["duplicate", "outside-plan", "crc-in-full-object", "no-crc-in-composite"])
def test_claims_that_do_not_fit_the_upload(upload: Upload, claims: list[PartClaim],
                                           code: str, numbers: list[int]) -> None:
    error = refusal(upload, claims)
    assert error.kind.code == code and error.details["part_numbers"] == numbers


def test_claims_the_listing_does_not_bear_out_are_all_rejected() -> None:
    claims = [PartClaim(1, "zzz", 1), PartClaim(2, "b", 8), PartClaim(3, '"c"', 3)]
    error = refusal(COMPOSITE, claims)
    assert error.kind.code == "part_rejected"
    reasons = {r["part_number"]: r["reason"] for r in error.details["rejected_parts"]}
    assert reasons[1] == "the store holds no part with this token"
    assert reasons[2] == "the store holds this part with CRC32C AAAABw==, not AAAACA=="
    assert set(reasons) == {1, 2}  # part 3 is fine; nothing is recorded even so


def test_accepted_claims_become_records_with_their_crc32c() -> None:
    claims = [PartClaim(3, ' "c" ', 3), PartClaim(2, "b", 7), PartClaim(1, '"a"', 1)]
    check_claims(COMPOSITE, claims)
    assert match_claims(COMPOSITE, claims, HELD) == [
        PartRecord(1, '"a"', 10, 1), PartRecord(2, '"b"', 10, 7), PartRecord(3, '"c"', 5, 3)]


def test_a_part_of_the_wrong_size_is_rejected() -> None:
    short = {**HELD, 1: StoredPart(1, '"a"', 9)}
    with pytest.raises(GatewayError) as caught:
        match_claims(FULL, [PartClaim(1, "a")], short)
    assert caught.value.details["rejected_parts"][0]["part_number"] == 1
