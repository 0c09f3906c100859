"""The README's main job: the whole chain on the bundled example against the stand-ins."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from release_actions_dev.rehearse import bundled_example, main, rehearse
from tests.projects import make_project

pytestmark = pytest.mark.slow


def test_bundled_example_end_to_end(tmp_path: Path) -> None:
    out = io.StringIO()

    code = rehearse(bundled_example(), tag=None, output=tmp_path / "out", out=out)
    text = out.getvalue()
    assert code == 0, text
    for step in (
        "verify-tag",
        "build-dists",
        "sign",
        "draft-release",
        "add-wheels-to-release",
        "publish-release",
        "publish-pypi",
    ):
        assert f"✓ {step}" in text
    assert "published, latest" in text  # the release, as the GitHub stand-in holds it
    assert "hello_release-1.0.0-py3-none-any.whl │" in text  # on the index, too
    assert "the rebuild by someone else is byte-identical" in text
    assert "Rehearsal passed" in text
    downloaded = sorted(p.name for p in (tmp_path / "out" / "downloaded").iterdir())
    assert "hello_release-1.0.0-py3-none-any.whl" in downloaded
    assert "hello_release-1.0.0.tar.gz.sigstore.json" in downloaded
    assert "hello_release-1.0.0-wheels.intoto.jsonl" in downloaded
    assert "ghs_rehearsal" not in text  # the token is masked everywhere


def test_user_project_in_a_git_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = make_project(tmp_path, "hatch-vcs", tag="v0.3.0")
    monkeypatch.chdir(tmp_path)
    assert main([str(project), "--tag", "v0.3.0", "--output", "rehearsed"]) == 0
    assert (tmp_path / "rehearsed" / "dist" / "example_pkg-0.3.0.tar.gz").is_file()


def test_failure_stops_the_chain(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hatchling", version="1.0.0", init_version="0.9.0")
    out = io.StringIO()
    assert rehearse(project, tag="v1.0.0", out=out) == 1
    assert "rehearsal stopped: verify-tag failed" in out.getvalue()
