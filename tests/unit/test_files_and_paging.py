"""Content-Disposition for downloads and the list cursor."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import unquote

import pytest

from gateway.errors import GatewayError
from gateway.uploads.files import content_disposition
from gateway.uploads.policy import decode_cursor, encode_cursor


@pytest.mark.parametrize("name", ["plain.txt", "résumé.pdf", 'say "hi".txt', "a;b,c.txt",
                                  "日本語.png", "../../etc/passwd", "tab\tname", "%41.txt"])
def test_disposition_carries_the_exact_name_and_a_safe_fallback(name: str) -> None:
    value = content_disposition(name)
    fallback = value.split('filename="')[1].split('"')[0]
    assert all(32 <= ord(c) < 127 and c not in '"\\' for c in fallback)
    assert unquote(value.split("filename*=UTF-8''")[1]) == name
    assert value.startswith("attachment; ")
    assert content_disposition(name, "inline").startswith("inline; ")


def test_cursor_round_trip_and_garbage() -> None:
    when = datetime(2026, 11, 22, 1, 2, 3, 456789, tzinfo=UTC)
    page = decode_cursor(encode_cursor(when, "abc"))
    assert page is not None and page.created_at == when and page.id == "abc"
    assert decode_cursor(None) is None and decode_cursor("") is None
    for garbage in ("x", "!!!", encode_cursor(when, "a")[:-3]):
        with pytest.raises(GatewayError):
            decode_cursor(garbage)
