"""The action image: size added over its base, build time, reproducibility, start-up inside.

Example::

    python -m benchmarks.image              # build without cache, then measure
    python -m benchmarks.image --no-build   # measure the last `scripts/container build`
    python -m benchmarks.image --anchor     # also build the anchor on the same base

Figures (podman; skipped with one line when podman is missing):

* **added over the base** — the image's size minus the base's, on the local stand-in for
  python:slim that ``scripts/container`` makes. Target: <= 1.5x the anchor, an image in the
  shape of pypa/gh-action-pypi-publish's (its Dockerfile: ``pip install --user`` of its
  runtime requirements — twine, id, requests, sigstore, pypi-attestations, packaging — on
  python:slim), built on the same base. Without ``--anchor`` the anchor's figure is the one
  measured here last (:data:`ANCHOR_MB`).
* **build without cache** — ``scripts/container build --no-cache`` (both stages side by side,
  every download included; the second build's time in the note). Target: <= 20 s.
* **reproducible** — a second build without cache gives the same layers (same image id).
  Target: identical.
* **start-up** — ``release-actions --version`` and ``release-actions <step> --help`` inside the
  image (timed in the container, so podman's own start is not counted), median of 5.
  Target: <= 0.3 s each.

Each layer's size is printed under the first figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT, Figure, print_table
from release_actions.registry import STEPS

IMAGE = "localhost/release-actions:dev"
BENCH_IMAGE = "localhost/release-actions:bench"
PODMAN = ("podman", "--runtime", "runc")
LIMITS = ("--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024")
#: The anchor measured on the local base (pypa/gh-action-pypi-publish's shape, 2026-12).
ANCHOR_MB = 72.7
SIZE_RATIO = 1.5
BUILD_TARGET = 20.0
STARTUP_TARGET = 0.3
REPEAT = 5

#: pypa/gh-action-pypi-publish's image, in shape: its base, then its runtime requirements
#: installed with pip --user (pip compiles bytecode; PYTHONDONTWRITEBYTECODE only affects
#: imports). Written here from its Dockerfile's description, not copied.
ANCHOR_DOCKERFILE = """\
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \\
    PIP_ROOT_USER_ACTION=ignore PIP_BREAK_SYSTEM_PACKAGES=1
RUN pip install --user --prefer-binary twine "id~=1.0" requests pypi-attestations sigstore \\
    packaging
"""


def _podman(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PODMAN, *args], capture_output=True, text=True, check=check)


def _inspect(image: str) -> dict[str, object]:
    proc = _podman("image", "inspect", image, check=False)
    if proc.returncode != 0:
        return {}
    info: dict[str, object] = json.loads(proc.stdout)[0]
    return info


def base_image() -> str:
    return subprocess.run(
        [str(ROOT / "scripts/container"), "base-image"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


def _size(info: dict[str, object]) -> int:
    size = info.get("Size")
    assert isinstance(size, int)
    return size


def _layers(info: dict[str, object]) -> list[str]:
    rootfs = info.get("RootFS")
    assert isinstance(rootfs, dict)
    return list(rootfs.get("Layers") or [])


def build(image: str) -> float:
    """``scripts/container build --no-cache`` as ``image``; the seconds it took."""
    start = time.perf_counter()
    subprocess.run(
        [str(ROOT / "scripts/container"), "build", "--no-cache"],
        env={**os.environ, "RELEASE_ACTIONS_IMAGE": image},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return time.perf_counter() - start


def anchor_mb(base: str) -> float:
    """Build the anchor on ``base``; the MB it adds."""
    with tempfile.TemporaryDirectory(prefix="anchor-image-") as tmp:
        (Path(tmp) / "Dockerfile").write_text(ANCHOR_DOCKERFILE, encoding="utf-8")
        tag = "localhost/release-actions-anchor:bench"
        _podman("build", "--no-cache", "--network", "host", "--build-arg",
                f"BASE_IMAGE={base}", "--tag", tag, tmp)  # fmt: skip
        added = _size(_inspect(tag)) - _size(_inspect(base))
        _podman("rmi", "--force", tag, check=False)
    return added / 1e6


def layer_notes(image: str) -> list[str]:
    proc = _podman("history", "--format", "{{.Size}}\t{{.CreatedBy}}", image)
    rows = [line.split("\t", 1) for line in proc.stdout.splitlines() if "\t" in line]
    return [
        f"layer {size:>9}  {created.strip()[:70]}"
        for size, created in rows[:-1]  # the last row is the base
        if not size.startswith("0 B")
    ]


#: Timed inside the container: each command REPEAT times, one line "<ms> <label>" per run.
STARTUP_SCRIPT = """
t() { label=$1; shift; s=$(date +%s%N); "$@" >/dev/null 2>&1; echo "$(( ($(date +%s%N) - s) / 1000000 )) $label"; }
release-actions --version >/dev/null  # the first run pays the page cache
for i in $(seq REPEAT); do
  t --version release-actions --version
  for step in STEPS; do t "$step" release-actions "$step" --help; done
