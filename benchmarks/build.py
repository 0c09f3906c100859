"""build-dists (uv as build-env installer) vs plain ``python -m build`` (pip), same project.

Both sides build sdist + wheel of the bundled example project and a setuptools project,
with warm caches (one untimed warm-up each), median of 3. Target: >= 2x.

    python -m benchmarks.build
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import BIN, ROOT, Figure, median_seconds, print_table, run

TARGET = 2.0

SETUPTOOLS_PROJECT = {
    "pyproject.toml": (
        '[build-system]\nrequires = ["setuptools>=77"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "bench-setuptools"\nversion = "1.0.0"\nreadme = "README.md"\n'
    ),
    "README.md": "# bench\n",
    "src/bench_setuptools/__init__.py": '__version__ = "1.0.0"\n',
}


def _git_snapshot(path: Path) -> None:
    env = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@x", "PATH": "/usr/bin:/bin"}  # fmt: skip
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "snapshot"]):
        subprocess.run(["git", *args], cwd=path, env=env, check=True, capture_output=True)


def _projects(work: Path) -> dict[str, Path]:
    example = work / "example"
    shutil.copytree(ROOT / "examples" / "project", example)
    setuptools = work / "setuptools"
    for name, text in SETUPTOOLS_PROJECT.items():
        (setuptools / name).parent.mkdir(parents=True, exist_ok=True)
        (setuptools / name).write_text(text)
    for path in (example, setuptools):
        _git_snapshot(path)
    return {"hatchling example": example, "setuptools": setuptools}


def measure() -> list[Figure]:
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for label, project in _projects(work).items():
            ours_out, base_out = work / f"{label}-ours", work / f"{label}-pip"

            def ours(project: Path = project, out: Path = ours_out) -> None:
                run([str(BIN / "release-actions"), "build-dists", "--project", str(project),
                     "--outdir", str(out)])  # fmt: skip

            def baseline(project: Path = project, out: Path = base_out) -> None:
                run([sys.executable, "-m", "build", "--installer", "pip", "--outdir", str(out),
                     str(project)])  # fmt: skip

            ours()
            baseline()
            ours_s = median_seconds(ours, repeat=3)
            base_s = median_seconds(baseline, repeat=3)
            ratio = base_s / ours_s
            figures.append(
                Figure(
                    f"build-dists vs python -m build ({label})",
                    ours_s,
                    "s",
                    f">= {TARGET}x",
                    ratio >= TARGET,
                    baseline=base_s,
                    note="both build the wheel from the sdist; ours also normalises and checks both",
                )
            )
    return figures


if __name__ == "__main__":
    print_table(measure())
