"""build-dists and the one-step release chain, through the runner contract."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from tests.harness import StepRun, assert_failed, run_step
from tests.projects import DEFAULT_EPOCH, make_project

pytestmark = pytest.mark.slow


def build(workspace: Path, tmp_path: Path, **inputs: str) -> StepRun:
    return run_step("build-dists", inputs, workspace=workspace, tmp=tmp_path)


def test_outputs_files_and_summary(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hatchling", version="1.2.3", tag="v1.2.3")
    result = build(project, tmp_path, **{"expected-version": "1.2.3"})
    assert result.exit_code == 0, result.stdout
    out = result.outputs
    assert out["sdist"] == "dist/example_pkg-1.2.3.tar.gz"
    assert out["wheels"] == "dist/example_pkg-1.2.3-py3-none-any.whl"
    assert out["dists"].splitlines() == [out["sdist"], out["wheels"]]
    assert (out["name"], out["version"]) == ("example-pkg", "1.2.3")
    lines = out["sha256sums"].splitlines()
    for line, path in zip(lines, out["dists"].splitlines(), strict=True):
        digest, name = line.split("  ")
        assert name == Path(path).name
        assert digest == hashlib.sha256((project / path).read_bytes()).hexdigest()
    assert base64.b64decode(out["hashes"]).decode() == out["sha256sums"]
    assert "| `example_pkg-1.2.3.tar.gz` |" in result.summary
    assert f"SOURCE_DATE_EPOCH={DEFAULT_EPOCH}" in result.summary  # HEAD's committer time
    assert sorted(p.name for p in (project / "dist").iterdir()) == sorted(
        Path(p).name for p in out["dists"].splitlines()
    )


def test_expected_version_mismatch_leaves_no_files(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hatchling", version="1.2.3")
    assert_failed(build(project, tmp_path, **{"expected-version": "1.2.4"}), "1.2.4", "1.2.3")
    assert not any(p.suffix in {".whl", ".gz"} for p in (project / "dist").rglob("*"))


def test_failing_backend(tmp_path: Path) -> None:
    project = make_project(
        tmp_path,
        "setuptools",
        extra_files={"setup.py": "raise SystemExit('setup.py refuses on purpose')\n"},
    )
    assert_failed(build(project, tmp_path), "refuses on purpose", "title=")
    assert not (project / "dist").exists() or not any((project / "dist").glob("*.whl"))


def test_bad_inputs_fail_before_building(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hatchling")
    assert_failed(build(project, tmp_path, check="yes"), "'check'", "not a boolean")
    assert_failed(build(project, tmp_path, project="missing"), "does not exist")
    assert_failed(build(project, tmp_path, **{"config-settings": "novalue"}), "key=value")
    assert_failed(build(project, tmp_path, **{"source-date-epoch": "yesterday"}), "whole number")
    assert_failed(build(project, tmp_path, **{"expected-version": "one"}), "PEP 440")
    assert not (project / "dist").exists()


def test_unignored_outdir_inside_project_warns(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hatchling", version="1.2.3")
    result = build(project, tmp_path, outdir="out")
    assert result.exit_code == 0, result.stdout
    warnings = [line for line in result.stdout.splitlines() if line.startswith("::warning")]
    assert len(warnings) == 1
    assert "add it to .gitignore" in warnings[0]
    # The dists just built in out/ are now untracked, unignored files that hatchling packs
    # into the next sdist: that build is not the tagged commit's, and is refused.
    again = build(project, tmp_path)
    assert_failed(
        again, "untracked file(s) would be packed", "out/example_pkg-1.2.3", "allow-dirty"
    )
    clean = make_project(tmp_path / "clean", "hatchling", version="1.2.3")
    quiet = build(clean, tmp_path)  # dist/ is in the project's .gitignore
    assert "::warning" not in quiet.stdout
