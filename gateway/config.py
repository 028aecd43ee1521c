"""Settings read from GATEWAY_* environment variables (a .env file is optional)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

MIB = 1024 * 1024
GIB = 1024 * MIB
TIB = 1024 * GIB
SEVEN_DAYS = 7 * 24 * 3600


class ConfigError(ValueError):
    """A setting is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    """Everything the gateway can be configured with; defaults suit a laptop."""

    database_url: str = "sqlite:///gateway.db"
    s3_endpoint_url: str | None = None
    s3_public_endpoint_url: str | None = None
    s3_bucket: str = "uploads"
    s3_region: str = "us-east-1"
    s3_addressing_style: str = "path"
    s3_key_prefix: str = ""
    # Ask the store for a full-object CRC32C at CreateMultipartUpload; stores that
    # ignore it (Ceph RGW) fall back to reading the object back at complete.
    s3_full_object_crc32c: bool = True
    min_part_size: int = 8 * MIB
    max_part_size: int = 5 * GIB
    max_upload_bytes: int = 5 * TIB
    # The largest request body POST /v1/files accepts (the file plus its form framing).
    max_form_bytes: int = 5 * GIB
    url_ttl: int = 3600
    max_url_ttl: int = SEVEN_DAYS
    upload_ttl: int = SEVEN_DAYS
    complete_lease: int = 300
    complete_wait: int = 30
    cors_origins: tuple[str, ...] = field(default_factory=tuple)
    # Seconds between janitor passes inside `gateway serve` (one pass per fleet); 0: never.
    janitor_interval: int = 300
    # Seconds a successful API key lookup is remembered per process (0: never): revocation
    # reaches every replica within this time.
    api_key_cache_ttl: int = 1
    log_level: str = "INFO"
    log_format: str = "json"

    def __post_init__(self) -> None:
        if self.min_part_size < 5 * MIB:
            raise ConfigError("GATEWAY_MIN_PART_SIZE must be at least 5 MiB (5242880)")
        if self.max_part_size > 5 * GIB or self.max_part_size < self.min_part_size:
            raise ConfigError("GATEWAY_MAX_PART_SIZE must be between the minimum and 5 GiB")
        if not 1 <= self.url_ttl <= self.max_url_ttl <= SEVEN_DAYS:
            raise ConfigError("need 1 <= GATEWAY_URL_TTL <= GATEWAY_MAX_URL_TTL <= 604800")
        if not 0 <= self.api_key_cache_ttl <= 300:
            raise ConfigError("GATEWAY_API_KEY_CACHE_TTL must be between 0 and 300 seconds")
        if self.upload_ttl < 60:
            raise ConfigError("GATEWAY_UPLOAD_TTL must be at least 60 seconds")
        if self.max_upload_bytes > 5 * TIB or self.max_upload_bytes < 0:
            raise ConfigError("GATEWAY_MAX_UPLOAD_BYTES must be between 0 and 5 TiB")
        if self.janitor_interval < 0:
            raise ConfigError("GATEWAY_JANITOR_INTERVAL must be 0 (off) or more seconds")
        if self.log_format not in ("json", "text"):
            raise ConfigError("GATEWAY_LOG_FORMAT must be 'json' or 'text'")
        if self.max_form_bytes > 5 * TIB or self.max_form_bytes < 0:
            raise ConfigError("GATEWAY_MAX_FORM_BYTES must be between 0 and 5 TiB")
        if self.s3_addressing_style not in ("path", "virtual"):
            raise ConfigError("GATEWAY_S3_ADDRESSING_STYLE must be 'path' or 'virtual'")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from GATEWAY_<NAME> variables, falling back to the defaults."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"GATEWAY_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(f.name, raw, cls.__dataclass_fields__[f.name].type)
        return cls(**values)

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with some settings changed (tests and the CLI use this)."""
        return replace(self, **changes)


def _parse(name: str, raw: str, type_name: Any) -> Any:
    kind = str(type_name)
    try:
        if kind == "int":
            return int(raw)
        if kind == "bool":
            return _parse_bool(raw)
        if kind.startswith("tuple"):
            return tuple(item.strip() for item in raw.split(",") if item.strip())
    except ValueError as exc:
        raise ConfigError(f"GATEWAY_{name.upper()}={raw!r}: {exc}") from exc
    return raw


def _parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")


def load_dotenv_if_present(path: str = ".env") -> None:
    """Read a .env file into the environment without overriding what is already set."""
    if os.path.exists(path):
        from dotenv import load_dotenv

        load_dotenv(path, override=False)
