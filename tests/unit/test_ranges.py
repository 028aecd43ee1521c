"""Resolving an HTTP Range header against a file's size (RFC 9110 section 14)."""

from __future__ import annotations

import pytest

from gateway.api.downloads import resolve_range
from gateway.errors import GatewayError


@pytest.mark.parametrize("header,size,span", [
    (None, 10, None), ("", 10, None),
    ("bytes=0-0", 10, (0, 0)), ("bytes=0-9", 10, (0, 9)), ("bytes=0-", 10, (0, 9)),
    ("bytes=3-20", 10, (3, 9)), ("bytes=-3", 10, (7, 9)), ("bytes=-30", 10, (0, 9)),
    ("bytes=9-", 10, (9, 9)),
    # Ignored, so the whole file is sent: several ranges, other units, nonsense, reversed.
    ("bytes=0-1,4-5", 10, None), ("lines=0-1", 10, None), ("bytes=a-b", 10, None),
    ("bytes=5-4", 10, None), ("bytes=-", 10, None), ("bytes 0-1", 10, None),
])
def test_resolve_range(header: str | None, size: int, span: tuple[int, int] | None) -> None:
    assert resolve_range(header, size) == span


@pytest.mark.parametrize("header,size", [("bytes=10-", 10), ("bytes=10-20", 10),
                                         ("bytes=-0", 10), ("bytes=0-", 0), ("bytes=-1", 0)])
def test_unsatisfiable_ranges_are_416(header: str, size: int) -> None:
    with pytest.raises(GatewayError) as raised:
        resolve_range(header, size)
    assert raised.value.kind.status == 416 and raised.value.details == {"size": size}
