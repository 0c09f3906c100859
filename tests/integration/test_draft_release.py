"""draft-release against the GitHub stand-in, through the runner contract (and the CLI once).

Every test's stand-in fails the test at teardown on any OpenAPI violation.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from release_actions_dev.standins.github import GitHubStandin, github_standin_fixture
from release_actions_dev.standins.github.state import GitRef, utcnow
from tests.dists import dist_bytes
from tests.harness import StepRun, run_step

TAG_SHA = "1234567890abcdef1234567890abcdef12345678"
WHEEL = "demo-1.2.3-py3-none-any.whl"
SDIST = "demo-1.2.3.tar.gz"


@pytest.fixture
def github() -> Iterator[GitHubStandin]:
    yield from github_standin_fixture()


def seed_tag(gh: GitHubStandin, tag: str = "v1.2.3", sha: str = TAG_SHA) -> None:
    with gh.state.lock:
        gh.state.refs[f"refs/tags/{tag}"] = GitRef(f"refs/tags/{tag}", sha)


def workspace(tmp_path: Path, files: Mapping[str, bytes] | None = None) -> Path:
    ws = tmp_path / "ws"
    (ws / "dist").mkdir(parents=True, exist_ok=True)
    chosen = files if files is not None else {WHEEL: dist_bytes(WHEEL), SDIST: dist_bytes(SDIST)}
    for name, data in chosen.items():
        (ws / "dist" / name).write_bytes(data)
    return ws


def run(
    gh: GitHubStandin,
    ws: Path,
    tmp_path: Path,
    step: str = "draft-release",
    **inputs: str,
) -> StepRun:
    inputs.setdefault("tag", "v1.2.3")
    env = {**gh.environ(), "GITHUB_TOKEN": gh.token}
    return run_step(step, inputs, workspace=ws, tmp=tmp_path, extra_env=env)


def assets_out(result: StepRun) -> list[dict[str, object]]:
    data = json.loads(result.outputs["assets"])
    assert isinstance(data, list)
    return data


def assert_failed(result: StepRun, *fragments: str, step: str = "draft-release") -> str:
    assert result.exit_code == 1, result.stdout
    errors = result.errors()
    assert len(errors) == 1, result.stdout
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    assert f"### ❌ {step} failed" in result.summary
    return errors[0]


def stored(gh: GitHubStandin, release_id: int) -> dict[str, str]:
    """name → sha256 of the release's uploaded assets (fails on any leftover)."""
    assets = gh.assets(release_id)
    assert all(a.state == "uploaded" for a in assets), [(a.name, a.state) for a in assets]
    names = [a.name for a in assets]
    assert len(names) == len(set(names))
    return {a.name: str(a.sha256) for a in assets}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- creating and converging --------------------------------------------------------------------
def test_creates_a_draft_with_changelog_notes_and_assets(
    github: GitHubStandin, tmp_path: Path
) -> None:
    seed_tag(github)
    ws = workspace(tmp_path)
    (ws / "CHANGELOG.md").write_text(
        "# Changelog\n\n## [Unreleased]\n\n- soon\n\n## [1.2.3] - 2024-05-01\n\n"
        "### Fixed\n\n- the bug\n\n## [1.2.2] - 2024-04-01\n\n- older\n",
        encoding="utf-8",
    )
    result = run(github, ws, tmp_path, files="dist/*")
    assert result.exit_code == 0, result.stdout
    (release,) = github.releases()
    assert release.draft
    assert not release.prerelease
    assert release.tag_name == "v1.2.3"
    assert release.name == "v1.2.3"
    assert release.target_commitish == TAG_SHA
    assert release.body == "### Fixed\n\n- the bug"
    assert result.outputs["release-id"] == str(release.id)
    assert result.outputs["upload-url"].endswith(f"/releases/{release.id}/assets{{?name,label}}")
    assert result.outputs["html-url"].startswith(github.url)
    files = {p.name: p.read_bytes() for p in (ws / "dist").iterdir()}
    assert stored(github, release.id) == {n: sha(d) for n, d in files.items()}
    out = {a["name"]: a for a in assets_out(result)}
    assert set(out) == set(files)
    for name, data in files.items():
        assert out[name]["action"] == "uploaded"
        assert out[name]["digest"] == f"sha256:{sha(data)}"
        assert out[name]["size"] == len(data)
        assert out[name]["state"] == "uploaded"
        assert str(out[name]["url"]).endswith(name)
    assert "Created draft release" in result.summary
    assert "`CHANGELOG.md`" in result.summary


