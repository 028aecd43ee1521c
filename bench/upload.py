"""Uploading a 512 MiB file: the gateway client against boto3's upload_file, same run.

Both sides upload the same file to the same moto server (running as a server) and bucket,
with the same part size (the gateway's, 8 MiB by default) and the same concurrency. boto3
runs as it comes (a CRC32 with every part, the object's checksum made of theirs); the
gateway client runs as it comes (a composite upload: a CRC32C with every part, signed into
its URL, and the whole-file CRC32C checked at complete) and, for comparison, as a
full_object upload (parts without checksums; the store checksums the whole object). Each
upload runs in a child process so its peak RSS can be read; its time is measured inside the
child around the upload call alone (interpreter start-up excluded). Runs rotate which side
goes first. Objects are deleted after each run (moto keeps them in RAM).

Then, separately, the real `gateway upload` command uploads a file ten times larger than
concurrency x part size, and its peak RSS is reported against that bound. Last, to show
where the time goes, the gateway's complete call is timed inside its child, and moto's
CompleteMultipartUpload of the same parts is timed alone for each checksum mode.

    .venv/bin/python bench/upload.py [--runs 5] [--size-mib 512] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from typing import TYPE_CHECKING, Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if TYPE_CHECKING:
    from bench.harness import Gateway

MIB = 1024 * 1024
BIN = os.path.dirname(sys.executable)


def write_random_file(path: str, size: int) -> None:
    """Incompressible bytes, written in 8 MiB pieces."""
    with open(path, "wb") as out:
        left = size
        while left:
            piece = min(left, 8 * MIB)
            out.write(os.urandom(piece))
            left -= piece


def run_child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run a child, return its JSON line plus its peak RSS (MiB) and CPU seconds.

    The peak is the child's own VmHWM, read from /proc while it runs (a high-water mark, so
    the last reading is the peak up to then). wait4's ru_maxrss would not do: after an exec
    it also counts the parent's memory at the fork.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak_kib = 0
    stop = threading.Event()

    def watch() -> None:
        nonlocal peak_kib
        while not stop.is_set():
            try:
                with open(f"/proc/{process.pid}/status") as status:
                    for line in status:
                        if line.startswith("VmHWM:"):
                            peak_kib = max(peak_kib, int(line.split()[1]))
            except (OSError, ValueError):
                pass
            stop.wait(0.02)

    readings = threading.Thread(target=watch, daemon=True)
    readings.start()
    out_bytes, err_bytes = process.communicate()
    stop.set()
    readings.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        raise RuntimeError(f"{args[:4]} failed ({process.returncode}): "
                           f"{err_bytes.decode()[-2000:]}")
    result: dict[str, Any] = json.loads(out_bytes.decode().strip().splitlines()[-1])
    result["peak_rss_mib"] = peak_kib / 1024
    result["cpu_s"] = (usage.ru_utime + usage.ru_stime) - (before.ru_utime + before.ru_stime)
    return result


def child_gateway(path: str, concurrency: int, checksum_type: str) -> None:
    """(in a child) Upload through the gateway with the SDK; print seconds and the file id."""
    from gateway.client import GatewayClient, TransferConfig

    client = GatewayClient(config=TransferConfig(concurrency=concurrency,
                                                 checksum_type=checksum_type))
    complete_seconds = time_complete_calls(client)
    started = time.perf_counter()
    result = client.upload_file(path, filename=f"bench-{time.time_ns()}.bin")
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "file_id": result.file_id,
                      "complete_seconds": sum(complete_seconds)}))


def time_complete_calls(client: Any) -> list[float]:
    """Wrap the client's API calls so the time spent in POST .../complete is recorded."""
    spent: list[float] = []
    call = client.api.call

    def timed(method: str, path: str, **kwargs: Any) -> Any:
        if not path.endswith("/complete"):
            return call(method, path, **kwargs)
        started = time.perf_counter()
        try:
            return call(method, path, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    client.api.call = timed
    return spent


def store_complete_cost(s3: Any, size: int, part_size: int) -> dict[str, float]:
    """Seconds moto spends in CompleteMultipartUpload for the same parts, by checksum mode.

    The parts are PUT once per mode (serially, not timed); only the complete is timed. This
    is the store's share of each side's time: none (moto then keeps a whole-object CRC64), a
    whole-object CRC32C (a full_object upload of the gateway), a CRC32C per part (a composite
    one, the client's default), a CRC32 per part (boto3's default).
    """
    import boto3
    import google_crc32c

    from gateway.client.checksum import crc32c_base64

    admin = boto3.client("s3", endpoint_url=s3.url, region_name="us-east-1",
                         aws_access_key_id=s3.access_key, aws_secret_access_key=s3.secret_key)
    body = os.urandom(part_size)
    count = size // part_size
    modes: dict[str, tuple[dict[str, str], str | None]] = {
        "none": ({}, None),
        "full_object_crc32c": ({"ChecksumAlgorithm": "CRC32C", "ChecksumType": "FULL_OBJECT"},
                               None),
        "composite_crc32c": ({"ChecksumAlgorithm": "CRC32C", "ChecksumType": "COMPOSITE"},
                             "CRC32C"),
        "composite_crc32": ({"ChecksumAlgorithm": "CRC32"}, "CRC32")}
    seconds = {}
    for mode, (extra, per_part) in modes.items():
        key = f"complete-{mode}"
        upload_id = admin.create_multipart_upload(Bucket="bench", Key=key, **extra)["UploadId"]
        # botocore computes a CRC32C only with its optional CRT extra: given, it is sent.
        checksum = {"ChecksumCRC32C": crc32c_base64(google_crc32c.value(body))} \
            if per_part == "CRC32C" else {"ChecksumAlgorithm": per_part} if per_part else {}
        parts = []
        for number in range(1, count + 1):
            sent = admin.upload_part(Bucket="bench", Key=key, UploadId=upload_id,
                                     PartNumber=number, Body=body, **checksum)
            field = f"Checksum{per_part}"  # moto echoes only checksums it was asked to make
            parts.append({"PartNumber": number, "ETag": sent["ETag"],
                          **({field: checksum.get(field) or sent[field]} if per_part else {})})
        started = time.perf_counter()
        admin.complete_multipart_upload(Bucket="bench", Key=key, UploadId=upload_id,
                                        MultipartUpload={"Parts": parts})
        seconds[mode] = round(time.perf_counter() - started, 2)
        admin.delete_object(Bucket="bench", Key=key)
    return seconds


def child_boto3(path: str, concurrency: int, part_size: int, endpoint: str, bucket: str
                ) -> None:
    """(in a child) Upload straight to the bucket with boto3's upload_file; print seconds.

    As it comes, s3transfer sends a CRC32 with each part and the store keeps a checksum of
    checksums."""
    import boto3
    from boto3.s3.transfer import TransferConfig

    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    config = TransferConfig(multipart_threshold=part_size, multipart_chunksize=part_size,
                            max_concurrency=concurrency, use_threads=True)
    key = f"boto3-{time.time_ns()}.bin"
    started = time.perf_counter()
    client.upload_file(path, bucket, key, Config=config)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "key": key}))


