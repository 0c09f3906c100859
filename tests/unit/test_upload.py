"""The upload engine's pure parts: file checks, plans, rate-limit waits, the write gate."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest
import requests
from github.GithubException import GithubException

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
    is_distress,
    rate_limit_wait,
)
from release_actions.github.upload import AdaptiveLimit
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
    with pytest.raises(UploadError, match="under 2 GiB"):
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


def test_plan_refuses_more_than_1000_assets_naming_the_counts() -> None:
    existing = [remote(f"old-{n}", b"o") for n in range(998)]
    files = [local("old-1", b"o"), local("a", b"a"), local("b", b"b"), local("c", b"c")]
    with pytest.raises(UploadError) as info:
        plan_uploads(files, existing, overwrite=False)
    assert "1,001 assets (998 already there, 3 new)" in info.value.message
    ok = plan_uploads(files[:3], existing, overwrite=False)  # exactly 1,000
    assert ok.count("upload") == 2


def test_plan_treats_a_downloaded_digest_like_githubs() -> None:
    asset = remote("a.whl", b"same", digest=False)
    with pytest.raises(AssetConflictError, match="no digest recorded"):  # unless hashed first
        plan_uploads([local("a.whl", b"same")], [asset], overwrite=False)
    hashed = replace(
        asset, digest=f"sha256:{hashlib.sha256(b'same').hexdigest()}", digest_from="download"
    )
    plan = plan_uploads([local("a.whl", b"same")], [hashed], overwrite=False)
    assert [i.action for i in plan.items] == ["skip"]


def test_rate_limit_wait_from_reset_header() -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1030"}
    assert rate_limit_wait(429, headers, "", now=1000.0) == 31.0
    assert rate_limit_wait(403, {"retry-after": "3"}, "", now=1000.0) == 3.0


def test_adaptive_limit_grows_after_successes_and_halves_when_github_struggles() -> None:
    limit = AdaptiveLimit(bound=16, start=4)
    for _ in range(20):
        limit.succeeded()
    assert limit.limit == 16
    limit.struggled()
    limit.struggled()
    assert limit.limit == 4
    for _ in range(3):
        limit.struggled()
    assert limit.limit == 1


def test_distress_is_5xx_resets_and_rate_limits_only() -> None:
    assert is_distress(GithubException(502, {"message": "Bad Gateway"}, {}))
    assert is_distress(requests.ConnectionError("reset"))
    limited = GithubException(429, {"message": "x"}, {"retry-after": "1"})
    assert is_distress(limited)
    assert not is_distress(GithubException(422, {"message": "Validation Failed"}, {}))
    assert not is_distress(GithubException(403, {"message": "Resource not accessible"}, {}))
