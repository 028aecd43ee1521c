"""What the client commands print: tables for people, JSON for scripts."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from gateway.client.download import DownloadResult
from gateway.client.progress import format_bytes, format_duration
from gateway.client.upload import UploadResult


def table(rows: Sequence[Sequence[str]], headers: Sequence[str], out: TextIO) -> None:
    """Columns padded to their widest cell; the last column is left ragged."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers) - 1)]
    for row in [headers, *rows]:
        cells = [str(c).ljust(w) for c, w in zip(row, widths, strict=False)]
        out.write("  ".join([*cells, str(row[-1])]).rstrip() + "\n")


def rate(num_bytes: int, seconds: float) -> str:
    """A transfer rate, or nothing when too quick to measure."""
    return f"{format_bytes(num_bytes / seconds)}/s" if seconds > 0.05 else "-"


def upload_line(result: UploadResult) -> str:
    """One line about a finished upload, for the terminal."""
    resumed = (f", resumed: {result.parts_skipped} of {result.parts_total} parts were already "
               "there" if result.resumed and result.parts_skipped else "")
    return (f"uploaded {result.filename}: {format_bytes(result.num_bytes)} in "
            f"{format_duration(result.seconds)} ({rate(result.num_bytes, result.seconds)})"
            f"{resumed}")


def upload_summary(done: Sequence[UploadResult], failed: Sequence[tuple[str, str]],
                   out: TextIO) -> None:
    """The table of uploaded files (ids, sizes, checksums) and a count line."""
    if done:
        table([(r.file_id, format_bytes(r.num_bytes), r.crc32c, r.filename) for r in done],
              ("FILE ID", "SIZE", "CRC32C", "NAME"), out)
    for path, error in failed:
        out.write(f"FAILED  {path}: {error}\n")
    total = sum(r.num_bytes for r in done)
    out.write(f"{len(done)} uploaded ({format_bytes(total)}), {len(failed)} failed\n")


def upload_json(done: Sequence[UploadResult], failed: Sequence[tuple[str, str, str]],
                out: TextIO) -> None:
    """{"uploaded": [...], "failed": [{"path", "error", "code"}]} on one line."""
    dump({"uploaded": [r.as_dict() for r in done],
          "failed": [{"path": p, "error": e, "code": c} for p, e, c in failed]}, out)


def download_line(result: DownloadResult) -> str:
    """One line about a finished download."""
    check = "CRC32C verified" if result.verified else "no CRC32C on record; size checked"
    return (f"downloaded {result.file_id} to {result.path}: {format_bytes(result.num_bytes)} "
            f"in {format_duration(result.seconds)} ({rate(result.num_bytes, result.seconds)}), "
            f"{check}")


def files_table(files: Iterable[dict[str, Any]], out: TextIO) -> int:
    """The file listing as a table; how many rows."""
    rows = [(f["file_id"], format_bytes(f["num_bytes"]), str(f["created_at"])[:19],
             f["filename"]) for f in files]
    table(rows, ("FILE ID", "SIZE", "CREATED", "NAME"), out)
    return len(rows)


def dump(value: Any, out: TextIO) -> None:
    """JSON on one line."""
    out.write(json.dumps(value) + "\n")
