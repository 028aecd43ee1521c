"""A thin client for the gateway's API in tests, and the browser-like part uploader."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import requests
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

MIB = 1024 * 1024


@dataclass
class Api:
    """Calls the gateway with one tenant's API key."""

    client: FlaskClient
    key: str

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        """GET with the key."""
        return self.client.get(path, headers=self._headers(), **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        """POST JSON with the key."""
        return self.client.post(path, json=json, headers=self._headers(), **kwargs)

    def delete(self, path: str) -> TestResponse:
        """DELETE with the key."""
        return self.client.delete(path, headers=self._headers())

    def initiate(self, filename: str = "data.bin", num_bytes: int | None = 0,
                 expect: int = 201, **extra: Any) -> dict[str, Any]:
        """POST /v1/uploads and check the status."""
        body = {"filename": filename, "num_bytes": num_bytes, **extra}
        response = self.post("/v1/uploads", json=body)
        assert response.status_code == expect, response.get_json()
        result: dict[str, Any] = response.get_json()
        return result


def put_part(url: str, data: bytes) -> str:
    """PUT bytes to a presigned URL as a browser would; return the ETag header."""
    response = requests.put(url, data=data, timeout=60)
    assert response.status_code == 200, (response.status_code, response.text[:500])
    return response.headers["ETag"]


def slice_part(data: bytes, part_number: int, part_size: int) -> bytes:
    """The bytes of one planned part."""
    return data[(part_number - 1) * part_size: part_number * part_size]


def upload_all_parts(upload: dict[str, Any], data: bytes) -> list[dict[str, Any]]:
    """PUT every part URL of an initiate answer; return the part tokens to checkpoint."""
    size = upload["part_size"]
    return [{"part_number": p["part_number"],
             "part_token": put_part(p["url"], slice_part(data, p["part_number"], size))}
            for p in upload["parts"]]


def random_bytes(size: int) -> bytes:
    """Incompressible test data."""
    return os.urandom(size)
