"""Upload benchmarks: draft-release's small jobs, big batches, request counts and memory.

Example::

    python -m benchmarks.upload                      # everything
    python -m benchmarks.upload --files 50 --skip-rss --skip-baseline

Every scenario runs :func:`release_actions.actions.draft_release.run` with its default
inputs against the GitHub stand-in (github.com layout: uploads on their own origin) with
50 ms latency on every request and OpenAPI validation off (it is not what is measured):

* **small jobs** — 10 x 5 MB to a new draft, the same re-run, two 502s on upload, a reset
  in the middle of a body, and a draft that sits on page 3 of the releases. The *fixed
  cost* is the run's time minus the time the bytes alone take: the same files POSTed in
  parallel straight to the upload URL (same latency, no API call), measured in the same run;
* **request counts** — a re-run over N identical assets (target ⌈N/100⌉ + 3) and the
  listings a new draft costs;
* **many small files** — 1,000 x 0.1 MB to a new draft (target ≤ 12 s);
* **big batch** — 200 x 5 MB through the engine vs ``GitRelease.upload_asset`` one by one
  with PyGithub's default throttle (extrapolated from a sample when it would exceed 3 min);
* **memory** — a child process uploads one 1 GiB file with the default inputs and reports
  its peak RSS (``VmHWM``; target ≤ 64 MB).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import requests
from github import Auth, Github

import release_actions_dev.standins.github as standins  # lazy: the child loads no server code
from benchmarks.common import ROOT, Figure, print_table
from release_actions.actions.draft_release import DraftReleaseInputs, run
from release_actions.github.client import GitHubTarget

if TYPE_CHECKING:
    from release_actions_dev.standins.github import GitHubStandin

LATENCY = 0.05
MB = 1024 * 1024
TAG = "v1.0.0"
TAG_SHA = "1234567890abcdef1234567890abcdef12345678"
#: Targets (issue #12).
FIXED_COST_TARGET_S = 1.2
RERUN_TARGET_S = 0.5
MANY_SMALL_TARGET_S = 12.0
RSS_TARGET_MB = 64.0
SPEED_TARGET = 8.0
BASELINE_BUDGET_S = 180.0
AN_HOUR_AGO = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
A_DAY_AGO = AN_HOUR_AGO - timedelta(days=1)


# -- set-up ---------------------------------------------------------------------------------
def make_files(folder: Path, count: int, size: int, *, stem: str = "bench-data") -> list[Path]:
    """``count`` distinct files of ``size`` bytes (random: not compressible)."""
    folder.mkdir(parents=True, exist_ok=True)
    block = os.urandom(size)
    paths = []
    for index in range(count):
        path = folder / f"{stem}-{index:04d}.bin"
        with path.open("wb") as fh:
            fh.write(index.to_bytes(8, "big"))  # every file distinct
            fh.write(block[8:])
        paths.append(path)
    return paths


@contextmanager
def standin(latency: float = LATENCY) -> Iterator[GitHubStandin]:
    with standins.GitHubStandin(validate=False) as gh:
        with gh.state.lock:
            gh.state.refs[f"refs/tags/{TAG}"] = standins.GitRef(f"refs/tags/{TAG}", TAG_SHA)
        gh.faults.latency(latency)
        yield gh


def draft_release(gh: GitHubStandin, files: Sequence[Path], workspace: Path) -> float:
    """Seconds for one draft-release run with its default inputs; fails unless it succeeds."""
    target = GitHubTarget(api_url=gh.api_url, repository=gh.repository, token=gh.token)
    started = time.perf_counter()
    out = run(
        DraftReleaseInputs(tag=TAG, files=tuple(files), workspace=workspace, notes="none"),
        target=target,
    )
    seconds = time.perf_counter() - started
    assert len(out.assets) == len(files), out
    return seconds


def bytes_alone(gh: GitHubStandin, files: Sequence[Path], concurrency: int) -> float:
    """Seconds to POST ``files`` straight to an upload URL, ``concurrency`` at a time."""
    release = gh.seed_release(tag_name="v0.0.1-floor", draft=True)
    url = gh.app.release_json(release)["upload_url"].split("{", 1)[0]
    session = requests.Session()
    headers = {"Authorization": f"token {gh.token}", "Content-Type": "application/octet-stream"}

    def post(path: Path) -> None:
        with path.open("rb") as body:
            response = session.post(
                url, params={"name": path.name}, data=body, headers=headers, timeout=60
            )
        response.raise_for_status()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(post, files))
    seconds = time.perf_counter() - started
    session.close()
    gh.state.delete_release(release.id)
    return seconds


def seed_older_releases(gh: GitHubStandin, count: int) -> None:
    """``count`` published releases made an hour ago (a repository's history)."""
    for number in range(count):
        gh.state.add_release(tag_name=f"v0.{number}.0", created_at=AN_HOUR_AGO)


def requests_made(gh: GitHubStandin) -> int:
    return len(gh.requests)


def default_concurrency() -> int:
    return DraftReleaseInputs(tag=TAG).concurrency


# -- scenarios ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Small:
    """The small-job scenarios' figures."""

    new_draft: float
    floor: float
    rerun: float
    rerun_requests: int
    two_502s: float
    reset: float
    page3: float
    page3_requests: int
    page3_listings: int
    create_listings: int
    crowded_listings: int


def small_jobs(folder: Path, *, count: int = 10, size: int = 5 * MB) -> Small:
    files = make_files(folder / "small", count, size)
    ws = folder / "ws"
    ws.mkdir(exist_ok=True)
    with standin() as gh:
        floor = bytes_alone(gh, files, min(default_concurrency(), count))
        gh.clear_requests()
        new_draft = draft_release(gh, files, ws)
        create_listings = len(gh.requests_for("repos/list-releases"))
        gh.clear_requests()
        rerun = draft_release(gh, files, ws)
        rerun_requests = requests_made(gh)
    with standin() as gh:
        gh.faults.status("repos/upload-release-asset", 502, times=2)
        two_502s = draft_release(gh, files, ws)
    with standin() as gh:
        gh.faults.reset("repos/upload-release-asset", after_bytes=size // 2)
        reset = draft_release(gh, files, ws)
    with standin() as gh:
        gh.state.add_release(tag_name=TAG, draft=True, created_at=A_DAY_AGO)  # listed last
        seed_older_releases(gh, 250)
        gh.clear_requests()
        page3 = draft_release(gh, files, ws)
        page3_requests = requests_made(gh)
        page3_listings = len(gh.requests_for("repos/list-releases"))
    with standin(latency=0) as gh:
        seed_older_releases(gh, 250)
        draft_release(gh, files[:1], ws)
        crowded_listings = len(gh.requests_for("repos/list-releases"))
    return Small(
        new_draft=new_draft,
        floor=floor,
        rerun=rerun,
        rerun_requests=rerun_requests,
        two_502s=two_502s,
        reset=reset,
        page3=page3,
        page3_requests=page3_requests,
        page3_listings=page3_listings,
        create_listings=create_listings,
        crowded_listings=crowded_listings,
    )


def rerun_requests(folder: Path, count: int) -> int:
    """Requests a draft-release re-run makes over ``count`` identical (small) assets."""
    files = make_files(folder / f"rerun-{count}", count, 1024)
    with standin(latency=0) as gh:
        draft_release(gh, files, folder)
        gh.clear_requests()
        draft_release(gh, files, folder)
        return requests_made(gh)


def many_small(folder: Path, count: int = 1000) -> float:
    files = make_files(folder / "many", count, MB // 10)
    with standin() as gh:
        return draft_release(gh, files, folder)


def big_batch(folder: Path, count: int, sample: int) -> tuple[float, float, int]:
    """(ours, baseline extrapolated, baseline sample size) for ``count`` x 5 MB."""
    files = make_files(folder / "big", count, 5 * MB)
    with standin() as gh:
        ours = draft_release(gh, files, folder)
    # PyGithub's own upload_asset checks that an upload URL on the API's host has the API's
    # port; the GitHub Enterprise Server layout (one origin, /api/uploads) passes the check.
    with standins.GitHubStandin(validate=False, layout="ghes") as gh:
        gh.faults.latency(LATENCY)
        release = gh.seed_release(tag_name="v0.9.0", draft=True)
        client = Github(base_url=gh.api_url, auth=Auth.Token(gh.token))  # default throttle
        sample = sample or (count if count * 1.1 < BASELINE_BUDGET_S else max(10, count // 10))
        started = time.perf_counter()
        remote = client.get_repo(gh.repository).get_release(release.id)
        for path in files[:sample]:
            remote.upload_asset(str(path))
        base_sample = time.perf_counter() - started
        client.close()
    return ours, base_sample * count / sample, sample


def child_rss(args: list[str]) -> None:
    """In a child: draft-release one file with default inputs; print its peak RSS (MB)."""
    api_url, repository, token, path = args

    def hwm() -> float:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    started = time.perf_counter()
    run(
        DraftReleaseInputs(tag=TAG, files=(Path(path),), workspace=Path(path).parent, notes="none"),
        target=GitHubTarget(api_url=api_url, repository=repository, token=token),
    )
    print(json.dumps({"peak_mb": hwm(), "seconds": time.perf_counter() - started}))


def rss(folder: Path) -> dict[str, float]:
    big = folder / "big-1.0.0.bin"
    with big.open("wb") as fh:
        block = os.urandom(MB)
        for _ in range(1024):
            fh.write(block)
    with standin(latency=0) as gh:
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.upload", "--child-rss", gh.api_url,
             gh.repository, gh.token, str(big)],
            cwd=ROOT, capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert gh.assets(gh.releases()[0].id)[0].size == 1024 * MB
    big.unlink()
    data: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return data


# -- figures --------------------------------------------------------------------------------
def _count_figure(name: str, made: int, limit: int, note: str) -> Figure:
    return Figure(name, made, "", f"<= {limit}", made <= limit, note=note)


def measure(
    *,
    count: int = 200,
    concurrency: int | None = None,
    sample: int = 0,
    with_rss: bool = True,
    with_baseline: bool = True,
    many: int = 1000,
) -> list[Figure]:
    """Every upload figure; ``count`` sizes the big batch, ``many`` the small-file batch."""
    del concurrency  # the scenarios run with the step's default inputs
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
        folder = Path(tmp)
        small = small_jobs(folder)
        fixed = small.new_draft - small.floor
        figures.append(
            Figure(
                "10 x 5 MB new draft: fixed cost (s)",
                fixed,
                "s",
                f"<= {FIXED_COST_TARGET_S:g} s",
                fixed <= FIXED_COST_TARGET_S,
                note=f"run {small.new_draft:.2f} s - bytes alone {small.floor:.2f} s "
                f"({LATENCY * 1000:.0f} ms per request); listings while creating: "
                f"{small.create_listings}",
            )
        )
        figures.append(
            Figure(
                "10 x 5 MB re-run (s)",
                small.rerun,
                "s",
                f"<= {RERUN_TARGET_S:g} s",
                small.rerun <= RERUN_TARGET_S,
                note=f"{small.rerun_requests} requests",
            )
        )
        for name, seconds in (
            ("10 x 5 MB, two 502s on upload (s)", small.two_502s),
            ("10 x 5 MB, reset mid-body (s)", small.reset),
        ):
            figures.append(
                Figure(
                    name,
                    seconds,
                    "s",
                    f"<= {small.floor + FIXED_COST_TARGET_S + 1:.1f} s",
                    seconds <= small.floor + FIXED_COST_TARGET_S + 1,
                    note="target: bytes alone + fixed cost + 1 s for the retried file",
                )
            )
        figures.append(
            _count_figure(
                "new draft among 250 releases (release pages read)",
                small.crowded_listings,
                4,
                "3 pages to find no draft + the first page once to see no twin (was 3 + 3)",
            )
        )
        limit = small.floor + FIXED_COST_TARGET_S + 2 * LATENCY
        figures.append(
            Figure(
                "10 x 5 MB, draft on page 3 (s)",
                small.page3,
                "s",
                f"<= {limit:.1f} s",
                small.page3 <= limit,
                note=f"{small.page3_requests} requests, {small.page3_listings} release pages "
                "(251 releases: 3 pages, no second listing)",
            )
        )
        for n in (10, 250):
            made = rerun_requests(folder, n)
            limit_n = math.ceil(n / 100) + 3
            figures.append(
                _count_figure(
                    f"re-run over {n} identical assets (requests)",
                    made,
                    limit_n,
                    f"target ceil(N/100) + 3 = {limit_n}",
                )
            )
        if many:
            seconds = many_small(folder, many)
            figures.append(
                Figure(
                    f"{many} x 0.1 MB new draft (s)",
                    seconds,
                    "s",
                    f"<= {MANY_SMALL_TARGET_S:g} s",
                    seconds <= MANY_SMALL_TARGET_S,
                    note=f"default inputs (concurrency {default_concurrency()}), "
                    f"{LATENCY * 1000:.0f} ms latency",
                )
            )
        if with_baseline:
            ours, base, sampled = big_batch(folder, count, sample)
            note = f"{count} x 5 MB, {LATENCY * 1000:.0f} ms latency, default inputs"
            if sampled < count:
                note += f"; baseline measured on {sampled} files and extrapolated"
            figures.append(
                Figure(
                    f"upload {count} x 5 MB (s)",
                    ours,
                    "s",
                    f">= {SPEED_TARGET:g}x",
                    base / ours >= SPEED_TARGET,
                    baseline=base,
                    note=note,
                )
            )
        if with_rss:
            measured = rss(folder)
            figures.append(
                Figure(
                    "peak RSS, draft-release of one 1 GiB file (MB)",
                    measured["peak_mb"],
                    "M",
                    f"<= {RSS_TARGET_MB:g} MB",
                    measured["peak_mb"] <= RSS_TARGET_MB,
                    note=f"child process VmHWM, default inputs; {measured['seconds']:.1f} s",
                )
            )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=200, help="the big batch's size")
    parser.add_argument("--many", type=int, default=1000, help="the small-file batch (0: skip)")
    parser.add_argument("--sample", type=int, default=0, help="baseline sample (0: automatic)")
    parser.add_argument("--skip-rss", action="store_true")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--child-rss", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_rss:
        child_rss(args.child_rss)
        return 0
    figures = measure(
        count=args.files,
        sample=args.sample,
        with_rss=not args.skip_rss,
        with_baseline=not args.skip_baseline,
        many=args.many,
    )
    print_table(figures)
    return 0 if all(f.met for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