def test_rerun_converges(github: GitHubStandin, tmp_path: Path) -> None:
    seed_tag(github)
    ws = workspace(tmp_path)
    first = run(github, ws, tmp_path, files="dist/*")
    assert first.exit_code == 0, first.stdout
    github.clear_requests()
    second = run(github, ws, tmp_path, files="dist/*")
    assert second.exit_code == 0, second.stdout
    assert len(github.releases()) == 1
    assert second.outputs["release-id"] == first.outputs["release-id"]
    assert {a["action"] for a in assets_out(second)} == {"skipped"}
    assert github.mutating_requests() == []
    assert "Reused draft release" in second.summary


def test_finds_a_draft_beyond_the_first_page(github: GitHubStandin, tmp_path: Path) -> None:
    draft = github.seed_release(tag_name="v1.2.3", draft=True)  # oldest: listed last
    for number in range(130):
        github.seed_release(tag_name=f"v0.{number}.0", draft=number % 3 == 0)
    ws = workspace(tmp_path)
    result = run(github, ws, tmp_path, files="dist/*")
    assert result.exit_code == 0, result.stdout
    assert result.outputs["release-id"] == str(draft.id)
    assert len(github.releases()) == 131
    assert github.requests_for("repos/create-release") == []
    pages = [r.query.get("page", ["1"])[0] for r in github.requests_for("repos/list-releases")]
    assert "2" in pages
    assert set(stored(github, draft.id)) == {WHEEL, SDIST}


def test_two_drafts_for_the_tag_is_an_error_naming_both(
    github: GitHubStandin, tmp_path: Path
) -> None:
    one = github.seed_release(tag_name="v1.2.3", draft=True)
    two = github.seed_release(tag_name="v1.2.3", draft=True)
    result = run(github, workspace(tmp_path), tmp_path, files="dist/*")
    assert_failed(result, str(one.id), str(two.id), "2 draft releases")
    assert github.mutating_requests() == []


def test_published_release_is_refused(github: GitHubStandin, tmp_path: Path) -> None:
    github.seed_release(tag_name="v1.2.3")
    result = run(github, workspace(tmp_path), tmp_path, files="dist/*")
    assert_failed(result, "already published", "add-wheels-to-release")
    assert github.mutating_requests() == []


def test_prerelease_from_the_version_and_generated_notes(
    github: GitHubStandin, tmp_path: Path
) -> None:
    seed_tag(github, "v2.0.0rc1")
    ws = workspace(tmp_path, {"demo-2.0.0rc1.tar.gz": dist_bytes("demo-2.0.0rc1.tar.gz")})
    result = run(github, ws, tmp_path, tag="v2.0.0rc1", files="dist/*", name="Demo 2 RC")
    assert result.exit_code == 0, result.stdout
    (release,) = github.releases()
    assert release.prerelease
    assert release.draft
    assert release.name == "Demo 2 RC"
    assert "What's Changed" in (release.body or "")
    assert len(github.requests_for("repos/generate-release-notes")) == 1


def test_reST_changelog_and_explicit_changelog_mode(github: GitHubStandin, tmp_path: Path) -> None:
    seed_tag(github)
    ws = workspace(tmp_path)
    (ws / "CHANGES.rst").write_text(
        "Changes\n=======\n\nVersion 1.2.3\n-------------\n\nReleased 2024-05-01\n\n"
        "-   Fix it.\n\nVersion 1.2.2\n-------------\n\n-   Old.\n",
        encoding="utf-8",
    )
    result = run(github, ws, tmp_path, notes="changelog")
    assert result.exit_code == 0, result.stdout
    (release,) = github.releases()
    assert release.body == "Released 2024-05-01\n\n-   Fix it."
    assert github.requests_for("repos/generate-release-notes") == []


