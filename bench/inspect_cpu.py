"""In-process CPU per inspect: the fast path, the Flask path behind it, and the bare Flask app.

Each WSGI callable is called in a loop in this process (no server, no sockets to the
client), and the process's CPU time per request is reported: steadier than a load test on
a shared machine, and it isolates the app's own cost from gunicorn's, which every target
pays alike under `gateway serve`. The database read is included (SQLite, and PostgreSQL
when --postgres-url names a server; its backend's CPU is not counted here).

    .venv/bin/python -m bench.inspect_cpu [--requests 3000] [--rounds 5] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from typing import Any

import boto3

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench.baseline_app import make_app  # noqa: E402
from bench.harness import median  # noqa: E402
from gateway.api.fast_inspect import InspectFastPath  # noqa: E402
from gateway.app import create_app  # noqa: E402
from gateway.config import Settings  # noqa: E402
from gateway.uploads.policy import utcnow  # noqa: E402
from tests.support.s3server import S3Endpoint, moto_server  # noqa: E402

MIB = 1024 * 1024
Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def cpu_per_request(app: Wsgi, environ: dict[str, Any], requests: int) -> float:
    """Microseconds of this process's CPU per call of the WSGI app (each answer must be 200)."""
    statuses: list[str] = []

    def start_response(status: str, _headers: Any, _exc: Any = None) -> None:
        statuses.append(status)

    started = time.process_time()
    for _ in range(requests):
        answer = app(dict(environ), start_response)
        for _chunk in answer:
            pass
        close = getattr(answer, "close", None)
        if close is not None:
            close()
    spent = time.process_time() - started
    if any(not s.startswith("200") for s in statuses):
        raise SystemExit(f"non-200 answers: {sorted(set(statuses))}")
    return spent / requests * 1e6


def gateway_targets(label: str, database_url: str, s3: S3Endpoint, bucket: str
                    ) -> list[tuple[str, Wsgi, dict[str, Any]]]:
    """Inspect of a 16-part upload through the app (fast path) and through Flask alone."""
    from werkzeug.test import EnvironBuilder

    app = create_app(Settings(database_url=database_url, s3_endpoint_url=s3.url,
                              s3_bucket=bucket, s3_region=s3.region), migrate=True)
    _, key = app.extensions["gateway"].keys.create_key("bench", utcnow())
    headers = {"Authorization": f"Bearer {key}"}
    upload = app.test_client().post("/v1/uploads", headers=headers, json={
        "filename": f"cpu-{label}.bin", "num_bytes": 16 * 8 * MIB}).get_json()
    environ = EnvironBuilder(path=f"/v1/uploads/{upload['upload_id']}",
                             headers=headers).get_environ()
    fast = app.wsgi_app
    assert isinstance(fast, InspectFastPath)
    return [(f"{label} inspect, fast path", app, environ),
            (f"{label} inspect, Flask path", fast.delegate, environ)]


def main() -> None:
    """Measure every target `rounds` times, interleaved; print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres-url", help="a PostgreSQL database to measure as well")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)  # as the load benchmark's servers run
    from werkzeug.test import EnvironBuilder

    with moto_server() as s3, tempfile.TemporaryDirectory() as tmp:
        os.environ.update(AWS_ACCESS_KEY_ID=s3.access_key, AWS_SECRET_ACCESS_KEY=s3.secret_key)
        boto3.client("s3", endpoint_url=s3.url, region_name=s3.region).create_bucket(
            Bucket="bench")
        targets = [("baseline (Flask JSON)", make_app(),
                    EnvironBuilder(path="/ping").get_environ())]
        targets += gateway_targets("SQLite", f"sqlite:///{tmp}/cpu.db", s3, "bench")
        if args.postgres_url:
            targets += gateway_targets("PostgreSQL", args.postgres_url, s3, "bench")
        for _, app, environ in targets:
            cpu_per_request(app, environ, 200)  # warm-up: connections, caches
        results: dict[str, list[float]] = {}
        for _ in range(args.rounds):
            for name, app, environ in targets:
                results.setdefault(name, []).append(
                    cpu_per_request(app, environ, args.requests))
    base = median(results["baseline (Flask JSON)"])
    print(f"{'target':<32} {'CPU us/request':>15} {'x baseline':>11}")
    for name, values in results.items():
        print(f"{name:<32} {median(values):15.1f} {median(values) / base:11.2f}")


if __name__ == "__main__":
    main()
