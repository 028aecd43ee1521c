"""The README's curl walkthrough, run verbatim against a served gateway."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from tests.e2e.conftest import Service

ROOT = Path(__file__).resolve().parents[2]


def walkthrough() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## An upload with curl", 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "no sh block in the curl walkthrough"
    return match.group(1)


def test_readme_curl_walkthrough_uploads_and_downloads(service: Service, tmp_path: Path) -> None:
    key = service.cli("keys", "create", "--tenant", "readme").stdout.strip().splitlines()[-1]
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    env = {**os.environ, "GATEWAY_URL": service.url, "GATEWAY_API_KEY": key}
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", walkthrough()], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("hello, bucket\n"), result.stdout
    assert '"status":"available"' in result.stdout and '"num_bytes":14' in result.stdout
