"""publish-release through the runner contract, on the GitHub and Sigstore stand-ins.

A draft made the real way (sign the dists, draft-release uploads them with their
signatures) is published only after every dist verifies against its bundle for the
expected identity and the release is consistent; "latest" is decided in the publishing
call; re-runs after success change nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from release_actions_dev.standins.github import GitHubStandin
from release_actions_dev.standins.sigstore import SigstoreStandin
from tests.dists import dist_bytes
from tests.harness import StepRun, assert_failed, run_step

OWNER, REPO = "octo-org", "demo"


@pytest.fixture
def github() -> Iterator[GitHubStandin]:
    with GitHubStandin(owner=OWNER, repo=REPO) as standin:
        yield standin
        standin.assert_no_violations()


def names(version: str) -> tuple[str, str]:
    return f"demo-{version}-py3-none-any.whl", f"demo-{version}.tar.gz"


def drafted(
    github: GitHubStandin,
    sigstore: SigstoreStandin,
    tmp_path: Path,
    *,
    version: str = "1.2.3",
    sign: bool = True,
) -> Path:
    """A workspace whose dists were signed and drafted for tag v<version>."""
    ws = tmp_path / f"ws-{version}"
    (ws / "dist").mkdir(parents=True)
    for name in names(version):
        (ws / "dist" / name).write_bytes(dist_bytes(name))
    files = "dist/*"
    if sign:
        signed = run_step(
            "sign",
            {"files": "dist/*", "trust-config": str(sigstore.trust_config_path)},
            workspace=ws,
            tmp=tmp_path,
            extra_env=sigstore.ambient_env(
                repository=f"{OWNER}/{REPO}", ref=f"refs/tags/v{version}"
            ),
        )
        assert signed.exit_code == 0, signed.stdout
        files = "dist/*\nsignatures/*"
    draft = run_step(
        "draft-release",
        {
            "token": github.token,
            "tag": f"v{version}",
            "files": files,
            "target-commitish": "main",
            "notes": "none",
        },
        workspace=ws,
        tmp=tmp_path,
        extra_env=github.environ(),
    )
    assert draft.exit_code == 0, draft.stdout
    return ws


def publish(
    github: GitHubStandin,
    sigstore: SigstoreStandin,
    ws: Path,
    tmp_path: Path,
    **inputs: str,
) -> StepRun:
    return run_step(
        "publish-release",
        {
            "token": github.token,
            "tag": "v1.2.3",
            "trust-config": str(sigstore.trust_config_path),
            **inputs,
        },
        workspace=ws,
        tmp=tmp_path,
        extra_env=github.environ(),
    )


def patches(github: GitHubStandin) -> list[dict[str, object]]:
    return [(r.json or {}) for r in github.requests_for("repos/update-release")]


@pytest.mark.fidelity("gh.make-latest-draft")
def test_publishes_a_verified_draft_and_decides_latest_when_publishing(
    github: GitHubStandin, github_issuer_standin: SigstoreStandin, tmp_path: Path
) -> None:
    ws = drafted(github, github_issuer_standin, tmp_path)
    creates = [(r.json or {}) for r in github.requests_for("repos/create-release")]
    assert all("make_latest" not in body for body in creates)  # never sent on a draft
    result = publish(github, github_issuer_standin, ws, tmp_path)
    assert result.exit_code == 0, result.stdout
    assert result.outputs["published"] == "true"
    assert result.outputs["latest"] == "true"
    (release,) = github.releases()
    assert release.draft is False
    (patch,) = patches(github)
    assert patch["draft"] is False
    assert patch["make_latest"] == "true"
    assert "Verified 2 dist(s)" in result.summary
    assert "✅ **consistent**" in result.summary


def test_a_rerun_after_success_changes_nothing(
    github: GitHubStandin, github_issuer_standin: SigstoreStandin, tmp_path: Path
) -> None:
    ws = drafted(github, github_issuer_standin, tmp_path)
    assert publish(github, github_issuer_standin, ws, tmp_path).exit_code == 0
    github.clear_requests()
    again = publish(github, github_issuer_standin, ws, tmp_path)
    assert again.exit_code == 0, again.stdout
    assert again.outputs["published"] == "false"
    assert github.mutating_requests() == []
    assert "already published" in again.summary


def test_a_prerelease_stays_one_and_is_never_latest(
    github: GitHubStandin, github_issuer_standin: SigstoreStandin, tmp_path: Path
) -> None:
    ws = drafted(github, github_issuer_standin, tmp_path, version="1.3.0rc1")
    result = publish(github, github_issuer_standin, ws, tmp_path, tag="v1.3.0rc1")
    assert result.exit_code == 0, result.stdout
    (release,) = github.releases()
    assert (release.draft, release.prerelease) == (False, True)
    assert patches(github)[0]["make_latest"] == "false"
    assert result.outputs["latest"] == "false"
    refused = publish(
        github, github_issuer_standin, ws, tmp_path, tag="v1.3.0rc1", **{"make-latest": "true"}
    )
    assert refused.exit_code == 0  # already published: nothing to decide any more


def test_make_latest_true_on_a_prerelease_is_refused_before_any_write(
    github: GitHubStandin, github_issuer_standin: SigstoreStandin, tmp_path: Path
) -> None:
    ws = drafted(github, github_issuer_standin, tmp_path, version="1.3.0rc1")
    github.clear_requests()
    result = publish(
        github, github_issuer_standin, ws, tmp_path, tag="v1.3.0rc1", **{"make-latest": "true"}
    )
    assert_failed(result, "pre-release", "make-latest: auto")
    assert github.mutating_requests() == []


def test_auto_is_not_latest_below_a_published_higher_version(
    github: GitHubStandin, github_issuer_standin: SigstoreStandin, tmp_path: Path
) -> None:
    github.seed_release(tag_name="v2.0.0")
    ws = drafted(github, github_issuer_standin, tmp_path)
    result = publish(github, github_issuer_standin, ws, tmp_path)
    assert result.exit_code == 0, result.stdout
    assert result.outputs["latest"] == "false"
    assert patches(github)[0]["make_latest"] == "false"


def test_no_release_for_the_tag_points_at_draft_release(
    github: GitHubStandin, github_issuer_standin: SigstoreStandin, tmp_path: Path
) -> None:
    result = publish(github, github_issuer_standin, tmp_path, tmp_path)
    assert_failed(result, "no release (draft or published) for tag v1.2.3", "draft-release")
    assert github.mutating_requests() == []


def test_an_unsigned_dist_is_refused_before_publishing(
    github: GitHubStandin, github_issuer_standin: SigstoreStandin, tmp_path: Path
) -> None:
    ws = drafted(github, github_issuer_standin, tmp_path, sign=False)
    github.clear_requests()
    result = publish(github, github_issuer_standin, ws, tmp_path)
    assert_failed(result, "has no Sigstore bundle on the release", "verify: false")
    assert github.mutating_requests() == []
    unverified = publish(github, github_issuer_standin, ws, tmp_path, verify="false")
    assert unverified.exit_code == 0, unverified.stdout


def test_another_repository_s_signatures_are_refused(
    github: GitHubStandin, github_issuer_standin: SigstoreStandin, tmp_path: Path
) -> None:
    ws = drafted(github, github_issuer_standin, tmp_path)
    github.clear_requests()
    result = publish(github, github_issuer_standin, ws, tmp_path, repository="someone/else")
    assert_failed(result, "does not verify", "signed by another identity")
    assert github.mutating_requests() == []


def test_a_dist_swapped_on_the_draft_makes_it_inconsistent(
    github: GitHubStandin, github_issuer_standin: SigstoreStandin, tmp_path: Path
) -> None:
    ws = drafted(github, github_issuer_standin, tmp_path)
    (release,) = github.releases()
    wheel = names("1.2.3")[0]
    swapped = next(a for a in github.assets(release.id) if a.name == wheel)
    with github.state.lock:
        github.state.delete_asset(swapped.id)
    github.seed_asset(release.id, name=wheel, data=dist_bytes(wheel, payload=b"swapped"))
    github.clear_requests()
    result = publish(github, github_issuer_standin, ws, tmp_path)
    assert_failed(
        result, "inconsistent", f"{wheel}.sigstore.json signs {wheel}", "sign the dists again"
    )
    assert github.mutating_requests() == []


@pytest.mark.fidelity("gh.immutable-setting")
def test_immutable_releases_are_reported(
    github_issuer_standin: SigstoreStandin, tmp_path: Path
) -> None:
    with GitHubStandin(owner=OWNER, repo=REPO, immutable_releases=True) as github:
        ws = drafted(github, github_issuer_standin, tmp_path)
        result = publish(github, github_issuer_standin, ws, tmp_path)
        assert result.exit_code == 0, result.stdout
        assert result.outputs["immutable"] == "true"
        assert "Immutable releases are **on**" in result.summary
        notices = [line for line in result.stdout.splitlines() if line.startswith("::notice")]
        assert any("takes no more assets" in n for n in notices)
        (release,) = github.releases()
        assert release.immutable is True


def test_a_dry_run_writes_nothing(
    github: GitHubStandin, github_issuer_standin: SigstoreStandin, tmp_path: Path
) -> None:
    ws = drafted(github, github_issuer_standin, tmp_path)
    github.clear_requests()
    result = publish(github, github_issuer_standin, ws, tmp_path, **{"dry-run": "true"})
    assert result.exit_code == 0, result.stdout
    assert github.mutating_requests() == []
    assert "**Dry run**" in result.summary
    (release,) = github.releases()
    assert release.draft is True
