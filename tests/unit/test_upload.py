"""The upload engine's pure parts: file checks, plans, rate-limit waits, the write gate."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from release_actions.errors import AssetConflictError, UploadError
from release_actions.github.plan import (
    MAX_ASSET_BYTES,
    LocalFile,
    RemoteAsset,
    local_files,
    plan_uploads,
)
from release_actions.github.retry import (
    DEFAULT_RATE_LIMIT_WAIT,
    PACED_WRITE_INTERVAL,
    WriteGate,
    rate_limit_wait,
)
from tests.dists import dist_bytes


def local(name: str, data: bytes) -> LocalFile:
    return LocalFile(Path(name), name, len(data), hashlib.sha256(data).hexdigest())


def remote(name: str, data: bytes, *, state: str = "uploaded", digest: bool = True) -> RemoteAsset:
    return RemoteAsset(
        id=hash(name) & 0xFFFF,
        name=name,
        size=len(data),
        digest=f"sha256:{hashlib.sha256(data).hexdigest()}" if digest else None,
        state=state,
        url=f"https://example.invalid/{name}",
        api_url=f"https://api.example.invalid/assets/{name}",
    )


def test_local_files_predict_names_and_hash(tmp_path: Path) -> None:
    wheel_name = "demo-1.2.3+local-py3-none-any.whl"
    wheel = dist_bytes(wheel_name)
    (tmp_path / wheel_name).write_bytes(wheel)
    (tmp_path / "a b+c.txt").write_bytes(b"data")
    notes, dist = local_files([tmp_path / "a b+c.txt", tmp_path / wheel_name])
    assert notes.name == "a.b+c.txt"
    assert notes.digest == f"sha256:{hashlib.sha256(b'data').hexdigest()}"
    assert dist.name == wheel_name
    assert dist.size == len(wheel)
    assert dist.digest == f"sha256:{hashlib.sha256(wheel).hexdigest()}"


def test_local_files_refuse_empty_huge_and_colliding(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.touch()
    with pytest.raises(UploadError, match="empty"):
        local_files([empty])
    huge = tmp_path / "huge.bin"
    with huge.open("wb") as fh:  # sparse: no disk used
        fh.truncate(MAX_ASSET_BYTES)
    with pytest.raises(UploadError, match="2 GiB"):
        local_files([huge])
    (tmp_path / "x y").write_bytes(b"1")
    (tmp_path / "x:y").write_bytes(b"2")
    with pytest.raises(UploadError, match=r"'x\.y'"):
        local_files([tmp_path / "x y", tmp_path / "x:y"])


def test_plan_actions() -> None:
    files = [local("new", b"n"), local("same", b"s"), local("starter", b"t"), local("empty", b"e")]
    existing = [
        remote("same", b"s"),
        remote("starter", b"", state="starter"),
        remote("empty", b""),
        remote("unrelated", b"u"),
    ]
    plan = plan_uploads(files, existing, overwrite=False)
    assert [i.action for i in plan.items] == ["upload", "skip", "repair", "repair"]
    assert plan.writes == 3
    assert plan.describe()[1].startswith("skip")


def test_plan_lists_every_conflict_and_overwrite_replaces() -> None:
    files = [local("a", b"new a"), local("b", b"new b"), local("c", b"c")]
    existing = [remote("a", b"old a"), remote("b", b"old b", digest=False), remote("c", b"c")]
    with pytest.raises(AssetConflictError) as info:
        plan_uploads(files, existing, overwrite=False)
    assert "2 file(s) differ" in info.value.message
    assert "no digest recorded" in info.value.message
    plan = plan_uploads(files, existing, overwrite=True)
    assert [i.action for i in plan.items] == ["replace", "replace", "skip"]


def test_rate_limit_wait() -> None:
    assert rate_limit_wait(403, {"Retry-After": "7"}, "") == 7.0
    assert rate_limit_wait(429, {}, "") == DEFAULT_RATE_LIMIT_WAIT
    assert rate_limit_wait(403, {}, "You have exceeded a secondary rate limit.") == 60.0
    assert rate_limit_wait(403, {}, "Resource not accessible by integration") is None
    wait = rate_limit_wait(403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "0"}, "")
    assert wait == 1.0


def test_write_gate_pauses_then_paces() -> None:
    now = [100.0]
    slept: list[float] = []
    gate = WriteGate(clock=lambda: now[0], sleep=slept.append)
    gate.acquire()
    gate.acquire()
    assert slept == []  # unpaced until GitHub says no
    gate.pause(5)
    gate.acquire()
    gate.acquire()
    assert slept == [5.0, 5.0 + PACED_WRITE_INTERVAL]


def test_new_signatures_of_identical_files_keep_the_release_ones() -> None:
    wheel, sdist = b"wheel", b"sdist"
    files = [
        local("a-1.0-py3-none-any.whl", wheel),
        local("a-1.0-py3-none-any.whl.sigstore.json", b"new bundle"),
        local("a-1.0.tar.gz", sdist),
        local("a-1.0.tar.gz.publish.attestation", b"new attestation"),
        local("a-1.0.intoto.jsonl", b"new provenance"),
    ]
    existing = [
        remote("a-1.0-py3-none-any.whl", wheel),
        remote("a-1.0-py3-none-any.whl.sigstore.json", b"old bundle"),
        remote("a-1.0.tar.gz", sdist),
        remote("a-1.0.tar.gz.publish.attestation", b"old attestation"),
        remote("a-1.0.intoto.jsonl", b"old provenance"),
    ]
    plan = plan_uploads(files, existing, overwrite=False)
    assert [item.action for item in plan.items] == ["skip"] * 5
    assert "signature for the identical a-1.0-py3-none-any.whl" in plan.describe()[1]


def test_a_new_signature_of_a_changed_file_still_conflicts() -> None:
    files = [local("a-1.0.tar.gz", b"new"), local("a-1.0.tar.gz.sigstore.json", b"new bundle")]
    existing = [remote("a-1.0.tar.gz", b"old"), remote("a-1.0.tar.gz.sigstore.json", b"old")]
    with pytest.raises(AssetConflictError, match="2 file"):
        plan_uploads(files, existing, overwrite=False)
