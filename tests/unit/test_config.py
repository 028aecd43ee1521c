"""Settings from GATEWAY_* variables."""

from __future__ import annotations

import pytest

from gateway.config import ConfigError, Settings

MIB = 1024 * 1024


def test_defaults_suit_a_laptop() -> None:
    settings = Settings.from_env({})
    assert settings.database_url.startswith("sqlite:///")
    assert settings.min_part_size == 8 * MIB
    assert settings.url_ttl == 3600 and settings.upload_ttl == 7 * 24 * 3600
    assert settings.max_upload_bytes == 5 * 1024**4


def test_environment_overrides() -> None:
    settings = Settings.from_env({
        "GATEWAY_DATABASE_URL": "postgresql+psycopg://u@h/db",
        "GATEWAY_S3_ENDPOINT_URL": "http://minio:9000",
        "GATEWAY_S3_PUBLIC_ENDPOINT_URL": "http://localhost:9000",
        "GATEWAY_MIN_PART_SIZE": str(16 * MIB),
        "GATEWAY_URL_TTL": "600",
        "GATEWAY_CORS_ORIGINS": "http://a.example, http://b.example",
        "GATEWAY_S3_FULL_OBJECT_CRC32C": "false",
        "UNRELATED": "x",
    })
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.s3_public_endpoint_url == "http://localhost:9000"
    assert settings.min_part_size == 16 * MIB and settings.url_ttl == 600
    assert settings.cors_origins == ("http://a.example", "http://b.example")
    assert settings.s3_full_object_crc32c is False


@pytest.mark.parametrize("name,value", [
    ("GATEWAY_MIN_PART_SIZE", str(4 * MIB)),
    ("GATEWAY_MIN_PART_SIZE", "lots"),
    ("GATEWAY_URL_TTL", "604801"),
    ("GATEWAY_URL_TTL", "0"),
    ("GATEWAY_MAX_UPLOAD_BYTES", str(6 * 1024**4)),
    ("GATEWAY_S3_ADDRESSING_STYLE", "sideways"),
    ("GATEWAY_S3_FULL_OBJECT_CRC32C", "maybe"),
    ("GATEWAY_MAX_FORM_BYTES", "-1"),
    ("GATEWAY_MAX_FORM_BYTES", str(6 * 1024**4)),
])
def test_bad_values_are_refused_with_the_variable_named(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({name: value})
    assert "GATEWAY_" in str(caught.value)


def test_form_limit_defaults_to_five_gib_and_can_be_set() -> None:
    assert Settings.from_env({}).max_form_bytes == 5 * 1024**3
    assert Settings.from_env({"GATEWAY_MAX_FORM_BYTES": "1048576"}).max_form_bytes == MIB
