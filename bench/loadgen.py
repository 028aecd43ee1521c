"""Load generators for the benchmarks: wrk in a subprocess, or a bounded Python loop in another
process. Both keep connections alive and report requests/s and latency percentiles."""

from __future__ import annotations

import json
import multiprocessing
import os
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass

import requests


@dataclass(frozen=True)
class Load:
    """One request, repeated: URL, method, headers and an optional body."""

    url: str
    method: str
    headers: dict[str, str]
    body: str | None


@dataclass(frozen=True)
class LoadResult:
    """What a load run measured."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # non-2xx answers and socket errors


_WRK_SCRIPT = """
wrk.method = %(method)s
wrk.body = %(body)s
%(headers)s
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, '
    .. '"p99_us": %%d, "errors": %%d}\\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.status + e.connect + e.read + e.write + e.timeout))
end
"""


def wrk_load(load: Load, seconds: float, connections: int) -> LoadResult:
    """Run wrk (2 threads) against the load for `seconds`."""
    headers = "\n".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}"
                        for k, v in load.headers.items())
    script = _WRK_SCRIPT % {"method": json.dumps(load.method),
                            "body": json.dumps(load.body) if load.body else "nil",
                            "headers": headers}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "-s", f.name,
             load.url], capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    finally:
        os.unlink(f.name)
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    data = json.loads(line[len("RESULT "):])
    return LoadResult(rps=data["requests"] / (data["duration_us"] / 1e6),
                      p50_ms=data["p50_us"] / 1000, p99_ms=data["p99_us"] / 1000,
                      requests=data["requests"], errors=data["errors"])


def python_load(load: Load, seconds: float, connections: int) -> LoadResult:
    """A bounded loop of `connections` keep-alive clients, in a second process."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        latencies, errors, elapsed = pool.apply(_python_loop, (load, seconds, connections))
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0
    return LoadResult(rps=len(latencies) / elapsed,
                      p50_ms=statistics.median(latencies) * 1000 if latencies else 0.0,
                      p99_ms=p99 * 1000, requests=len(latencies), errors=errors)


def _python_loop(load: Load, seconds: float, connections: int
                 ) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    started = time.perf_counter()
    deadline = started + seconds

    def client() -> None:
        session = requests.Session()
        mine: list[float] = []
        failed = 0
        while True:
            t0 = time.perf_counter()
            if t0 >= deadline:
                break
            response = session.request(load.method, load.url, headers=load.headers,
                                       data=load.body, timeout=30)
            mine.append(time.perf_counter() - t0)
            failed += not response.ok
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0], time.perf_counter() - started
