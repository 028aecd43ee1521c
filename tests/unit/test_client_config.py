"""Where the client finds its gateway and key, and what it says when they are wrong."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gateway.client import TransferConfig, UsageError
from gateway.client.config import resolve_endpoint


def test_flags_win_over_the_environment() -> None:
    env = {"GATEWAY_URL": "http://env:8000/", "GATEWAY_API_KEY": "env-key"}
    assert resolve_endpoint(None, None, env).url == "http://env:8000"
    assert resolve_endpoint(None, None, env).api_key == "env-key"
    chosen = resolve_endpoint("https://flag.example", "flag-key", env)
    assert (chosen.url, chosen.api_key) == ("https://flag.example", "flag-key")


@pytest.mark.parametrize(("url", "key", "message"), [
    (None, "k", "no gateway URL: set GATEWAY_URL or pass --url"),
    ("localhost:8000", "k", "must look like http://host:port"),
    ("ftp://host", "k", "must look like http://host:port"),
    ("http://host:port", "k", "bad port"),
    ("http://host", None, "no API key: set GATEWAY_API_KEY or pass --api-key"),
    ("http://host", "a key", "must not contain spaces"),
])
def test_bad_settings_are_usage_errors(url: str | None, key: str | None, message: str) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        resolve_endpoint(url, key, {})
    assert caught.value.exit_status == 2


def test_transfer_settings_are_checked() -> None:
    with pytest.raises(UsageError, match="concurrency"):
        TransferConfig(concurrency=0)


def test_the_sdk_imports_nothing_of_the_server() -> None:
    code = ("import sys, gateway.client, gateway.client.cli; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'flask', 'sqlalchemy', 'boto3', 'botocore', 'marshmallow', 'alembic', "
            "'werkzeug'}) + [m for m in sys.modules if m.startswith('gateway.') and not "
            "m.startswith('gateway.client')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
