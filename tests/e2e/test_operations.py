"""Operating the served gateway: graceful shutdown, the janitor, logs and metrics."""

from __future__ import annotations

import json
import signal
import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, update

from gateway.db.tables import uploads
from gateway.uploads.policy import utcnow
from tests.e2e.conftest import Service, served, service_env
from tests.e2e.test_replicas import metric_total
from tests.support.s3server import S3Endpoint

MIB = 1024 * 1024


def _key(service: Service) -> dict[str, str]:
    token = service.cli("keys", "create", "--tenant", "ops").stdout.strip().splitlines()[-1]
    return {"Authorization": f"Bearer {token}"}


def _backdate(database_url: str, upload_id: str) -> None:
    """Make an upload idle past its expiry, as if its client vanished a week ago."""
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(update(uploads).where(uploads.c.id == upload_id)
                     .values(expires_at=utcnow() - timedelta(seconds=1)))
    engine.dispose()


@pytest.fixture
def janitor_service(s3: S3Endpoint, bucket: str, database_url: str, tmp_path: Path
                    ) -> Iterator[Service]:
    """A served gateway whose janitor runs every second."""
    env = service_env(s3, bucket, database_url, GATEWAY_JANITOR_INTERVAL="1")
    with served(env, tmp_path / "serve.log") as running:
        yield running


def test_janitor_inside_serve_expires_idle_uploads(janitor_service: Service, database_url: str,
                                                   open_uploads: Any) -> None:
    headers = _key(janitor_service)
    url = janitor_service.url
    idle = requests.post(f"{url}/v1/uploads", headers=headers, timeout=30,
                         json={"filename": "idle.bin", "num_bytes": 6 * MIB}).json()
    active = requests.post(f"{url}/v1/uploads", headers=headers, timeout=30,
                           json={"filename": "active.bin", "num_bytes": 6 * MIB}).json()
    _backdate(database_url, idle["upload_id"])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = requests.get(f"{url}/v1/uploads/{idle['upload_id']}", headers=headers,
                              timeout=10).json()["status"]
        if status == "expired" and len(open_uploads()) == 1:
            break
        time.sleep(0.2)
    assert status == "expired"
    remaining = open_uploads()
    assert len(remaining) == 1 and remaining[0]["Key"].endswith(active["file_id"])
    assert requests.get(f"{url}/v1/uploads/{active['upload_id']}", headers=headers,
                        timeout=10).json()["status"] == "in_progress"
    assert metric_total(janitor_service, "gateway_uploads_expired_total") == 1


def test_janitor_command_expires_once(service: Service, database_url: str,
                                      open_uploads: Any) -> None:
    headers = _key(service)
    idle = requests.post(f"{service.url}/v1/uploads", headers=headers, timeout=30,
                         json={"filename": "idle.bin", "num_bytes": 6 * MIB}).json()
    _backdate(database_url, idle["upload_id"])
    first = service.cli("janitor")
    assert "expired 1 uploads; aborted 1 store uploads; 0 errors" in first.stdout
    assert open_uploads() == []
    assert "expired 0 uploads" in service.cli("janitor").stdout


def test_sigterm_lets_the_request_in_flight_finish(service: Service) -> None:
    headers = _key(service)
    body = json.dumps({"filename": "slow.bin", "num_bytes": 0}).encode()
    port = int(service.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(
            b"POST /v1/uploads HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
            + f"Authorization: {headers['Authorization']}\r\n".encode()
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body[:10])
        time.sleep(0.5)  # the worker is now reading the body
        assert service.process is not None
        service.process.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        conn.sendall(body[10:])
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 201"), answer[:300]
    assert service.process.wait(timeout=40) == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{service.url}/health", timeout=5)
    assert "Shutting down: Master" in service.log()


def test_logs_are_json_lines_with_the_request_id(service: Service) -> None:
    response = requests.get(f"{service.url}/ready", headers={"X-Request-ID": "e2e-trace-1"},
                            timeout=10)
    assert response.headers["X-Request-ID"] == "e2e-trace-1"
    generated = requests.get(f"{service.url}/health", timeout=10).headers["X-Request-ID"]
    time.sleep(0.3)
    lines = [json.loads(line) for line in service.log().splitlines() if line.strip()]
    access = {line.get("request_id"): line for line in lines if line["logger"] == "gateway.access"}
    assert access["e2e-trace-1"]["path"] == "/ready" and access["e2e-trace-1"]["status"] == 200
    assert access[generated]["path"] == "/health"
    assert any(line["logger"] == "gunicorn.error" for line in lines)


def test_metrics_sum_every_worker(service: Service) -> None:
    def health_count() -> float:
        return metric_total(service, "gateway_http_requests_total", route="/health",
                            status="200")

    before = health_count()
    for _ in range(20):
        requests.get(f"{service.url}/health", timeout=10)  # a new connection each time
    assert health_count() - before == 20