def part_size_of(gw: Gateway, size: int) -> int:
    """The part size the gateway plans for this many bytes (asked, then aborted)."""
    import requests

    answer = requests.post(f"{gw.url}/v1/uploads", headers=gw.headers(), timeout=60,
                           json={"filename": "probe.bin", "num_bytes": size}).json()
    requests.post(f"{gw.url}/v1/uploads/{answer['upload_id']}/abort", headers=gw.headers(),
                  timeout=60)
    return int(answer["part_size"])


def compare(gw: Gateway, path: str, size: int, runs: int, concurrency: int
            ) -> dict[str, list[dict[str, Any]]]:
    """Alternate gateway and boto3 uploads of the same file; their measurements."""
    import boto3

    env = {**gw.env, "GATEWAY_URL": gw.url, "GATEWAY_API_KEY": gw.key}
    part_size = part_size_of(gw, size)
    me = [sys.executable, os.path.abspath(__file__)]
    ours = [*me, "--child", "gateway", path, "--concurrency", str(concurrency)]
    full = [*ours, "--checksum-type", "full_object"]
    theirs = [*me, "--child", "boto3", path, "--concurrency", str(concurrency),
              "--part-size", str(part_size), "--endpoint", gw.s3.url, "--bucket", "bench"]
    admin = boto3.client("s3", endpoint_url=gw.s3.url, region_name="us-east-1",
                         aws_access_key_id=gw.s3.access_key,
                         aws_secret_access_key=gw.s3.secret_key)
    sides = [("gateway", ours), ("boto3", theirs), ("gateway_full_object", full)]
    results: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in sides}
    for run in range(runs):
        shift = run % len(sides)  # each side goes first, second, third in turn
        for side, args in sides[shift:] + sides[:shift]:
            measured = run_child(args, env)
            measured["part_size"] = part_size
            results[side].append(measured)
            print(f"  run {run + 1} {side:18s} {size / MIB / measured['seconds']:7.1f} MiB/s"
                  f"  peak RSS {measured['peak_rss_mib']:6.1f} MiB", flush=True)
        for item in admin.list_objects_v2(Bucket="bench").get("Contents", []):
            admin.delete_object(Bucket="bench", Key=item["Key"])
    return results


def cli_peak_rss(gw: Gateway, tmp: str, concurrency: int, part_size: int) -> dict[str, Any]:
    """Peak RSS of `gateway upload` on a file 10x concurrency x part size, and on 1 byte."""
    env = {**gw.env, "GATEWAY_URL": gw.url, "GATEWAY_API_KEY": gw.key}
    big = os.path.join(tmp, "ten-times.bin")
    write_random_file(big, 10 * concurrency * part_size)
    tiny = os.path.join(tmp, "tiny.bin")
    write_random_file(tiny, 1)
    command = [f"{BIN}/gateway", "upload", "--quiet", "--json", "-j", str(concurrency)]
    small = run_child([*command, tiny], env)
    large = run_child([*command, big], env)
    os.remove(big)
    return {"file_mib": 10 * concurrency * part_size / MIB,
            "bound_mib": concurrency * part_size / MIB,
            "peak_rss_mib": round(large["peak_rss_mib"], 1),
            "baseline_rss_mib": round(small["peak_rss_mib"], 1),
            "seconds": large["uploaded"][0]["seconds"]}