def test_changelog_mode_without_a_section_fails_before_any_request(
    github: GitHubStandin, tmp_path: Path
) -> None:
    ws = workspace(tmp_path)
    (ws / "CHANGELOG.md").write_text("## 1.0.0\n\n- old\n", encoding="utf-8")
    assert_failed(run(github, ws, tmp_path, notes="changelog"), "no section for version 1.2.3")
    assert github.requests == []


def test_long_notes_are_truncated(github: GitHubStandin, tmp_path: Path) -> None:
    seed_tag(github)
    ws = workspace(tmp_path)
    (ws / "NOTES.md").write_text("- a change\n" * 20_000, encoding="utf-8")
    result = run(github, ws, tmp_path, **{"notes-file": "NOTES.md"})
    assert result.exit_code == 0, result.stdout
    body = github.releases()[0].body or ""
    assert len(body) <= 125_000
    assert body.endswith("character limit.*")


def test_dist_of_another_version_is_refused(github: GitHubStandin, tmp_path: Path) -> None:
    ws = workspace(tmp_path, {"demo-1.2.4.tar.gz": dist_bytes("demo-1.2.4.tar.gz")})
    assert_failed(run(github, ws, tmp_path, files="dist/*"), "demo-1.2.4.tar.gz (1.2.4)")
    assert github.requests == []


def test_unknown_tag_without_target_is_an_error(github: GitHubStandin, tmp_path: Path) -> None:
    result = run(github, workspace(tmp_path), tmp_path, files="dist/*")
    assert_failed(result, "neither in the checkout nor on GitHub", "target-commitish")
    assert github.mutating_requests() == []


def test_target_commitish_from_a_local_annotated_tag(github: GitHubStandin, tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    for args in (
        ["init", "-q"],
        ["add", "."],
        ["-c", "commit.gpgsign=false", "commit", "-qm", "x"],
        ["-c", "tag.gpgsign=false", "tag", "-a", "v1.2.3", "-m", "v1.2.3"],
    ):
        subprocess.run(["git", *args], cwd=ws, env=env, check=True)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ws, capture_output=True, text=True, check=True
    ).stdout.strip()
    result = run(github, ws, tmp_path, files="dist/*")
    assert result.exit_code == 0, result.stdout
    assert github.releases()[0].target_commitish == head


# -- assets: conflicts, leftovers, odd names ------------------------------------------------------
def test_differing_content_is_refused_then_replaced_with_overwrite(
    github: GitHubStandin, tmp_path: Path
) -> None:
    draft = github.seed_release(tag_name="v1.2.3", draft=True)
    github.seed_asset(draft.id, name=WHEEL, data=dist_bytes(WHEEL, payload=b"other = 1\n"))
    github.seed_asset(draft.id, name=SDIST, data=dist_bytes(SDIST, payload=b"other = 1\n"))
    ws = workspace(tmp_path)
    refused = run(github, ws, tmp_path, files="dist/*")
    error = assert_failed(refused, "2 file(s) differ", WHEEL, SDIST, "overwrite: true")
    assert "sha256:" in error
    assert github.mutating_requests() == []
    replaced = run(github, ws, tmp_path, files="dist/*", overwrite="true")
    assert replaced.exit_code == 0, replaced.stdout
    assert {a["action"] for a in assets_out(replaced)} == {"replaced"}
    expected = {p.name: sha(p.read_bytes()) for p in (ws / "dist").iterdir()}
    assert stored(github, draft.id) == expected


