"""add-wheels-to-release against the GitHub stand-in, through the runner contract (and the CLI)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from release_actions_dev.standins.github import GitHubStandin, github_standin_fixture
from release_actions_dev.standins.sigstore import SigstoreStandin
from tests.dists import dist_bytes
from tests.integration.test_draft_release import (
    SDIST,
    WHEEL,
    assert_failed,
    assets_out,
    run,
    sha,
    stored,
    workspace,
)
from tests.signed import signatures

STEP = "add-wheels-to-release"
CP313 = "demo-1.2.3-cp313-cp313-manylinux_2_28_x86_64.whl"
CP312 = "demo-1.2.3-cp312-cp312-win_amd64.whl"
#: What the published release already holds (the same bytes as a local file means "identical").
THE_SDIST = dist_bytes(SDIST, payload=b"the = 1\n")
THE_WHEEL = dist_bytes(WHEEL, payload=b"the = 1\n")


@pytest.fixture
def github() -> Iterator[GitHubStandin]:
    yield from github_standin_fixture()


def published(gh: GitHubStandin, *, immutable: bool = False) -> int:
    release = gh.seed_release(tag_name="v1.2.3", immutable=immutable)
    gh.seed_asset(release.id, name=SDIST, data=THE_SDIST)
    gh.seed_asset(release.id, name=WHEEL, data=THE_WHEEL)
    return release.id


def test_published_release_gets_the_new_wheels_and_keeps_its_state(
    github: GitHubStandin, shared_sigstore_standin: SigstoreStandin, tmp_path: Path
) -> None:
    release_id = published(github)
    before = github.release(release_id)
    latest_before = github.state.latest_release_id
    wheel = dist_bytes(CP313, payload=b"new = 1\n")
    files = {
        CP313: wheel,
        **signatures(shared_sigstore_standin, {CP313: wheel}, tmp_path, label="cp313",
                     attestations=False),
    }  # fmt: skip
    assert set(files) == {CP313, f"{CP313}.sigstore.json", "demo-1.2.3-cp313.intoto.jsonl"}
    ws = workspace(tmp_path, files)
    result = run(github, ws, tmp_path, STEP, files="dist/*")
    assert result.exit_code == 0, result.stdout
    assert result.outputs["release-id"] == str(release_id)
    assert (result.outputs["uploaded"], result.outputs["skipped"]) == ("3", "0")
    assert "✅ **consistent**" in result.summary
    assert {a["action"] for a in assets_out(result)} == {"uploaded"}
    assert stored(github, release_id) == {
        SDIST: sha(THE_SDIST),
        WHEEL: sha(THE_WHEEL),
        **{name: sha(data) for name, data in files.items()},
    }
    after = github.release(release_id)
    assert not after.draft
    assert not after.prerelease
    assert after.published_at == before.published_at
    assert github.state.latest_release_id == latest_before
    assert {r.operation_id for r in github.mutating_requests()} == {"repos/upload-release-asset"}
    assert "published release" in result.summary


def test_rerun_skips_what_is_there(github: GitHubStandin, tmp_path: Path) -> None:
    release_id = published(github)
    ws = workspace(tmp_path, {CP313: dist_bytes(CP313, payload=b"new = 1\n"), WHEEL: THE_WHEEL})
    first = run(github, ws, tmp_path, STEP, files="dist/*")
    assert (first.outputs["uploaded"], first.outputs["skipped"]) == ("1", "1")
    github.clear_requests()
    again = run(github, ws, tmp_path, STEP, files="dist/*")
    assert (again.outputs["uploaded"], again.outputs["skipped"]) == ("0", "2")
    assert github.mutating_requests() == []
    assert len(stored(github, release_id)) == 3


def test_works_on_a_draft(github: GitHubStandin, tmp_path: Path) -> None:
    draft = github.seed_release(tag_name="v1.2.3", draft=True)
    result = run(
        github, workspace(tmp_path, {CP313: dist_bytes(CP313)}), tmp_path, STEP, files="dist/*"
    )
    assert result.exit_code == 0, result.stdout
    assert github.release(draft.id).draft
    assert set(stored(github, draft.id)) == {CP313}


def test_no_release_is_an_error_and_nothing_is_created(
    github: GitHubStandin, tmp_path: Path
) -> None:
    github.seed_release(tag_name="v1.2.2")
    result = run(
        github, workspace(tmp_path, {CP313: dist_bytes(CP313)}), tmp_path, STEP, files="dist/*"
    )
    assert_failed(
        result, "no release (draft or published) for tag v1.2.3", "draft-release", step=STEP
    )
    assert github.mutating_requests() == []
    assert len(github.releases()) == 1


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("demo-1.2.4-cp313-cp313-manylinux_2_28_x86_64.whl", "is version 1.2.4"),
        ("other-1.2.3-py3-none-any.whl", "is project other, the release's files are demo"),
        ("notes.txt", "not a wheel, sdist, signature bundle or provenance file"),
        ("demo-1.2.2-py3-none-any.whl.sigstore.json", "neither among the files nor on the release"),
        ("demo_bad-name.whl", "not a valid distribution file name"),
    ],
)
def test_files_not_of_the_release_are_refused(
    github: GitHubStandin, tmp_path: Path, name: str, fragment: str
) -> None:
    published(github)
    try:
        data = dist_bytes(name, payload=b"x = 1\n")  # a valid dist, refused for its name alone
    except ValueError:
        data = b"x"  # a file name no dist can have
    ws = workspace(tmp_path, {CP313: dist_bytes(CP313), name: data})
    assert_failed(run(github, ws, tmp_path, STEP, files="dist/*"), fragment, step=STEP)
    assert github.mutating_requests() == []


def test_bundle_of_an_attached_dist_is_accepted(
    github: GitHubStandin, shared_sigstore_standin: SigstoreStandin, tmp_path: Path
) -> None:
    release_id = published(github)
    sigs = signatures(shared_sigstore_standin, {WHEEL: THE_WHEEL}, tmp_path)
    ws = workspace(tmp_path, {f"{WHEEL}.publish.attestation": sigs[f"{WHEEL}.publish.attestation"]})
    result = run(github, ws, tmp_path, STEP, files="dist/*")
    assert result.exit_code == 0, result.stdout
    assert f"{WHEEL}.publish.attestation" in stored(github, release_id)


def test_differing_content_refused_then_replaced(github: GitHubStandin, tmp_path: Path) -> None:
    release_id = published(github)
    rebuilt = dist_bytes(WHEEL, payload=b"rebuilt = 1\n")
    ws = workspace(tmp_path, {WHEEL: rebuilt})
    assert_failed(run(github, ws, tmp_path, STEP, files="dist/*"), "1 file(s) differ", step=STEP)
    assert github.mutating_requests() == []
    published_too = run(github, ws, tmp_path, STEP, files="dist/*", overwrite="true")
    assert_failed(published_too, "is published", "overwrite-published: true", step=STEP)
    assert github.mutating_requests() == []
    replaced = run(
        github, ws, tmp_path, STEP, files="dist/*", overwrite="true",
        **{"overwrite-published": "true"},
    )  # fmt: skip
    assert replaced.exit_code == 0, replaced.stdout
    assert stored(github, release_id)[WHEEL] == sha(rebuilt)


def test_immutable_release_is_refused_before_any_upload(
    github: GitHubStandin, tmp_path: Path
) -> None:
    release_id = published(github, immutable=True)
    refused = run(
        github, workspace(tmp_path, {CP313: dist_bytes(CP313)}), tmp_path, STEP, files="dist/*"
    )
    assert_failed(refused, "immutable", "Cannot upload assets to an immutable release.", step=STEP)
    assert github.mutating_requests() == []
    (tmp_path / "ws" / "dist" / CP313).unlink()
    (tmp_path / "ws" / "dist" / WHEEL).write_bytes(THE_WHEEL)
    identical = run(github, tmp_path / "ws", tmp_path, STEP, files="dist/*")
    assert identical.exit_code == 0, identical.stdout  # nothing to change: converged
    assert identical.outputs["skipped"] == "1"
    assert len(stored(github, release_id)) == 2


def test_dry_run_makes_no_mutating_request(github: GitHubStandin, tmp_path: Path) -> None:
    published(github)
    ws = workspace(tmp_path, {CP313: dist_bytes(CP313), WHEEL: THE_WHEEL})
    result = run(github, ws, tmp_path, STEP, files="dist/*", **{"dry-run": "true"})
    assert result.exit_code == 0, result.stdout
    assert github.mutating_requests() == []
    assert {a["name"]: a["action"] for a in assets_out(result)} == {
        CP313: "would-upload",
        WHEEL: "skipped",
    }
    assert "**Dry run**" in result.summary


def test_faults_end_in_the_intended_state(github: GitHubStandin, tmp_path: Path) -> None:
    release_id = published(github)
    big = dist_bytes(CP313, payload=os.urandom(200_000))  # random: stays large when zipped
    w312 = dist_bytes(CP312)
    ws = workspace(tmp_path, {CP313: big, CP312: w312})
    github.faults.reset("repos/upload-release-asset", after_bytes=32 * 1024)
    github.faults.status("repos/upload-release-asset", 502, times=2)
    github.faults.status("repos/list-release-assets", 503, times=1)
    result = run(github, ws, tmp_path, STEP, files="dist/*", concurrency="2")
    assert result.exit_code == 0, result.stdout
    assert stored(github, release_id) == {
        SDIST: sha(THE_SDIST),
        WHEEL: sha(THE_WHEEL),
        CP313: sha(big),
        CP312: sha(w312),
    }
    assert not github.faults.pending


def test_token_never_printed(github: GitHubStandin, tmp_path: Path) -> None:
    published(github, immutable=True)
    result = run(
        github, workspace(tmp_path, {CP313: dist_bytes(CP313)}), tmp_path, STEP, files="dist/*"
    )
    assert result.exit_code == 1
    printed = [line for line in result.stdout.splitlines() if not line.startswith("::add-mask::")]
    assert github.token not in "\n".join(printed) + result.summary


@pytest.mark.slow
def test_console_script(github: GitHubStandin, tmp_path: Path) -> None:
    release_id = published(github)
    ws = workspace(tmp_path, {CP313: dist_bytes(CP313)})
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    env |= {**github.environ(), "GITHUB_TOKEN": github.token}
    script = Path(sys.executable).with_name("release-actions")
    proc = subprocess.run(
        [str(script), STEP, "--tag", "v1.2.3", "--files", "dist/*.whl"],
        cwd=ws,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "uploaded: 1" in proc.stdout
    assert CP313 in stored(github, release_id)


# -- GitHub's rules (FIDELITY.md) -----------------------------------------------------------------
@pytest.mark.fidelity("gh.by-tag-no-drafts")
def test_a_published_release_is_found_by_its_tag(github: GitHubStandin, tmp_path: Path) -> None:
    published(github)
    for number in range(120):  # the release listing would take two pages
        github.seed_release(tag_name=f"v0.{number}.0")
    result = run(
        github, workspace(tmp_path, {CP313: dist_bytes(CP313)}), tmp_path, STEP, files="dist/*"
    )
    assert result.exit_code == 0, result.stdout
    assert len(github.requests_for("repos/get-release-by-tag")) == 1
    assert github.requests_for("repos/list-releases") == []


@pytest.mark.fidelity("gh.digest-null", "gh.asset-download")
def test_assets_from_before_digests_are_compared_by_their_bytes(
    github: GitHubStandin, tmp_path: Path
) -> None:
    release = github.seed_release(tag_name="v1.2.3")
    github.seed_asset(release.id, name=WHEEL, data=THE_WHEEL, digest_recorded=False)
    ws = workspace(tmp_path, {WHEEL: THE_WHEEL, CP313: dist_bytes(CP313)})
    result = run(github, ws, tmp_path, STEP, files="dist/*")
    assert result.exit_code == 0, result.stdout
    assert {a["name"]: a["action"] for a in assets_out(result)} == {
        WHEEL: "skipped",
        CP313: "uploaded",
    }
    assert [r.operation_id for r in github.mutating_requests()] == ["repos/upload-release-asset"]


@pytest.mark.fidelity("gh.draft-visibility")
def test_a_draft_hidden_from_a_read_only_token_is_explained(
    github: GitHubStandin, tmp_path: Path
) -> None:
    github.seed_release(tag_name="v1.2.3", draft=True)
    [token] = github.read_only_tokens
    ws = workspace(tmp_path, {CP313: dist_bytes(CP313)})
    result = run(github, ws, tmp_path, STEP, files="dist/*", token=token)
    assert_failed(
        result, "no release (draft or published)", "may push", "contents: write", step=STEP
    )
    assert github.mutating_requests() == []


@pytest.mark.fidelity("gh.immutable-assets")
def test_a_release_made_immutable_during_the_run_is_said_in_githubs_words(
    github: GitHubStandin, tmp_path: Path
) -> None:
    release_id = published(github)

    def publish_as_immutable() -> None:  # another job publishes with immutability on
        with github.state.lock:
            github.release(release_id).immutable = True

    github.faults.before("repos/upload-release-asset", publish_as_immutable)
    ws = workspace(tmp_path, {CP313: dist_bytes(CP313)})
    result = run(github, ws, tmp_path, STEP, files="dist/*")
    assert_failed(
        result, "immutable", "Cannot upload assets to an immutable release.", "post1", step=STEP
    )
    assert set(stored(github, release_id)) == {SDIST, WHEEL}


@pytest.mark.fidelity("gh.asset-count-limit")
def test_the_limit_counts_what_the_release_holds(github: GitHubStandin, tmp_path: Path) -> None:
    release_id = published(github)
    for number in range(998):
        github.seed_asset(release_id, name=f"demo-1.2.3.{number}.intoto.jsonl", data=b"{}")
    files = {CP313: dist_bytes(CP313), CP312: dist_bytes(CP312), WHEEL: THE_WHEEL}
    result = run(github, workspace(tmp_path, files), tmp_path, STEP, files="dist/*")
    assert_failed(result, "1,002 assets", "1,000 already there", "2 new", step=STEP)
    assert github.mutating_requests() == []
