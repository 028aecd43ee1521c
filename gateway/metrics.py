"""Prometheus metrics: HTTP requests, upload outcomes and object-store calls.

Under gunicorn every worker is its own process, so `gateway serve` points
PROMETHEUS_MULTIPROC_DIR at a fresh directory before the workers start: each worker then
writes its samples to memory-mapped files there, and /metrics, answered by any worker,
sums them all. Without that variable (tests, a single process) the default registry is used.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

from gateway.uploads.model import FileRecord, Upload

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter("gateway_http_requests", "HTTP requests answered, by route and status",
                        ["method", "route", "status"])
HTTP_LATENCY = Histogram("gateway_http_request_duration_seconds",
                         "Time to answer HTTP requests, by route", ["method", "route"],
                         buckets=_LATENCY_BUCKETS)
UPLOADS_INITIATED = Counter("gateway_uploads_initiated", "Uploads started (resumes excluded)")
UPLOADS_COMPLETED = Counter("gateway_uploads_completed", "Uploads completed into files")
UPLOADS_FAILED = Counter("gateway_uploads_failed", "Uploads marked failed")
UPLOADS_ABORTED = Counter("gateway_uploads_aborted", "Uploads aborted by clients")
UPLOADS_EXPIRED = Counter("gateway_uploads_expired", "Idle uploads expired by the janitor")
BYTES_COMPLETED = Counter("gateway_completed_bytes", "Bytes in completed uploads")
STORE_LATENCY = Histogram("gateway_store_request_duration_seconds",
                          "Object-store calls and their duration, by S3 operation",
                          ["operation"], buckets=_LATENCY_BUCKETS)
STORE_ERRORS = Counter("gateway_store_errors", "Object-store calls that failed, by S3 operation",
                       ["operation"])


# The labelled series of each (method, route, status), looked up once: labels() validates
# and locks on every call, which cost as much as the rest of the accounting.
_REQUEST_SERIES: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
# Clients may send any token as a method: the rest share one label, so series stay bounded.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Account one answered HTTP request (a method HTTP does not define counts as OTHER)."""
    if method not in _METHODS:
        method = "OTHER"
    key = (method, route, status)
    series = _REQUEST_SERIES.get(key)
    if series is None:
        series = (HTTP_REQUESTS.labels(method, route, str(status)),
                  HTTP_LATENCY.labels(method, route))
        _REQUEST_SERIES[key] = series
    series[0].inc()
    series[1].observe(seconds)


def observe_store_call(operation: str, seconds: float, failed: bool) -> None:
    """Account one object-store call (a gateway.storage.timing observer)."""
    STORE_LATENCY.labels(operation).observe(seconds)
    if failed:
        STORE_ERRORS.labels(operation).inc()


class MetricsEvents:
    """UploadEvents that count outcomes."""

    def initiated(self, upload: Upload) -> None:
        """Count a new upload."""
        UPLOADS_INITIATED.inc()

    def completed(self, file: FileRecord) -> None:
        """Count a completed upload and its bytes."""
        UPLOADS_COMPLETED.inc()
        BYTES_COMPLETED.inc(file.num_bytes)

    def failed(self, upload: Upload, reason: str) -> None:
        """Count a failed upload."""
        UPLOADS_FAILED.inc()

    def aborted(self, upload: Upload) -> None:
        """Count an aborted upload."""
        UPLOADS_ABORTED.inc()

    def expired(self, upload: Upload) -> None:
        """Count an expired upload."""
        UPLOADS_EXPIRED.inc()


def render() -> tuple[bytes, str]:
    """The exposition text (every worker's samples under gunicorn) and its content type."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
