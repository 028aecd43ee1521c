"""One request's id, timing and accounting: shared by the Flask hooks and the inspect fast path.

Both ways of answering a request call these, so a request id is chosen, Server-Timing is
written, and a finished request is counted and logged in one way only.
"""

from __future__ import annotations

import logging
import random
import re
import time
from contextvars import Token
from dataclasses import dataclass

from gateway import metrics
from gateway.logs import bind_request_id, reset_request_id
from gateway.storage.timing import current_store_timer, start_store_timer

log = logging.getLogger("gateway.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


@dataclass(frozen=True)
class RequestTrace:
    """A request being served: its id, when it started, and the logging binding to undo."""

    request_id: str
    started: float
    binding: Token[str | None]


def choose_request_id(incoming: str) -> str:
    """The client's X-Request-ID when it is a sane token, else a fresh one (32 hex digits)."""
    if _REQUEST_ID.match(incoming):
        return incoming
    # An id, not a secret (clients choose their own at will): random's generator, reseeded
    # in every forked worker, needs no getrandom() call, which releases the GIL and so, in
    # a busy threaded worker, waits to take it back.
    return f"{random.getrandbits(128):032x}"


def begin_request(incoming_id: str) -> RequestTrace:
    """Start a request: choose its id, bind it to this thread's logs, start its store timer."""
    request_id = choose_request_id(incoming_id)
    binding = bind_request_id(request_id)
    start_store_timer()
    return RequestTrace(request_id, time.perf_counter(), binding)


def server_timing(total_ms: float, store_ms: float) -> str:
    """The Server-Timing value: time in store calls, the rest, and the total."""
    return (f"store;dur={store_ms:.2f};desc=\"object store\", app;dur={total_ms - store_ms:.2f}, "
            f"total;dur={total_ms:.2f}")


def finish_request(trace: RequestTrace, method: str, route: str, path: str,
                   status: int) -> list[tuple[str, str]]:
    """Count and log the answered request; the X-Request-ID and Server-Timing headers."""
    seconds = time.perf_counter() - trace.started
    total_ms = seconds * 1000
    timer = current_store_timer()
    store_ms = timer.seconds * 1000 if timer else 0.0
    headers = [("X-Request-ID", trace.request_id),
               ("Server-Timing", server_timing(total_ms, store_ms))]
    metrics.observe_request(method, route, status, seconds)
    if log.isEnabledFor(logging.INFO):
        log.info("%s %s %s %.1fms", method, path, status, total_ms,
                 extra={"request_id": trace.request_id, "method": method, "path": path,
                        "status": status, "duration_ms": round(total_ms, 2),
                        "store_ms": round(store_ms, 2)})
    return headers


def end_request(trace: RequestTrace) -> None:
    """Unbind the request id from this thread's logs."""
    reset_request_id(trace.binding)
