"""The README's curl blocks, run verbatim against a served gateway."""

from __future__ import annotations

import base64
import os
import re
import subprocess
from pathlib import Path

import google_crc32c

from tests.e2e.conftest import Service

ROOT = Path(__file__).resolve().parents[2]


def run_readme_block(heading: str, service: Service, folder: Path
                     ) -> subprocess.CompletedProcess[str]:
    """Run the first sh block under `heading` with a fresh key, in `folder`."""
    section = (ROOT / "README.md").read_text().split(heading, 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, f"no sh block under {heading!r}"
    key = service.cli("keys", "create", "--tenant", "readme").stdout.strip().splitlines()[-1]
    (folder / ".venv").symlink_to(ROOT / ".venv")
    env = {**os.environ, "GATEWAY_URL": service.url, "GATEWAY_API_KEY": key}
    return subprocess.run(["bash", "-euo", "pipefail", "-c", match.group(1)], cwd=folder,
                          env=env, capture_output=True, text=True, timeout=300)


def test_readme_curl_walkthrough_uploads_and_downloads(service: Service, tmp_path: Path) -> None:
    result = run_readme_block("## An upload with curl", service, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("hello, bucket\n"), result.stdout
    assert '"status":"available"' in result.stdout and '"num_bytes":14' in result.stdout


def test_readme_other_ways_in(service: Service, tmp_path: Path) -> None:
    result = run_readme_block("## Other ways in", service, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "12000000", result.stdout
    assert len(list(tmp_path.glob("part.*"))) == 3  # 5 MiB parts here: three PUTs


def test_readme_composite_upload(service: Service, tmp_path: Path) -> None:
    result = run_readme_block("## Composite uploads", service, tmp_path)
    assert result.returncode == 0, result.stderr
    *_, headers, crc = result.stdout.strip().splitlines()
    expected = base64.b64encode(google_crc32c.value(
        (tmp_path / "note.txt").read_bytes()).to_bytes(4, "big")).decode()
    assert crc == expected and expected in headers and "x-amz-checksum-crc32c" in headers