done
"""


def startup(image: str) -> list[Figure]:
    script = STARTUP_SCRIPT.replace("REPEAT", str(REPEAT)).replace("STEPS", " ".join(STEPS))
    proc = _podman("run", "--rm", *LIMITS, "--entrypoint", "sh", image, "-c", script)
    times: dict[str, list[float]] = {}
    for line in proc.stdout.splitlines():
        millis, label = line.split(" ", 1)
        times.setdefault(label, []).append(int(millis) / 1000)
    figures = []
    for label, values in times.items():
        seconds = statistics.median(values)
        name = "start-up in image: " + ("--version" if label == "--version" else f"{label} --help")
        figures.append(
            Figure(name, seconds, "s", f"<= {STARTUP_TARGET} s", seconds <= STARTUP_TARGET)
        )
    return figures


def measure(*, image: str = IMAGE, rebuild: bool = True, anchor: bool = False) -> list[Figure]:
    if shutil.which("podman") is None:
        print("image: skipped (podman is not installed; `scripts/container tools` installs it)")
        return []
    base = base_image()
    if not _inspect(base):
        print(f"image: skipped (no base image {base}; run `scripts/container build`)")
        return []
    figures: list[Figure] = []
    measured = image
    if rebuild:
        # Twice from nothing: the time, and whether the same sources gave the same layers.
        first = build(BENCH_IMAGE)
        layers = _layers(_inspect(BENCH_IMAGE))
        again = build(BENCH_IMAGE)
        same = _layers(_inspect(BENCH_IMAGE)) == layers
        measured = BENCH_IMAGE
        figures.append(
            Figure("image: build without cache", first, "s", f"<= {BUILD_TARGET:g} s",
                   first <= BUILD_TARGET, note=f"scripts/container build --no-cache; again: "
                   f"{again:.1f} s")
        )  # fmt: skip
        figures.append(
            Figure("image: rebuilt from nothing, same layers", float(same), "", "identical",
                   same, note=f"{len(layers)} layers; image id "
                   f"{str(_inspect(BENCH_IMAGE).get('Id'))[:12]}")
        )  # fmt: skip
    info = _inspect(measured)
    if not info:
        print(f"image: skipped (no image {measured}; run `scripts/container build`)")
        return figures
    base_mb = _size(_inspect(base)) / 1e6
    added = _size(info) / 1e6 - base_mb
    anchor_figure = anchor_mb(base) if anchor else ANCHOR_MB
    target = SIZE_RATIO * anchor_figure
    notes = [
        f"base {base_mb:.1f} MB ({base}); anchor: pypa/gh-action-pypi-publish's shape on it, "
        + ("measured now" if anchor else "as measured last (--anchor measures it)"),
        *layer_notes(measured),
    ]
    figures.insert(
        0,
        Figure("image: added over the base (MB)", added, "M",
               f"<= {target:.0f} MB", added <= target, baseline=anchor_figure,
               note="\n    ".join(notes)),
    )  # fmt: skip
    figures += startup(measured)
    if measured == BENCH_IMAGE:
        _podman("rmi", BENCH_IMAGE, check=False)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.image", description=__doc__)
    parser.add_argument("--image", default=IMAGE)
    parser.add_argument("--no-build", action="store_true", help="measure the last build only")
    parser.add_argument("--anchor", action="store_true", help="build the anchor image too")
    args = parser.parse_args(argv)
    figures = measure(image=args.image, rebuild=not args.no_build, anchor=args.anchor)
    if figures:
        print_table(figures)
    return 0 if all(f.met for f in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())