def test_starter_leftover_is_cleaned(github: GitHubStandin, tmp_path: Path) -> None:
    draft = github.seed_release(tag_name="v1.2.3", draft=True)
    leftover = github.seed_asset(draft.id, name=WHEEL, state="starter")
    ws = workspace(tmp_path)
    result = run(github, ws, tmp_path, files="dist/*")
    assert result.exit_code == 0, result.stdout
    actions = {a["name"]: a["action"] for a in assets_out(result)}
    assert actions == {WHEEL: "repaired", SDIST: "uploaded"}
    assert leftover.id not in {a.id for a in github.assets(draft.id)}
    assert set(stored(github, draft.id)) == {WHEEL, SDIST}


def test_plus_local_version_and_space_in_names(github: GitHubStandin, tmp_path: Path) -> None:
    seed_tag(github, "v1.2.3+local")
    local = "demo-1.2.3+local-py3-none-any.whl"
    files = {local: dist_bytes(local), "read me.txt": b"notes"}
    ws = workspace(tmp_path, files)
    result = run(github, ws, tmp_path, tag="v1.2.3+local", files="dist/*")
    assert result.exit_code == 0, result.stdout
    release = github.releases()[0]
    assert set(stored(github, release.id)) == {"demo-1.2.3+local-py3-none-any.whl", "read.me.txt"}
    sent = sorted(r.query["name"][0] for r in github.requests_for("repos/upload-release-asset"))
    assert sent == ["demo-1.2.3+local-py3-none-any.whl", "read.me.txt"]  # sent pre-sanitised
    github.clear_requests()
    again = run(github, ws, tmp_path, tag="v1.2.3+local", files="dist/*")
    assert again.exit_code == 0, again.stdout
    assert {a["action"] for a in assets_out(again)} == {"skipped"}
    assert github.mutating_requests() == []


def test_files_colliding_on_the_stored_name_are_refused(
    github: GitHubStandin, tmp_path: Path
) -> None:
    ws = workspace(tmp_path, {"a b.txt": b"1", "a~b.txt": b"2"})
    assert_failed(run(github, ws, tmp_path, files="dist/*"), "'a.b.txt'")
    assert github.requests == []


def test_empty_file_is_refused_before_any_request(github: GitHubStandin, tmp_path: Path) -> None:
    ws = workspace(tmp_path, {SDIST: b""})
    assert_failed(run(github, ws, tmp_path, files="dist/*"), "empty (0 bytes)")
    assert github.requests == []


def test_pattern_matching_nothing_is_an_error(github: GitHubStandin, tmp_path: Path) -> None:
    assert_failed(run(github, workspace(tmp_path), tmp_path, files="wheelhouse/*"), "matches no")
    assert github.requests == []


# -- faults -----------------------------------------------------------------------------------
def test_two_502s_on_upload_end_with_each_asset_once(github: GitHubStandin, tmp_path: Path) -> None:
    seed_tag(github)
    github.faults.status("repos/upload-release-asset", 502, times=2)
    github.faults.status("repos/list-releases", 502, times=2)
    ws = workspace(tmp_path)
    result = run(github, ws, tmp_path, files="dist/*")
    assert result.exit_code == 0, result.stdout
    (release,) = github.releases()
    assert set(stored(github, release.id)) == {WHEEL, SDIST}
    assert not github.faults.pending


def test_502_on_create_makes_one_draft(github: GitHubStandin, tmp_path: Path) -> None:
    seed_tag(github)
    github.faults.status("repos/create-release", 502, times=1)
    result = run(github, workspace(tmp_path), tmp_path, files="dist/*")
    assert result.exit_code == 0, result.stdout
    assert len(github.releases()) == 1


def test_secondary_rate_limit_is_honoured(github: GitHubStandin, tmp_path: Path) -> None:
    seed_tag(github)
    github.faults.secondary_rate_limit("repos/upload-release-asset", retry_after=1, times=1)
    result = run(github, workspace(tmp_path), tmp_path, files="dist/*")
    assert result.exit_code == 0, result.stdout
    assert "pausing writes for 1 s" in result.stdout
    (release,) = github.releases()
    assert set(stored(github, release.id)) == {WHEEL, SDIST}
    uploads = github.requests_for("repos/upload-release-asset")
    assert [r.status for r in uploads].count(403) == 1


