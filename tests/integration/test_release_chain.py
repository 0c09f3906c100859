"""The root action: the whole chain in one step, against both stand-ins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from release_actions_dev.standins.github import GitHubStandin
from release_actions_dev.standins.sigstore import SigstoreStandin
from tests.harness import StepRun, assert_failed, run_step
from tests.projects import make_project, run_git

pytestmark = pytest.mark.slow


def chain(
    project: Path,
    tmp_path: Path,
    github: GitHubStandin,
    sigstore: SigstoreStandin,
    **inputs: str,
) -> StepRun:
    commit = run_git(project, "rev-parse", "HEAD")
    env = {
        **github.environ(),
        **sigstore.ambient_env(repository=github.repository, ref="refs/tags/v1.2.3", sha=commit),
        "GITHUB_REF": "refs/tags/v1.2.3",
    }
    base = {
        "token": github.token,
        "trust-config": str(sigstore.trust_config_path),
        "require-branch": "main",
    }
    return run_step("release", {**base, **inputs}, workspace=project, tmp=tmp_path, extra_env=env)


def test_tag_to_signed_draft_in_one_step(
    tmp_path: Path, github_standin: GitHubStandin, sigstore_standin: SigstoreStandin
) -> None:
    project = make_project(tmp_path, "hatchling", version="1.2.3", tag="v1.2.3")
    result = chain(project, tmp_path, github_standin, sigstore_standin)
    assert result.exit_code == 0, result.stdout
    assert result.outputs["version"] == "1.2.3"
    names = {asset["name"] for asset in json.loads(result.outputs["assets"])}
    assert names == {
        "example_pkg-1.2.3.tar.gz",
        "example_pkg-1.2.3-py3-none-any.whl",
        "example_pkg-1.2.3.tar.gz.sigstore.json",
        "example_pkg-1.2.3-py3-none-any.whl.sigstore.json",
        "example_pkg-1.2.3.tar.gz.publish.attestation",
        "example_pkg-1.2.3-py3-none-any.whl.publish.attestation",
        "example_pkg-1.2.3.intoto.jsonl",
    }
    (release,) = github_standin.releases()
    assert release.draft
    for heading in ("verify-tag", "build-dists", "sign", "draft-release"):
        assert f"### ✅ {heading}" in result.summary
    # A re-run is a fresh job: a new checkout, a new build (identical), new signatures
    # (never identical), and the same draft, whose signatures of identical files are kept.
    rerun = tmp_path / "rerun"
    run_git(tmp_path, "clone", "--quiet", str(project), str(rerun))
    run_git(rerun, "checkout", "--quiet", "v1.2.3")
    again = chain(rerun, tmp_path, github_standin, sigstore_standin)
    assert again.exit_code == 0, again.stdout
    assert len(github_standin.releases()) == 1
    assert {a["action"] for a in json.loads(again.outputs["assets"])} == {"skipped"}
    assert "already holds a signature for the identical" in again.stdout


def test_dry_run_publishes_nothing(
    tmp_path: Path, github_standin: GitHubStandin, sigstore_standin: SigstoreStandin
) -> None:
    project = make_project(tmp_path, "hatchling", version="1.2.3", tag="v1.2.3")
    result = chain(project, tmp_path, github_standin, sigstore_standin, **{"dry-run": "true"})
    assert result.exit_code == 0, result.stdout
    assert github_standin.mutating_requests() == []
    assert sum(sigstore_standin.request_counts.values()) == 0


def test_a_bad_tag_stops_before_anything(
    tmp_path: Path, github_standin: GitHubStandin, sigstore_standin: SigstoreStandin
) -> None:
    project = make_project(tmp_path, "hatchling", version="1.2.2", tag="v1.2.3")
    assert_failed(chain(project, tmp_path, github_standin, sigstore_standin), "1.2.2")
    assert github_standin.requests == []
    assert not (project / "dist").exists()


@pytest.mark.parametrize(
    ("inputs", "fragment"),
    [({"notes": "sometimes"}, "'notes'"), ({"concurrency": "32"}, "outside 1 to 16")],
)
def test_every_sub_step_input_is_checked_before_the_build(
    tmp_path: Path,
    github_standin: GitHubStandin,
    sigstore_standin: SigstoreStandin,
    inputs: dict[str, str],
    fragment: str,
) -> None:
    project = make_project(tmp_path, "hatchling", version="1.2.3", tag="v1.2.3")
    assert_failed(chain(project, tmp_path, github_standin, sigstore_standin, **inputs), fragment)
    assert not (project / "dist").exists()
    assert sum(sigstore_standin.request_counts.values()) == 0
