"""The README's second curl block (form upload, ranged download, unknown-length proxied
parts), run verbatim against a served gateway."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from tests.e2e.conftest import Service

ROOT = Path(__file__).resolve().parents[2]


def other_ways_block() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Other ways in", 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "no sh block in the 'Other ways in' section"
    return match.group(1)


def test_readme_other_ways_in(service: Service, tmp_path: Path) -> None:
    key = service.cli("keys", "create", "--tenant", "readme").stdout.strip().splitlines()[-1]
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    env = {**os.environ, "GATEWAY_URL": service.url, "GATEWAY_API_KEY": key}
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", other_ways_block()],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "12000000", result.stdout
    assert len(list(tmp_path.glob("part.*"))) == 3  # 5 MiB parts here: three PUTs
