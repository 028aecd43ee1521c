"""Checking what a client says of its parts against the upload and the store (no I/O).

A claim names a part, the ETag the store gave it and, for a composite upload, the CRC32C the
part was signed and sent with. Claims are accepted all together or not at all.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from gateway.errors import PART_OUT_OF_RANGE, PART_REJECTED, VALIDATION_ERROR, GatewayError
from gateway.storage.interface import StoredPart
from gateway.uploads.checksums import format_crc32c
from gateway.uploads.model import ChecksumType, PartRecord, Upload
from gateway.uploads.planning import PartPlan
from gateway.uploads.policy import PartClaim


def require_in_plan(plan: PartPlan, part_numbers: Collection[int]) -> None:
    """422 naming the part numbers outside the plan."""
    outside = sorted({n for n in part_numbers if not plan.contains(n)})
    if outside:
        raise GatewayError(
            PART_OUT_OF_RANGE, f"part numbers {outside} are outside 1..{plan.max_part_number}",
            part_numbers=outside, max_part_number=plan.max_part_number,
        )


def require_checksums_fit(upload: Upload, numbers: Sequence[int],
                          crc32cs: Sequence[int | None]) -> None:
    """422 unless a composite upload names every part's CRC32C and a full-object one none."""
    composite = upload.checksum_type is ChecksumType.COMPOSITE
    wrong = [n for n, crc in zip(numbers, crc32cs, strict=True) if (crc is None) == composite]
    if not wrong:
        return
    shown = wrong[:20]
    if composite:
        raise GatewayError(
            VALIDATION_ERROR, f"this is a composite upload: every part is signed and "
            f"recorded with its CRC32C; parts {shown} have none", part_numbers=wrong,
            checksum_type=upload.checksum_type.value)
    raise GatewayError(
        VALIDATION_ERROR, f"this is a full_object upload: its parts carry no CRC32C (parts "
        f"{shown} name one); initiate with checksum_type 'composite' for that",
        part_numbers=wrong, checksum_type=upload.checksum_type.value)


def check_claims(upload: Upload, claims: Sequence[PartClaim]) -> None:
    """Reject duplicate or unplanned part numbers, and checksums that do not fit the upload."""
    numbers = [c.part_number for c in claims]
    duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
    if duplicates:
        raise GatewayError(VALIDATION_ERROR, f"part numbers {duplicates} appear twice",
                           part_numbers=duplicates)
    require_in_plan(upload.plan, numbers)
    require_checksums_fit(upload, numbers, [c.crc32c for c in claims])


def match_claims(upload: Upload, claims: Sequence[PartClaim],
                 held: Mapping[int, StoredPart]) -> list[PartRecord]:
    """The records of claims the store's listing bears out; 422 naming every one it does not."""
    records: list[PartRecord] = []
    rejected: list[dict[str, Any]] = []
    for claim in sorted(claims, key=lambda c: c.part_number):
        stored = held.get(claim.part_number)
        problem = _claim_problem(upload, claim, stored)
        if problem or stored is None:
            rejected.append({"part_number": claim.part_number, "reason": problem})
        else:
            records.append(PartRecord(claim.part_number, stored.etag, stored.size, claim.crc32c))
    if rejected:
        names = [r["part_number"] for r in rejected]
        raise GatewayError(PART_REJECTED, f"parts {names} were rejected; nothing was recorded",
                           rejected_parts=rejected)
    return records


def _claim_problem(upload: Upload, claim: PartClaim, stored: StoredPart | None) -> str | None:
    """Why the store's listing does not bear a claim out, or None."""
    if stored is None or stored.etag.strip('"') != claim.part_token.strip().strip('"'):
        return "the store holds no part with this token"
    if stored.crc32c is not None and claim.crc32c is not None and stored.crc32c != claim.crc32c:
        return (f"the store holds this part with CRC32C {format_crc32c(stored.crc32c)}, "
                f"not {format_crc32c(claim.crc32c)}")
    return upload.plan.size_problem(claim.part_number, stored.size)
