"""Bytes through the gateway: proxied part throughput against direct presigned PUTs, and the
gateway's memory while a 2 GiB proxied part and a 2 GiB form upload stream through it.

Throughput: the same parts go to the same moto server in the same run, as presigned PUTs
straight to moto and as PUT /v1/uploads/{id}/parts/{n} through a served gateway (gunicorn,
one worker), part by part back to back, alternating which goes first; the medians of the
per-part times are compared (a whole-round total would mostly measure the machine's other
load, which comes and goes within seconds here).

Memory: a fresh one-worker gateway per case; the worker's peak resident set (VmHWM) is read
from /proc after the body has gone through. The bodies are generated on the fly by the
client, so neither side of the test holds them.

    .venv/bin/python bench/proxy.py [--parts 16] [--part-mib 8] [--rounds 5] [--memory-gib 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench.harness import Gateway, median, running_gateway  # noqa: E402
from tests.support.forms import PatternStream, form_type, streamed_form  # noqa: E402

MIB = 1024 * 1024


def _initiate(gw: Gateway, session: requests.Session, parts: list[bytes],
              name: str) -> dict[str, Any]:
    total = sum(map(len, parts))
    response = session.post(f"{gw.url}/v1/uploads", headers=gw.headers(), json={
        "filename": name, "num_bytes": total, "part_size": len(parts[0])})
    assert response.status_code == 201, response.text[:300]
    upload: dict[str, Any] = response.json()
    assert upload["num_parts"] == len(parts), upload["num_parts"]
    return upload


def _put(session: requests.Session, url: str, data: bytes, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    response = session.put(url, data=data, headers=headers, timeout=300)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text[:300]
    return elapsed


def throughput(parts: list[bytes], rounds: int) -> dict[str, list[float]]:
    """Seconds per part PUT, direct and proxied, interleaved part by part.

    Each part goes straight to moto and through the gateway back to back (alternating which
    goes first), so both sides see the same moment of a shared, noisy machine.
    """
    out: dict[str, list[float]] = {"direct": [], "proxied": []}
    with running_gateway(workers=1, threads=4) as gw:
        session = requests.Session()
        for i in range(rounds + 1):
            direct = _initiate(gw, session, parts, f"direct-{i}")
            proxied = _initiate(gw, session, parts, f"proxied-{i}")
            urls = {p["part_number"]: p["url"] for p in direct["parts"]}
            base = f"{gw.url}/v1/uploads/{proxied['upload_id']}/parts"
            for number, data in enumerate(parts, start=1):
                sides = [("direct", urls[number], {}), ("proxied", f"{base}/{number}",
                                                        gw.headers())]
                for name, url, headers in sides if number % 2 else reversed(sides):
                    seconds = _put(session, url, data, headers)
                    if i > 0:  # round 0 warms up connections, imports, first SQL statements
                        out[name].append(seconds)
            for upload in (direct, proxied):
                session.post(f"{gw.url}/v1/uploads/{upload['upload_id']}/abort",
                             headers=gw.headers())
    return out


def worker_memory_mib(gw: Gateway) -> dict[str, float]:
    """The gunicorn worker's current and peak resident set, in MiB."""
    with open(f"/proc/{gw.pid}/task/{gw.pid}/children") as children:
        [worker] = children.read().split()
    found = {}
    with open(f"/proc/{worker}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = int(value.split()[0]) / 1024
    return found


def memory_case(case: str, size: int) -> dict[str, float]:
    """Send `size` bytes through a fresh gateway as one proxied part or one form upload."""
    with running_gateway(workers=1, threads=4) as gw:
        session = requests.Session()
        before = worker_memory_mib(gw)
        started = time.perf_counter()
        if case == "proxied":
            upload = session.post(f"{gw.url}/v1/uploads", headers=gw.headers(), json={
                "filename": "big.bin", "num_bytes": size, "part_size": size}).json()
            assert upload["num_parts"] == 1, upload
            body = PatternStream(size)
            response = session.put(f"{gw.url}/v1/uploads/{upload['upload_id']}/parts/1",
                                   data=body, headers=gw.headers(), timeout=3600)
            assert response.status_code == 200, response.text[:300]
            assert response.json()["size"] == size
        else:
            body = streamed_form(size)
            response = session.post(f"{gw.url}/v1/files", data=body, timeout=3600,
                                    headers={**gw.headers(), "Content-Type": form_type()})
            assert response.status_code == 201, response.text[:300]
            assert response.json()["num_bytes"] == size
        seconds = time.perf_counter() - started
        after = worker_memory_mib(gw)
    return {"baseline_rss_mib": round(before["VmRSS"], 1),
            "peak_rss_mib": round(after["VmHWM"], 1), "mib_per_s": round(size / MIB / seconds, 1)}


def main() -> None:
    """Run the throughput comparison and the memory cases; print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parts", type=int, default=16)
    parser.add_argument("--part-mib", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--memory-gib", type=float, default=2.0, help="0 skips the memory cases")
    args = parser.parse_args()
    parts = [os.urandom(args.part_mib * MIB) for _ in range(args.parts)]
    times = throughput(parts, args.rounds)
    part_mib = args.part_mib
    direct, proxied = part_mib / median(times["direct"]), part_mib / median(times["proxied"])
    result: dict[str, object] = {
        "parts": args.parts, "part_mib": part_mib, "rounds": args.rounds,
        "samples_per_side": len(times["direct"]),
        "direct_mib_per_s_median": round(direct, 1), "proxied_mib_per_s_median": round(proxied, 1),
        "ratio": round(proxied / direct, 2), "target_ratio": 0.7,
    }
    print(f"{args.parts} parts of {part_mib} MiB x {args.rounds} rounds, each part PUT straight "
          "to moto and through the gateway back to back; medians per part")
    print(f"  presigned PUT straight to moto   {direct:8.1f} MiB/s"
          f"  ({median(times['direct']) * 1000:.1f} ms a part)")
    print(f"  proxied PUT through the gateway  {proxied:8.1f} MiB/s"
          f"  ({median(times['proxied']) * 1000:.1f} ms a part)")
    print(f"  ratio                            {proxied / direct:8.2f}  (target >= 0.7)")
    size = int(args.memory_gib * 1024 * MIB)
    if size:
        for case in ("proxied", "form"):
            figures = memory_case(case, size)
            result[f"memory_{case}"] = figures
            print(f"  {args.memory_gib:g} GiB {case:7s}: worker RSS {figures['baseline_rss_mib']} "
                  f"MiB before, peak {figures['peak_rss_mib']} MiB (target < 200); "
                  f"{figures['mib_per_s']} MiB/s")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
