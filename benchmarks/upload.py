"""The upload engine vs a one-by-one PyGithub loop, and the engine's memory on a 1 GiB file.

Both sides upload 200 files of 5 MB to a new draft on the GitHub stand-in with 50 ms
latency per request (OpenAPI validation off, as it is not what is measured). The baseline
is ``GitRelease.upload_asset`` in a loop with PyGithub's default throttle (1 s between
writes); when it would take more than 3 minutes it runs on a sample of files and the
time is extrapolated (printed as such). Memory: a child process uploads one 1 GiB file
with the engine and reports its peak RSS (``VmHWM``). Targets: >= 8x, < 100 MB.

    python -m benchmarks.upload                 # everything
    python -m benchmarks.upload --files 50 --skip-rss
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from github import Auth, Github

import release_actions_dev.standins.github as standins  # lazy: the child loads no server code
from benchmarks.common import ROOT, Figure, print_table
from release_actions.github.plan import local_files, plan_uploads
from release_actions.github.upload import Uploader

if TYPE_CHECKING:
    from release_actions_dev.standins.github import GitHubStandin

SPEED_TARGET = 8.0
RSS_TARGET_MB = 100.0
LATENCY = 0.05
FILE_MB = 5
BASELINE_BUDGET_S = 180.0


def make_files(folder: Path, count: int, size: int) -> list[Path]:
    block = os.urandom(size)
    paths = []
    for index in range(count):
        path = folder / f"bench_pkg-1.0.0-cp3{index % 10}-abi3-manylinux_{index}_x86_64.whl"
        with path.open("wb") as fh:
            fh.write(index.to_bytes(8, "big"))  # every file distinct
            fh.write(block[8:])
        paths.append(path)
    return paths


def ours(standin: GitHubStandin, files: list[Path], concurrency: int) -> float:
    release = standin.seed_release(tag_name="v1.0.0", draft=True)
    base = f"{standin.api_url}/repos/{standin.repository}/releases/{release.id}"
    start = time.perf_counter()
    plan = plan_uploads(local_files(files), [], overwrite=False)  # hashing is part of the work
    results = Uploader(
        token=standin.token,
        api_url=standin.api_url,
        release_url=base,
        upload_url=f"{base}/assets{{?name,label}}",
        concurrency=concurrency,
    ).execute(plan)
    seconds = time.perf_counter() - start
    assert len(results) == len(files)
    assert len(standin.assets(release.id)) == len(files)
    return seconds


def baseline(standin: GitHubStandin, files: list[Path]) -> float:
    release = standin.seed_release(tag_name="v0.9.0", draft=True)
    gh = Github(base_url=standin.api_url, auth=Auth.Token(standin.token))  # default throttle
    start = time.perf_counter()
    remote = gh.get_repo(standin.repository).get_release(release.id)
    for path in files:
        remote.upload_asset(str(path))
    seconds = time.perf_counter() - start
    gh.close()
    assert len(standin.assets(release.id)) == len(files)
    return seconds


def child_rss(args: list[str]) -> None:
    """In a child: upload one file with the engine; print peak RSS before and after (MB)."""
    api_url, token, release_url, path = args

    def hwm() -> float:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    plan = plan_uploads(local_files([Path(path)]), [], overwrite=False)
    before = hwm()
    start = time.perf_counter()
    Uploader(
        token=token,
        api_url=api_url,
        release_url=release_url,
        upload_url=f"{release_url}/assets{{?name,label}}",
    ).execute(plan)
    print(
        json.dumps({"before_mb": before, "peak_mb": hwm(), "seconds": time.perf_counter() - start})
    )


def rss(folder: Path) -> dict[str, float]:
    big = folder / "big-1.0.0.tar.gz"
    with big.open("wb") as fh:
        block = os.urandom(1024 * 1024)
        for _ in range(1024):
            fh.write(block)
    with standins.GitHubStandin(validate=False) as standin:
        release = standin.seed_release(tag_name="v1.0.0", draft=True)
        url = f"{standin.api_url}/repos/{standin.repository}/releases/{release.id}"
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.upload", "--child-rss", standin.api_url,
             standin.token, url, str(big)],
            cwd=ROOT, capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert standin.assets(release.id)[0].size == 1024**3
    big.unlink()
    data: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--sample", type=int, default=0, help="baseline sample (0: automatic)")
    parser.add_argument("--skip-rss", action="store_true")
    parser.add_argument("--child-rss", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_rss:
        child_rss(args.child_rss)
        return 0
    figures = measure(
        count=args.files,
        concurrency=args.concurrency,
        sample=args.sample,
        with_rss=not args.skip_rss,
    )
    print_table(figures)
    return 0 if all(f.met for f in figures) else 1


def measure(
    *, count: int = 200, concurrency: int = 4, sample: int = 0, with_rss: bool = True
) -> list[Figure]:
    """Upload speed against the one-by-one baseline, and the 1 GiB peak RSS."""
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
        folder = Path(tmp)
        files = make_files(folder, count, FILE_MB * 1024 * 1024)
        with standins.GitHubStandin(validate=False) as standin:
            standin.faults.latency(LATENCY)
            mine = ours(standin, files, concurrency)
            # Default throttle: >= 1 s per write, so the full run would take > 3 minutes.
            sample = sample or (
                len(files) if len(files) * 1.1 < BASELINE_BUDGET_S else max(10, len(files) // 10)
            )
            base_sample = baseline(standin, files[:sample])
        base = base_sample * len(files) / sample
        note = (
            f"{len(files)} x {FILE_MB} MB, {LATENCY * 1000:.0f} ms latency, concurrency "
            f"{concurrency}; ours {len(files) * FILE_MB / mine:.0f} MB/s"
        )
        if sample < len(files):
            note += (
                f"; baseline measured on {sample} files ({base_sample:.1f} s) and "
                f"extrapolated x{len(files) / sample:g}"
            )
        ratio = base / mine
        figures.append(
            Figure(
                f"upload {len(files)} files (s)",
                mine,
                "s",
                f">= {SPEED_TARGET:g}x",
                ratio >= SPEED_TARGET,
                baseline=base,
                note=note,
            )
        )
        if with_rss:
            measured = rss(folder)
            figures.append(
                Figure(
                    "peak RSS uploading 1 GiB (MB)",
                    measured["peak_mb"],
                    "M",
                    f"< {RSS_TARGET_MB:g} MB",
                    measured["peak_mb"] < RSS_TARGET_MB,
                    note=f"child process VmHWM; {measured['before_mb']:.0f} MB after imports and "
                    f"hashing, upload took {measured['seconds']:.1f} s",
                )
            )
    return figures


if __name__ == "__main__":
    sys.exit(main())