def main() -> None:
    """Run both sides, print medians, the ratio and the peak RSS figures."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size-mib", type=int, default=512)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--child", choices=["gateway", "boto3"])
    parser.add_argument("path", nargs="?")
    parser.add_argument("--part-size", type=int)
    parser.add_argument("--endpoint")
    parser.add_argument("--bucket")
    parser.add_argument("--checksum-type", default="composite")
    args = parser.parse_args()
    if args.child == "gateway":
        return child_gateway(args.path, args.concurrency, args.checksum_type)
    if args.child == "boto3":
        return child_boto3(args.path, args.concurrency, args.part_size, args.endpoint,
                           args.bucket)
    # Imported here, not at the top: the children measure their RSS without boto3 and tests.
    from bench.harness import median, running_gateway

    size = args.size_mib * MIB
    with tempfile.TemporaryDirectory() as tmp, running_gateway(workers=2) as gw:
        path = os.path.join(tmp, "bench.bin")
        write_random_file(path, size)
        print(f"{args.size_mib} MiB, concurrency {args.concurrency}, {args.runs} runs each")
        results = compare(gw, path, size, args.runs, args.concurrency)
        part_size = results["gateway"][0]["part_size"]
        rss = cli_peak_rss(gw, tmp, args.concurrency, part_size)
        store = store_complete_cost(gw.s3, size, part_size)
    def mib_s(side: str) -> float:
        return median([size / MIB / r["seconds"] for r in results[side]])

    def typical(side: str, field: str) -> float:
        return round(median([r[field] for r in results[side]]), 2)

    def paired(side: str) -> float:
        """Median over runs of the ratio within a run (steadier on a machine others share)."""
        return median([b["seconds"] / a["seconds"]
                       for a, b in zip(results["gateway"], results[side], strict=True)])

    ours, base, full = mib_s("gateway"), mib_s("boto3"), mib_s("gateway_full_object")
    summary = {
        "size_mib": args.size_mib, "part_size_mib": part_size / MIB,
        "concurrency": args.concurrency, "runs": args.runs,
        "gateway_mib_s_median": round(ours, 1), "boto3_mib_s_median": round(base, 1),
        "gateway_full_object_mib_s_median": round(full, 1),
        "ratio_vs_boto3": round(ours / base, 3),
        "paired_ratio_vs_boto3": round(paired("boto3"), 3),
        "full_object_ratio_vs_boto3": round(full / base, 3),
        "target": "ratio >= 0.9", "meets_target": ours / base >= 0.9,
        **{f"{side}_peak_rss_mib_median": typical(side, "peak_rss_mib") for side in results},
        **{f"{side}_cpu_s_median": typical(side, "cpu_s") for side in results},
        "gateway_complete_s_median": typical("gateway", "complete_seconds"),
        "store_complete_s": store,
        "cli_rss": rss,
    }
    print(f"median of {args.runs} (part size {part_size / MIB:.0f} MiB, concurrency "
          f"{args.concurrency}):")
    print(f"  boto3 upload_file (default)         {base:7.1f} MiB/s")
    print(f"  gateway client (composite, default) {ours:7.1f} MiB/s   ratio {ours / base:.2f}"
          f"  (median of per-run ratios {paired('boto3'):.2f})")
    print(f"  gateway client, full_object         {full:7.1f} MiB/s   ratio {full / base:.2f}")
    whole = median([r["seconds"] for r in results["gateway"]])
    done = typical("gateway", "complete_seconds")
    before = median([size / MIB / (r["seconds"] - r["complete_seconds"])
                     for r in results["gateway"]])
    print(f"gateway client's time: {whole:.2f} s, of which POST .../complete {done:.2f} s "
          f"(before it, initiate + parts + checkpoints: {before:.0f} MiB/s)")
    print(f"target: gateway >= 0.9 x boto3 -> {'met' if ours / base >= 0.9 else 'NOT met'}")
    print("moto's CompleteMultipartUpload of the same parts, by checksum mode (s): "
          + ", ".join(f"{mode} {value}" for mode, value in store.items()))
    print("client peak RSS (MiB): " + ", ".join(
        f"{side} {typical(side, 'peak_rss_mib')}" for side in results))
    print(f"`gateway upload` of {rss['file_mib']:.0f} MiB (10 x {args.concurrency} x "
          f"{part_size / MIB:.0f} MiB): peak RSS {rss['peak_rss_mib']} MiB; buffers bound "
          f"{rss['bound_mib']:.0f} MiB; the same command on a 1-byte file "
          f"{rss['baseline_rss_mib']} MiB")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
