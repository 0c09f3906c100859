"""Secret leaks: every step, on success and on failure, with recognisable secrets.

The GitHub token is ``ghs_LEAKCANARY…`` (as the ``token`` input where a step has one, and
as ``GITHUB_TOKEN`` everywhere), the Sigstore identity token a stand-in JWT given as
``identity-token``. Neither may appear in the log, ``GITHUB_OUTPUT``, the job summary or
any file the step leaves in the workspace or the runner's file-command folder; the only
allowed occurrence is the ``::add-mask::<secret>`` line that tells the runner to mask it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from release_actions_dev.standins.github import GitHubStandin, github_standin_fixture
from release_actions_dev.standins.pypi.testing import API_TOKEN, attest, pypi_for
from release_actions_dev.standins.sigstore import SigstoreStandin
from tests.dists import dist_bytes
from tests.hardening.corpus import BRANCH_EVENT, TAG, make_workspace, seed_tag
from tests.harness import StepRun, run_step
from tests.integration.test_sign import make_workspace as sign_workspace
from tests.projects import make_project

CANARY = "ghs_LEAKCANARY0123456789abcdefABCDEF0123"
MARK = "LEAKCANARY"


@pytest.fixture
def canary_github() -> Iterator[GitHubStandin]:
    yield from github_standin_fixture(token=CANARY)


def _run(
    step: str,
    inputs: Mapping[str, str],
    ws: Path,
    tmp: Path,
    env: Mapping[str, str] | None = None,
) -> StepRun:
    return run_step(
        step,
        inputs,
        workspace=ws,
        tmp=tmp,
        event=BRANCH_EVENT,
        extra_env={"GITHUB_TOKEN": CANARY, **(env or {})},
    )


def _needles(secret: str) -> list[str]:
    """The secret, and for a JWT its signature (the part that grants anything)."""
    needles = [secret]
    if secret.count(".") == 2:
        needles.append(secret.rsplit(".", 1)[1])
    if MARK in secret:
        needles.append(MARK)
    return needles


def assert_no_leak(result: StepRun, roots: list[Path], *secrets: str) -> None:
    for secret in secrets:
        for needle in _needles(secret):
            for line in result.stdout.splitlines():
                if needle in line:
                    assert line == f"::add-mask::{secret}", f"{result.step} printed {line!r}"
            assert needle not in result.summary, f"{result.step}: summary"
            assert all(needle not in v for v in result.outputs.values()), f"{result.step}: outputs"
            for root in roots:
                for path in root.rglob("*"):
                    if path.is_file() and not path.is_symlink():
                        data = path.read_bytes()
                        assert needle.encode() not in data, f"{result.step} wrote it into {path}"


def test_github_steps(canary_github: GitHubStandin, tmp_path: Path) -> None:
    gh = canary_github
    seed_tag(gh)
    ws = make_workspace(tmp_path)
    env = gh.environ()
    runs = [
        (0, _run("draft-release", {"tag": TAG, "files": "dist/*", "token": CANARY}, ws, tmp_path, env)),
        (0, _run("add-wheels-to-release", {"tag": TAG, "files": "dist/*", "token": CANARY}, ws, tmp_path, env)),
        # failures after the token was used: a published release; no release for the tag
        (1, _run("add-wheels-to-release", {"tag": "v1.2.4", "files": "dist/*", "token": CANARY}, ws, tmp_path, env)),
    ]  # fmt: skip
    gh.seed_release(tag_name="v2.0.0")
    runs.append((1, _run("draft-release", {"tag": "v2.0.0", "token": CANARY}, ws, tmp_path, env)))
    gh.faults.status("*", 401, times=None)
    runs.append((1, _run("draft-release", {"tag": TAG, "files": "dist/*"}, ws, tmp_path, env)))
    for code, result in runs:
        assert result.exit_code == code, result.stdout
        assert f"::add-mask::{CANARY}" in result.stdout.splitlines()[0]  # masked first
        assert_no_leak(result, [tmp_path], CANARY)


def test_sign_and_verify(sigstore_standin: SigstoreStandin, tmp_path: Path) -> None:
    standin = sigstore_standin
    ws = sign_workspace(tmp_path)
    jwt = standin.issue_token()
    trust = str(standin.trust_config_path)
    sign = {"files": "dist/*", "trust-config": trust, "identity-token": jwt, "token": CANARY}
    signed = _run("sign", sign, ws, tmp_path)
    assert signed.exit_code == 0, signed.stdout
    assert f"::add-mask::{jwt}" in signed.stdout.splitlines()
    standin.fail_next("rekor", 1, status=400)  # a failure after the token reached Fulcio
    refused = _run("sign", {**sign, "output-dir": "again"}, ws, tmp_path)
    assert refused.exit_code == 1, refused.stdout
    verify = {
        "files": "dist/*",
        "repository": "octo/example",
        "issuer": standin.issuer_url,
        "trust-config": trust,
    }
    verified = _run("verify", verify, ws, tmp_path)
    assert verified.exit_code == 0, verified.stdout
    tampered_sdist = dist_bytes("example_pkg-1.0.0.tar.gz", payload=b"tampered = True\n")
    (ws / "dist" / "example_pkg-1.0.0.tar.gz").write_bytes(tampered_sdist)
    tampered = _run("verify", verify, ws, tmp_path)
    assert tampered.exit_code == 1, tampered.stdout
    for result in (signed, refused, verified, tampered):
        assert_no_leak(result, [tmp_path], CANARY, jwt)


def test_verify_tag(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hatchling", name="demo", version="1.2.3", tag=TAG)
    ok = _run("verify-tag", {"tag": TAG, "token": CANARY}, project, tmp_path)
    bad = _run("verify-tag", {"tag": "v1.2.x", "token": CANARY}, project, tmp_path)
    assert (ok.exit_code, bad.exit_code) == (0, 1), ok.stdout + bad.stdout
    for result in (ok, bad):
        assert_no_leak(result, [tmp_path], CANARY)


@pytest.mark.slow
def test_build_dists_and_release(
    canary_github: GitHubStandin, sigstore_standin: SigstoreStandin, tmp_path: Path
) -> None:
    project = make_project(tmp_path, "hatchling", name="demo", version="1.2.3", tag=TAG)
    jwt = sigstore_standin.issue_token()
    chain = {
        "tag": TAG,
        "token": CANARY,
        "identity-token": jwt,
        "trust-config": str(sigstore_standin.trust_config_path),
    }
    env = canary_github.environ()
    runs = [
        # Outside the project: dists left inside it would make the next build not the tag's.
        (0, _run("build-dists", {"token": CANARY, "outdir": "../out"}, project, tmp_path)),
        (1, _run("build-dists", {"source-date-epoch": "soon", "token": CANARY}, project, tmp_path)),
        (0, _run("release", chain, project, tmp_path, env)),
        (1, _run("release", {**chain, "tag": "v9"}, project, tmp_path, env)),
    ]
    for code, result in runs:
        assert result.exit_code == code, result.stdout
        assert_no_leak(result, [tmp_path], CANARY, jwt)
    assert len(canary_github.releases()) == 1


def test_publish_release(canary_github: GitHubStandin, tmp_path: Path) -> None:
    gh = canary_github
    ws = make_workspace(tmp_path)
    env = gh.environ()
    draft = _run("draft-release", {"tag": TAG, "files": "dist/*", "target-commitish": "main"},
                 ws, tmp_path, env)  # fmt: skip
    assert draft.exit_code == 0, draft.stdout
    runs = [
        (1, _run("publish-release", {"tag": "v9.9.9", "offline": "true"}, ws, tmp_path, env)),
        (0, _run("publish-release", {"tag": TAG, "verify": "false"}, ws, tmp_path, env)),
        (0, _run("publish-release", {"tag": TAG, "verify": "false", "token": CANARY}, ws, tmp_path, env)),
    ]  # fmt: skip
    for code, result in runs:
        assert result.exit_code == code, result.stdout
        assert_no_leak(result, [tmp_path], CANARY)


def test_publish_pypi(github_issuer_standin: SigstoreStandin, tmp_path: Path) -> None:
    """The API token, the job's OIDC token and the minted upload token never show."""
    ws = make_workspace(tmp_path)
    attest(github_issuer_standin, sorted((ws / "dist").iterdir()), ws / "signatures")
    with pypi_for(github_issuer_standin) as pypi:
        ambient = github_issuer_standin.ambient_env()
        trusted = _run("publish-pypi", {"repository-url": pypi.upload_url}, ws, tmp_path, ambient)
        minted = pypi.minted_tokens
        token = _run(
            "publish-pypi",
            {"repository-url": pypi.upload_url, "token": API_TOKEN, "attestations": "false"},
            ws,
            tmp_path,
        )
        refused = _run(
            "publish-pypi",
            {"repository-url": pypi.upload_url, "token": "pypi-standin-not-a-token-it-knows", "attestations": "false",
             "skip-existing": "false"},
            ws,
            tmp_path,
        )  # fmt: skip
    assert (trusted.exit_code, token.exit_code, refused.exit_code) == (0, 0, 1), (
        trusted.stdout + token.stdout + refused.stdout
    )
    assert minted, "trusted publishing minted an upload token"
    for result in (trusted, token, refused):
        assert_no_leak(result, [tmp_path], API_TOKEN, *minted)
        # The job's OIDC token (a JWT: "eyJ…") only ever in an ::add-mask:: line.
        shown = [ln for ln in result.stdout.splitlines() if "eyJ" in ln]
        assert all(ln.startswith("::add-mask::") for ln in shown), shown
        assert "eyJ" not in result.summary
