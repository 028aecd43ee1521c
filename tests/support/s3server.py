"""A real S3 endpoint for tests: moto as a server subprocess, or an external one (Ceph RGW)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests


@dataclass(frozen=True)
class S3Endpoint:
    """Where the test S3 server listens and how to sign for it."""

    url: str
    access_key: str
    secret_key: str
    region: str
    strict: bool  # checks presigned signatures and expiry (Ceph RGW), unlike moto


def free_port() -> int:
    """An unused TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, timeout: float = 30.0) -> None:
    """Block until something answers HTTP at url."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:  # refused while starting, or slow on a busy machine
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextmanager
def moto_server(*, enforce_cors: bool = False) -> Iterator[S3Endpoint]:
    """Run `moto_server` in a subprocess for the duration.

    moto answers every origin by default; `enforce_cors` makes it apply each bucket's own
    CORS rule instead, as S3 does, for tests that drive a real browser.
    """
    port = free_port()
    binary = os.path.join(os.path.dirname(sys.executable), "moto_server")
    env = dict(os.environ, MOTO_DISABLE_GLOBAL_CORS="true") if enforce_cors else None
    process = subprocess.Popen([binary, "-H", "127.0.0.1", "-p", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_http(url)
        yield S3Endpoint(url, "testing", "testing", "us-east-1", strict=False)
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def s3_endpoint() -> Iterator[S3Endpoint]:
    """The external endpoint named by GATEWAY_TEST_S3_* variables, else a moto server."""
    external = os.environ.get("GATEWAY_TEST_S3_ENDPOINT")
    if not external:
        with moto_server() as endpoint:
            yield endpoint
        return
    yield S3Endpoint(
        url=external,
        access_key=os.environ["GATEWAY_TEST_S3_ACCESS_KEY"],
        secret_key=os.environ["GATEWAY_TEST_S3_SECRET_KEY"],
        region=os.environ.get("GATEWAY_TEST_S3_REGION", "us-east-1"),
        strict=os.environ.get("GATEWAY_TEST_S3_STRICT", "") == "1",
    )


def remove_bucket(admin: Any, bucket: str) -> None:
    """Abort the bucket's multipart uploads, delete its objects, then the bucket itself."""
    for upload in admin.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
        admin.abort_multipart_upload(Bucket=bucket, Key=upload["Key"],
                                     UploadId=upload["UploadId"])
    for item in admin.list_objects_v2(Bucket=bucket).get("Contents", []):
        admin.delete_object(Bucket=bucket, Key=item["Key"])
    admin.delete_bucket(Bucket=bucket)