def test_reset_mid_upload_cleans_the_starter_and_retries(
    github: GitHubStandin, tmp_path: Path
) -> None:
    seed_tag(github)
    big = dist_bytes(WHEEL, payload=os.urandom(300_000))  # random: stays large when zipped
    sdist = dist_bytes(SDIST)
    ws = workspace(tmp_path, {WHEEL: big, SDIST: sdist})
    github.faults.reset("repos/upload-release-asset", after_bytes=64 * 1024, times=1)
    result = run(github, ws, tmp_path, files="dist/*", concurrency="1")
    assert result.exit_code == 0, result.stdout
    (release,) = github.releases()
    assert stored(github, release.id) == {WHEEL: sha(big), SDIST: sha(sdist)}
    assert len(github.requests_for("repos/delete-release-asset")) == 1  # the starter


def test_422_race_with_identical_asset_is_skipped(github: GitHubStandin, tmp_path: Path) -> None:
    draft = github.seed_release(tag_name="v1.2.3", draft=True)
    wheel = dist_bytes(WHEEL, payload=b"the = 1\n")
    ws = workspace(tmp_path, {WHEEL: wheel})
    github.faults.before(
        "repos/upload-release-asset",  # another job uploads the same file first
        lambda: github.seed_asset(draft.id, name=WHEEL, data=wheel),
    )
    result = run(github, ws, tmp_path, files="dist/*")
    assert result.exit_code == 0, result.stdout
    assert assets_out(result)[0]["action"] == "skipped"
    assert [r.status for r in github.requests_for("repos/upload-release-asset")] == [422]
    assert stored(github, draft.id) == {WHEEL: sha(wheel)}


def test_422_race_with_other_content_is_a_conflict(github: GitHubStandin, tmp_path: Path) -> None:
    draft = github.seed_release(tag_name="v1.2.3", draft=True)
    ours = dist_bytes(WHEEL, payload=b"ours = 1\n")
    theirs = dist_bytes(WHEEL, payload=b"theirs = 1\n")
    ws = workspace(tmp_path, {WHEEL: ours})
    github.faults.before(
        "repos/upload-release-asset",  # another job uploads other bytes under our name first
        lambda: github.seed_asset(draft.id, name=WHEEL, data=theirs),
    )
    assert_failed(run(github, ws, tmp_path, files="dist/*"), "uploaded meanwhile", "other content")
    assert stored(github, draft.id) == {WHEEL: sha(theirs)}


# -- dry run, secrets, CLI ------------------------------------------------------------------------
def test_dry_run_makes_no_mutating_request(github: GitHubStandin, tmp_path: Path) -> None:
    seed_tag(github)
    ws = workspace(tmp_path)
    result = run(github, ws, tmp_path, files="dist/*", **{"dry-run": "true"})
    assert result.exit_code == 0, result.stdout
    assert github.mutating_requests() == []
    assert github.releases() == []
    assert result.outputs["release-id"] == ""
    assert {a["action"] for a in assets_out(result)} == {"would-upload"}
    assert "**Dry run**" in result.summary
    draft = github.seed_release(tag_name="v1.2.3", draft=True)
    github.seed_asset(draft.id, name=WHEEL, data=dist_bytes(WHEEL, payload=b"stale = 1\n"))
    again = run(github, ws, tmp_path, files="dist/*", overwrite="true", **{"dry-run": "true"})
    assert again.exit_code == 0, again.stdout
    assert {a["name"]: a["action"] for a in assets_out(again)} == {
        WHEEL: "would-replace",
        SDIST: "would-upload",
    }
    assert github.mutating_requests() == []


