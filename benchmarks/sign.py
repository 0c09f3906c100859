"""Benchmark: sign 200 dists with everything on vs the sigstore CLI's bundles alone.

Example::

    .venv/bin/python -m benchmarks.sign                     # 200 dists, Rekor 100 ms
    .venv/bin/python -m benchmarks.sign --files 40 --rekor-latency 0.05 --rekor-version 2

Both sides run as their console scripts in a child process (start-up included) against
the same loopback Sigstore stand-in, in its default shape (public-good's production
signing config: Fulcio + Rekor v1 + a timestamp authority), with ``--rekor-latency`` on
every Rekor entry and ``--service-latency`` on Fulcio and the TSA:

* the sigstore CLI: ``sigstore --trust-config … sign --identity-token … --output-directory
  … <200 files>`` — one bundle per file (its own thread pool), nothing else;
* ours: ``release-actions sign`` with its defaults — a bundle per file, one SLSA
  provenance, a PEP 740 attestation per dist, and every result verified after signing.

Each side first runs once on two files (so both start from written bytecode caches, as an
installed package does: ``PYTHONDONTWRITEBYTECODE`` is dropped for the children), then
``--repeat`` times alternately; the figure is each side's median. Target: ours ≤ the CLI's
time (issue #12), with our peak RSS (``ru_maxrss`` of the child and its verification
worker) printed beside it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Literal

from benchmarks.common import BIN, Figure, print_table
from release_actions_dev.standins.sigstore import SigstoreStandin
from tests.dists import dist_bytes

#: Ours (everything on) / the CLI (bundles only): at most this.
TARGET_RATIO = 1.0
PROJECT = "bench_pkg"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--rekor-latency", type=float, default=0.1)
    parser.add_argument("--service-latency", type=float, default=0.05)
    parser.add_argument("--rekor-version", type=int, choices=(1, 2), default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    figures = measure(
        count=args.files,
        rekor_latency=args.rekor_latency,
        service_latency=args.service_latency,
        rekor_version=args.rekor_version,
        repeat=args.repeat,
    )
    print_table(figures)
    return 0 if all(f.met for f in figures) else 1


def write_dists(folder: Path, count: int) -> list[Path]:
    """One sdist and ``count - 1`` wheels of one release (build tags tell them apart)."""
    folder.mkdir(parents=True)
    names = [f"{PROJECT}-1.0.0.tar.gz"]
    names += [f"{PROJECT}-1.0.0-{n}-py3-none-any.whl" for n in range(1, count)]
    paths = []
    for name in names:
        path = folder / name
        path.write_bytes(dist_bytes(name, payload=name.encode()))
        paths.append(path)
    return paths


def timed(cmd: list[str], *, cwd: Path, log: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of ``cmd`` in a child process; raises if it fails."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "ACTIONS_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    with log.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}):\n{log.read_text()[-3000:]}")
    return seconds, usage.ru_maxrss / 1024


def measure(
    *,
    count: int = 200,
    rekor_latency: float = 0.1,
    service_latency: float = 0.05,
    rekor_version: Literal[1, 2] | int = 1,
    repeat: int = 3,
) -> list[Figure]:
    """The CLI's bundles alone and ours with everything on, alternately, on one stand-in."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        SigstoreStandin(
            rekor_version=2 if rekor_version == 2 else 1,
            rekor_latency=rekor_latency,
            fulcio_latency=service_latency,
            tsa_latency=service_latency,
        ) as standin,
    ):
        root = Path(tmp)
        trust = str(standin.trust_config_path)

        def cli(folder: Path, files: list[Path]) -> tuple[float, float]:
            return timed(
                [str(BIN / "sigstore"), "--trust-config", trust, "sign",
                 "--identity-token", standin.issue_token(), "--overwrite",
                 "--output-directory", str(folder / "out"), *(str(p) for p in files)],
                cwd=folder, log=folder / "cli.log",
            )  # fmt: skip

        def ours(folder: Path) -> tuple[float, float]:
            return timed(
                [str(BIN / "release-actions"), "sign", "--files", "dist/*", "--trust-config",
                 trust, "--identity-token", standin.issue_token(), "--output-dir", "signatures"],
                cwd=folder, log=folder / "ours.log",
            )  # fmt: skip

        warm = root / "warm"
        cli(warm, write_dists(warm / "dist", 2))
        ours(warm)
        cli_files = write_dists(root / "cli" / "dist", count)
        write_dists(root / "ours" / "dist", count)
        cli_times: list[float] = []
        our_times: list[float] = []
        rss = 0.0
        for _ in range(max(1, repeat)):
            before = standin.log.size + standin.log_v2.size
            cli_times.append(cli(root / "cli", cli_files)[0])
            cli_entries = standin.log.size + standin.log_v2.size - before
            seconds, peak = ours(root / "ours")
            our_entries = standin.log.size + standin.log_v2.size - before - cli_entries
            our_times.append(seconds)
            rss = max(rss, peak)
        written = len(list((root / "ours" / "signatures").iterdir()))
        if written != 2 * count + 1:
            raise RuntimeError(f"ours wrote {written} files, not {2 * count + 1}")

    cli_median, our_median = statistics.median(cli_times), statistics.median(our_times)
    setting = (
        f"{count} dists, Rekor v{rekor_version} {rekor_latency * 1000:.0f} ms, Fulcio and TSA "
        f"{service_latency * 1000:.0f} ms, median of {len(our_times)} (ours "
        f"{', '.join(f'{t:.1f}' for t in our_times)} s; CLI "
        f"{', '.join(f'{t:.1f}' for t in cli_times)} s); ours {our_entries} log entries "
        f"(bundles, attestations, provenance) and verify-after-sign, the CLI {cli_entries} "
        "(bundles)"
    )
    return [
        Figure(
            f"sign {count} dists, all on vs sigstore CLI bundles",
            our_median,
            "s",
            f"<= {TARGET_RATIO:g}x CLI",
            our_median <= cli_median * TARGET_RATIO,
            baseline=cli_median,
            note=setting,
        ),
        Figure(
            f"sign {count} dists: peak RSS (MB)",
            rss,
            "M",
            "(info)",
            True,
            note="ru_maxrss of `release-actions sign` (the larger of it and its verification worker)",
        ),
    ]


if __name__ == "__main__":
    sys.exit(main())
