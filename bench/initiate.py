"""Initiating a 10,000-part upload: the gateway's server time against boto3's presigning.

Both are measured in this run, on this machine. The gateway's figure is its server time
(Server-Timing `total` minus `store`: everything but the CreateMultipartUpload round trip),
for POST /v1/uploads of exactly 10,000 parts, served by `gateway serve` against moto.
The baseline signs the same 10,000 part URLs with boto3's generate_presigned_url.

    .venv/bin/python bench/initiate.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import time

import boto3
import requests
from botocore.config import Config

from bench.harness import median, running_gateway, server_timing

MIB = 1024 * 1024
PARTS = 10_000


def gateway_initiates(runs: int) -> dict[str, list[float]]:
    """Server time, store time and client-seen latency of 10,000-part initiates."""
    out: dict[str, list[float]] = {"app_ms": [], "store_ms": [], "client_ms": [], "bytes": []}
    with running_gateway(workers=1) as gw:
        session = requests.Session()
        for i in range(runs + 2):
            started = time.perf_counter()
            response = session.post(f"{gw.url}/v1/uploads", headers=gw.headers(), json={
                "filename": f"big-{i}.bin", "num_bytes": PARTS * 8 * MIB})
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 201, response.text[:300]
            assert len(response.json()["parts"]) == PARTS
            if i < 2:
                continue  # warm-up: imports, connection pools, first SQL statements
            timing = server_timing(response)
            out["app_ms"].append(timing["total"] - timing["store"])
            out["store_ms"].append(timing["store"])
            out["client_ms"].append(elapsed)
            out["bytes"].append(len(response.content))
    return out


def boto3_baseline(runs: int) -> list[float]:
    """Milliseconds to sign 10,000 part URLs with generate_presigned_url, per run."""
    client = boto3.client("s3", endpoint_url="http://127.0.0.1:9000", region_name="us-east-1",
                          aws_access_key_id="bench", aws_secret_access_key="bench",
                          config=Config(signature_version="s3v4",
                                        s3={"addressing_style": "path"}))
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        for part in range(1, PARTS + 1):
            client.generate_presigned_url("upload_part", Params={
                "Bucket": "bench", "Key": "tenant/file", "UploadId": "upload-id",
                "PartNumber": part}, ExpiresIn=3600)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    """Run both sides and print medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--baseline-runs", type=int, default=5)
    args = parser.parse_args()
    ours = gateway_initiates(args.runs)
    baseline = boto3_baseline(args.baseline_runs)
    app, base = median(ours["app_ms"]), median(baseline)
    result = {
        "parts": PARTS, "runs": args.runs,
        "gateway_server_ms_median": round(app, 2),
        "gateway_store_ms_median": round(median(ours["store_ms"]), 2),
        "gateway_client_ms_median": round(median(ours["client_ms"]), 2),
        "response_bytes": int(median(ours["bytes"])),
        "boto3_presign_10000_ms_median": round(base, 2),
        "speedup_vs_boto3": round(base / app, 1),
        "target": "server ms <= 50 and speedup >= 20",
        "meets_target": app <= 50 and base / app >= 20,
    }
    print(f"10,000-part initiate, median of {args.runs} (server time excludes the store call)")
    print(f"  gateway server time       {app:8.1f} ms")
    print(f"  gateway store time        {result['gateway_store_ms_median']:8.1f} ms"
          "  (CreateMultipartUpload)")
    print(f"  client-seen latency       {result['gateway_client_ms_median']:8.1f} ms"
          f"  ({result['response_bytes'] / MIB:.1f} MiB response)")
    print(f"  boto3 presign x10,000     {base:8.1f} ms  (median of {args.baseline_runs})")
    print(f"  speedup                   {base / app:8.1f} x")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