def test_token_never_printed(github: GitHubStandin, tmp_path: Path) -> None:
    seed_tag(github)
    ws = workspace(tmp_path)
    ok = run(github, ws, tmp_path, files="dist/*", token=github.token)
    github.seed_release(tag_name="v9.9.9")
    failed = run(github, ws, tmp_path, tag="v9.9.9", token=github.token)
    github.faults.status("*", 401, times=None)
    denied = run(github, ws, tmp_path, tag="v1.2.4")
    assert ok.exit_code == 0
    assert failed.exit_code == 1
    assert denied.exit_code == 1
    for result in (ok, failed, denied):
        printed = [
            line for line in result.stdout.splitlines() if not line.startswith("::add-mask::")
        ]
        assert github.token not in "\n".join(printed)
        assert github.token not in result.summary
        assert github.token not in json.dumps(result.outputs)
    assert "::add-mask::" in denied.stdout  # GITHUB_TOKEN from the environment is masked too
    assert "401" in denied.errors()[0]


@pytest.mark.slow
def test_console_script(github: GitHubStandin, tmp_path: Path) -> None:
    seed_tag(github)
    ws = workspace(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    env |= {**github.environ(), "GITHUB_TOKEN": github.token}
    script = Path(sys.executable).with_name("release-actions")
    proc = subprocess.run(
        [str(script), "draft-release", "--tag", "v1.2.3", "--files", "dist/*"],
        cwd=ws,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "release-id: 1" in proc.stdout
    assert github.token not in proc.stdout + proc.stderr
    assert set(stored(github, 1)) == {WHEEL, SDIST}


# -- GitHub's rules (FIDELITY.md) -----------------------------------------------------------------
@pytest.mark.fidelity("gh.make-latest-draft")
def test_the_draft_is_created_without_make_latest(github: GitHubStandin, tmp_path: Path) -> None:
    seed_tag(github)
    result = run(github, workspace(tmp_path), tmp_path, files="dist/*")
    assert result.exit_code == 0, result.stdout
    [create] = github.requests_for("repos/create-release")
    assert create.json["draft"] is True
    assert "make_latest" not in create.json  # GitHub refuses "true" on a draft
    assert github.state.latest_release_id is None


@pytest.mark.fidelity("gh.upload-origin")
def test_uploads_follow_upload_url_to_their_own_origin(
    github: GitHubStandin, tmp_path: Path
) -> None:
    seed_tag(github)
    files = {f"data-{n}.bin": os.urandom(50_000) for n in range(8)}
    result = run(github, workspace(tmp_path, files), tmp_path, files="dist/*", concurrency="2")
    assert result.exit_code == 0, result.stdout
    uploads = github.requests_for("repos/upload-release-asset")
    assert len(uploads) == 8
    assert {r.server for r in uploads} == {"uploads"}  # through the engine's own connections
    assert result.outputs["upload-url"].startswith(github.uploads_url)
    (release,) = github.releases()
    assert stored(github, release.id) == {n: sha(d) for n, d in files.items()}


@pytest.mark.fidelity("gh.upload-origin")
@pytest.mark.parametrize("own_uploads_origin", [False, True], ids=["one-origin", "uploads-host"])
def test_github_enterprise_server_layout_end_to_end(
    tmp_path: Path, own_uploads_origin: bool
) -> None:
    fixture = github_standin_fixture(layout="ghes", own_uploads_origin=own_uploads_origin)
    gh = next(fixture)
    assert gh.api_url.endswith("/api/v3")  # a base URL with a path
    seed_tag(gh)
    ws = workspace(tmp_path)
    first = run(gh, ws, tmp_path, files="dist/*")
    assert first.exit_code == 0, first.stdout
    (release,) = gh.releases()
    assert first.outputs["upload-url"].startswith(f"{gh.uploads_url}/repos/")
    assert "/api/uploads/repos/" in first.outputs["upload-url"]
    gh.clear_requests()
    again = run(gh, ws, tmp_path, files="dist/*")
    assert {a["action"] for a in assets_out(again)} == {"skipped"}
    assert gh.mutating_requests() == []
    cp = "demo-1.2.3-cp313-cp313-manylinux_2_28_x86_64.whl"
    more = workspace(tmp_path / "more", {cp: dist_bytes(cp)})
    added = run(gh, more, tmp_path, "add-wheels-to-release", files="dist/*")
    assert added.exit_code == 0, added.stdout
    assert set(stored(gh, release.id)) == {WHEEL, SDIST, cp}
    servers = {r.server for r in gh.requests_for("repos/upload-release-asset")}
    assert servers == {"uploads" if own_uploads_origin else "api"}
    with pytest.raises(StopIteration):
        next(fixture)  # teardown: no OpenAPI violation


@pytest.mark.fidelity("gh.draft-visibility", "gh.read-only-token")
def test_a_read_only_token_is_named_as_the_reason(github: GitHubStandin, tmp_path: Path) -> None:
    seed_tag(github)
    draft = github.seed_release(tag_name="v1.2.3", draft=True)  # invisible to the token
    [token] = github.read_only_tokens
    result = run(github, workspace(tmp_path), tmp_path, files="dist/*", token=token)
    error = assert_failed(result, "403", "may not write releases", "may push", "contents: write")
    assert "Resource not accessible by integration" in error
    assert github.releases() == [draft]  # no second draft
    assert github.assets(draft.id) == []


@pytest.mark.fidelity("gh.digest-null", "gh.asset-download")
def test_assets_without_digest_are_compared_by_their_bytes(
    github: GitHubStandin, tmp_path: Path
) -> None:
    ws = workspace(tmp_path)
    files = {p.name: p.read_bytes() for p in (ws / "dist").iterdir()}
    draft = github.seed_release(tag_name="v1.2.3", draft=True)
    for name, data in files.items():
        github.seed_asset(draft.id, name=name, data=data, digest_recorded=False)
    result = run(github, ws, tmp_path, files="dist/*")
    assert result.exit_code == 0, result.stdout
    assert {a["action"] for a in assets_out(result)} == {"skipped"}
    assert github.mutating_requests() == []
    assert "GitHub recorded no digest" in result.stdout
    reads = github.requests_for("repos/get-release-asset")
    assert len(reads) == 2
    assert all(r.headers.get("Accept") == "application/octet-stream" for r in reads)
    assert len(github.requests_for("web/signed-download")) == 2  # followed the 302


@pytest.mark.fidelity("gh.digest-null")
def test_assets_without_digest_that_differ_are_a_conflict(
    github: GitHubStandin, tmp_path: Path
) -> None:
    ws = workspace(tmp_path)
    ours = (ws / "dist" / WHEEL).read_bytes()
    theirs = bytearray(ours)
    theirs[-30] ^= 1  # same size, other bytes
    draft = github.seed_release(tag_name="v1.2.3", draft=True)
    github.seed_asset(draft.id, name=WHEEL, data=bytes(theirs), digest_recorded=False)
    github.seed_asset(draft.id, name=SDIST, data=b"shorter", digest_recorded=False)
    result = run(github, ws, tmp_path, files="dist/*")
    assert_failed(result, "2 file(s) differ", f"sha256:{sha(bytes(theirs))}", "no digest recorded")
    assert github.mutating_requests() == []
    assert len(github.requests_for("repos/get-release-asset")) == 1  # only the same-size one


@pytest.mark.fidelity("gh.asset-count-limit")
@pytest.mark.parametrize("dry_run", ["false", "true"])
def test_more_than_1000_assets_are_refused_before_any_write(
    github: GitHubStandin, tmp_path: Path, dry_run: str
) -> None:
    draft = github.seed_release(tag_name="v1.2.3", draft=True)
    for number in range(995):
        github.seed_asset(draft.id, name=f"old-{number}.txt", data=b"x")
    files = {f"new-{n}.txt": f"new {n}".encode() for n in range(6)}
    result = run(
        github, workspace(tmp_path, files), tmp_path, files="dist/*", **{"dry-run": dry_run}
    )
    assert_failed(result, "1,001 assets", "995 already there", "6 new", "at most 1,000")
    assert github.mutating_requests() == []
    assert len(github.assets(draft.id)) == 995


@pytest.mark.fidelity("gh.asset-count-limit")
def test_1200_files_for_a_new_release_are_refused_in_a_dry_run(
    github: GitHubStandin, tmp_path: Path
) -> None:
    seed_tag(github)
    files = {f"f-{n:04d}.txt": str(n).encode() for n in range(1200)}
    result = run(
        github, workspace(tmp_path, files), tmp_path, files="dist/*", **{"dry-run": "true"}
    )
    assert_failed(result, "1,200 assets", "0 already there", "at most 1,000")
    assert github.mutating_requests() == []


@pytest.mark.fidelity("gh.asset-size-limit")
def test_a_file_of_2_gib_is_refused_before_any_request(
    github: GitHubStandin, tmp_path: Path
) -> None:
    ws = workspace(tmp_path, {})
    with (ws / "dist" / "huge.bin").open("wb") as fh:
        fh.truncate(2 * 1024**3)  # sparse: no disk used
    result = run(github, ws, tmp_path, files="dist/*", **{"dry-run": "true"})
    assert_failed(result, "2,147,483,648 bytes", "under 2 GiB")
    assert github.requests == []


@pytest.mark.fidelity("gh.immutable-burned-tag")
def test_a_tag_burned_by_an_immutable_release(github: GitHubStandin, tmp_path: Path) -> None:
    """GitHub accepts the draft (it refuses only publishing it); if it ever refuses the
    create, as it does for a published release, the step says why in GitHub's words."""
    seed_tag(github)
    github.burn_tag("v1.2.3")
    accepted = run(github, workspace(tmp_path), tmp_path, files="dist/*")
    assert accepted.exit_code == 0, accepted.stdout
    github.state.delete_release(github.releases()[0].id)
    url = f"{github.api_url}/repos/{github.repository}/releases"
    published = requests.post(
        url,
        json={"tag_name": "v1.2.3"},
        headers={"Authorization": f"token {github.token}"},
        timeout=30,
    )
    assert published.status_code == 422  # what GitHub answers for this tag
    github.faults.status("repos/create-release", 422, body=published.json())
    refused = run(github, workspace(tmp_path / "again"), tmp_path, files="dist/*")
    assert_failed(refused, "tag v1.2.3 was used by an immutable release", "new version")
    assert github.releases() == []


@pytest.mark.fidelity("gh.content-limits")
def test_hourly_content_limit_fails_fast_and_the_rerun_converges(
    github: GitHubStandin, tmp_path: Path
) -> None:
    seed_tag(github)
    files = {f"data-{n}.bin": os.urandom(1000) for n in range(5)}
    ws = workspace(tmp_path, files)
    github.faults.content_limits(per_minute=80, per_hour=3)  # the create and two uploads
    result = run(github, ws, tmp_path, files="dist/*", concurrency="1")
    assert_failed(result, "rate limit", "re-run the job later")
    (release,) = github.releases()
    assert len(stored(github, release.id)) == 2  # what was done is done, nothing broken
    github.faults.clear()
    again = run(github, ws, tmp_path, files="dist/*")
    assert again.exit_code == 0, again.stdout
    assert stored(github, release.id) == {n: sha(d) for n, d in files.items()}


@pytest.mark.fidelity("gh.list-order")
def test_request_counts_of_a_rerun_and_of_creating(github: GitHubStandin, tmp_path: Path) -> None:
    seed_tag(github)
    an_hour_ago = utcnow() - timedelta(hours=1)
    for number in range(150):
        github.state.add_release(tag_name=f"v0.{number}.0", created_at=an_hour_ago)
    files = {f"f-{n:03d}.txt": str(n).encode() for n in range(150)}
    ws = workspace(tmp_path, files)
    first = run(github, ws, tmp_path, files="dist/*")
    assert first.exit_code == 0, first.stdout
    # Two pages to find no draft, then the first page once to see no twin: not two full listings.
    assert len(github.requests_for("repos/list-releases")) == 3
    github.clear_requests()
    again = run(github, ws, tmp_path, files="dist/*")
    assert again.exit_code == 0, again.stdout
    assert len(github.requests) <= math.ceil(150 / 100) + 3
