"""The SDK's downloads, listing and deletion against a served gateway and moto."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.client import ApiError, IntegrityError
from tests.support.api import MIB, random_bytes
from tests.support.client_fixtures import ClientRig


def _uploaded(rig: ClientRig, tmp_path: Path, size: int, name: str = "d.bin"
              ) -> tuple[str, bytes]:
    data = random_bytes(size)
    (tmp_path / name).write_bytes(data)
    return rig.client().upload_file(tmp_path / name).file_id, data


def test_a_download_corrupted_in_transit_fails_and_leaves_nothing(
        rig: ClientRig, tmp_path: Path) -> None:
    file_id, _ = _uploaded(rig, tmp_path, 3 * MIB)
    out = tmp_path / "out"
    out.mkdir()
    rig.proxy.inject("GET", action="corrupt")
    with pytest.raises(IntegrityError, match="CRC32C of the bytes received"):
        rig.client().download_file(file_id, str(out / "x.bin"))
    assert list(out.iterdir()) == []


def test_a_broken_download_stream_resumes_with_a_range_request(
        rig: ClientRig, tmp_path: Path) -> None:
    file_id, data = _uploaded(rig, tmp_path, 4 * MIB + 5)
    rig.proxy.inject("GET", action="truncate")
    result = rig.client().download_file(file_id, str(tmp_path / "back.bin"))
    assert (tmp_path / "back.bin").read_bytes() == data and result.verified
    gets = [s for s in rig.proxy.seen if s.method == "GET"]
    assert [s.note for s in gets] == ["truncate", ""] and gets[1].status == 206


def test_download_into_a_directory_uses_a_safe_stored_name(
        rig: ClientRig, tmp_path: Path) -> None:
    data = random_bytes(100)
    (tmp_path / "src.bin").write_bytes(data)
    client = rig.client()
    file_id = client.upload_file(tmp_path / "src.bin", filename="../../etc/evil.txt").file_id
    target = tmp_path / "into"
    target.mkdir()
    result = client.download_file(file_id, str(target))
    assert Path(result.path) == target / "evil.txt" and (target / "evil.txt").read_bytes() == data


def test_list_pages_and_delete(rig: ClientRig, tmp_path: Path) -> None:
    client = rig.client()
    ids = [_uploaded(rig, tmp_path, 10, f"f{i}.bin")[0] for i in range(5)]
    assert [f["file_id"] for f in client.list_files(page_size=2)] == ids[::-1]
    assert len(list(client.list_files(limit=3, page_size=2))) == 3
    assert [f["filename"] for f in client.list_files(filename_prefix="f4")] == ["f4.bin"]
    client.delete_file(ids[0])
    with pytest.raises(ApiError) as caught:
        client.get_file(ids[0])
    assert caught.value.status == 404 and caught.value.code == "file_not_found"
    assert len(list(client.list_files())) == 4
