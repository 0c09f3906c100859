"""The fault matrix: every fault the stand-ins inject, for every step that talks to them.

Each run must end in the exact final state a fault-free run gives: one release for the
tag, every asset once, ``uploaded``, with the local sha256 — nothing duplicated, nothing
lost, no leftover — and a re-run that changes nothing; for signing, a bundle per file
that sigstore's own Verifier accepts, the provenance and attestations, no temporary files.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from release_actions_dev.standins.github import GitHubStandin
from release_actions_dev.standins.sigstore import SigstoreStandin
from tests.dists import dist_bytes, sdist_bytes, wheel_bytes
from tests.hardening.corpus import TAG, github_env, make_workspace, seed_tag
from tests.harness import StepRun, run_step
from tests.integration.test_sign import DISTS, check_with_sigstore
from tests.integration.test_sign import make_workspace as sign_workspace

# -- GitHub ------------------------------------------------------------------------------------
BIG = "demo-1.2.3-cp313-cp313-manylinux_2_28_x86_64.whl"  # large enough to reset mid-body


@dataclass(frozen=True)
class GitHubFault:
    id: str
    inject: Callable[[GitHubStandin], object]
    #: What the log must show (the fault was met, not skipped).
    seen: str | None = None
    #: The steps that make the faulted request (add-wheels-to-release never creates).
    steps: tuple[str, ...] = ("draft-release", "add-wheels-to-release")


GITHUB_FAULTS = [
    GitHubFault(
        "upload-502x2", lambda gh: gh.faults.status("repos/upload-release-asset", 502, times=2)
    ),
    # draft-release reads every page of the releases (drafts are not by tag) ...
    GitHubFault(
        "listing-503",
        lambda gh: gh.faults.status("repos/list-releases", 503, times=1),
        steps=("draft-release",),
    ),
    GitHubFault(
        "listing-502x2",
        lambda gh: gh.faults.status("repos/list-releases", 502, times=2),
        steps=("draft-release",),
    ),
    # ... add-wheels-to-release asks for the published release by tag.
    GitHubFault(
        "by-tag-503",
        lambda gh: gh.faults.status("repos/get-release-by-tag", 503, times=1),
        steps=("add-wheels-to-release",),
    ),
    GitHubFault(
        "assets-listing-502",
        lambda gh: gh.faults.status("repos/list-release-assets", 502, times=1),
        steps=("add-wheels-to-release",),
    ),
    GitHubFault(
        "upload-403-secondary",
        lambda gh: gh.faults.secondary_rate_limit("repos/upload-release-asset", retry_after=1),
        seen="pausing writes for 1 s",
    ),
    GitHubFault(
        "upload-429-reset",
        lambda gh: gh.faults.secondary_rate_limit(
            "repos/upload-release-asset", status=429, retry_after=None, reset_in=0
        ),
        seen="GitHub rate limit: pausing writes",
    ),
    GitHubFault(
        "upload-reset",
        lambda gh: gh.faults.reset("repos/upload-release-asset", after_bytes=64 * 1024),
    ),
    GitHubFault("latency-50ms", lambda gh: gh.faults.latency(0.05)),
    GitHubFault(
        "create-502",
        lambda gh: gh.faults.status("repos/create-release", 502, times=1),
        steps=("draft-release",),
    ),
    GitHubFault(
        "create-403-secondary",
        lambda gh: gh.faults.secondary_rate_limit("repos/create-release", retry_after=1),
        steps=("draft-release",),
    ),
    GitHubFault(
        "create-429-reset",
        lambda gh: gh.faults.secondary_rate_limit(
            "repos/create-release", status=429, retry_after=None, reset_in=0
        ),
        steps=("draft-release",),
    ),
    GitHubFault(
        "delete-502", lambda gh: gh.faults.status("repos/delete-release-asset", 502, times=1)
    ),
]


def _files() -> dict[str, bytes]:
    big = dist_bytes(BIG, payload=os.urandom(300_000))  # random: stays large when zipped
    return {
        "demo-1.2.3-py3-none-any.whl": wheel_bytes(),
        "demo-1.2.3.tar.gz": sdist_bytes(),
        BIG: big,
    }


def _github_run(gh: GitHubStandin, ws: Path, tmp: Path, step: str) -> StepRun:
    inputs = {"tag": TAG, "files": "dist/*", "concurrency": "2"}
    return run_step(step, inputs, workspace=ws, tmp=tmp, extra_env=github_env(gh))


def _final_state(gh: GitHubStandin) -> dict[str, str]:
    """name → sha256 of the tag's single release; fails on duplicates or leftovers."""
    (release,) = gh.releases_for_tag(TAG)
    assets = gh.assets(release.id)
    assert all(a.state == "uploaded" for a in assets), [(a.name, a.state) for a in assets]
    names = [a.name for a in assets]
    assert len(names) == len(set(names)), names
    return {a.name: str(a.sha256) for a in assets}


@pytest.mark.fidelity("gh.secondary-limit-answer", "gh.starter-leftover")
@pytest.mark.parametrize(
    ("fault", "step"),
    [pytest.param(f, s, id=f"{f.id}-{s}") for f in GITHUB_FAULTS for s in f.steps],
)
def test_github_fault(
    github_standin: GitHubStandin, tmp_path: Path, step: str, fault: GitHubFault
) -> None:
    gh = github_standin
    seed_tag(gh)
    files = _files()
    ws = make_workspace(tmp_path, files)
    expected = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    leftover = None
    if step == "add-wheels-to-release":
        release = gh.seed_release(tag_name=TAG)  # published: state must not change
        leftover = gh.seed_asset(release.id, name=BIG, state="starter")  # exercises delete
    elif fault.id.startswith("delete"):
        draft = gh.seed_release(tag_name=TAG, draft=True)
        leftover = gh.seed_asset(draft.id, name=BIG, state="starter")
    fault.inject(gh)

    result = _github_run(gh, ws, tmp_path, step)

    assert result.exit_code == 0, result.stdout
    if fault.seen:
        assert fault.seen in result.stdout
    assert not [f for f in gh.faults.pending if f.times is not None], "fault never met"
    assert _final_state(gh) == expected
    (release,) = gh.releases_for_tag(TAG)
    assert release.draft == (step == "draft-release")
    if step == "add-wheels-to-release":
        assert gh.requests_for("repos/create-release") == []
        assert gh.requests_for("repos/update-release") == []
    if leftover is not None:
        assert leftover.id not in {a.id for a in gh.assets(release.id)}
    gh.faults.clear()
    gh.clear_requests()
    again = _github_run(gh, ws, tmp_path, step)
    assert again.exit_code == 0, again.stdout
    assert gh.mutating_requests() == []
    assert _final_state(gh) == expected


# -- Sigstore ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SigstoreFault:
    id: str
    inject: Callable[[SigstoreStandin], None]
    extra_files: int = 0
    inputs: tuple[tuple[str, str], ...] = ()


def _expiry(standin: SigstoreStandin) -> None:
    standin.cert_lifetime = 1
    standin.token_lifetime = 2
    standin.set_latency("rekor", 0.2)


SIGSTORE_FAULTS = [
    SigstoreFault("rekor-502x2", lambda s: s.fail_next("rekor", 2, status=502)),
    SigstoreFault("fulcio-503", lambda s: s.fail_next("fulcio", 1, status=503)),
    SigstoreFault("oidc-500", lambda s: s.fail_next("oidc", 1, status=500)),
    SigstoreFault("rekor-latency", lambda s: s.set_latency("rekor", 0.05), extra_files=6),
    SigstoreFault(
        "token-expiry-mid-batch",
        _expiry,
        extra_files=18,
        inputs=(("concurrency", "2"), ("attestations", "false")),
    ),
]


@pytest.mark.parametrize("fault", SIGSTORE_FAULTS, ids=[f.id for f in SIGSTORE_FAULTS])
def test_sigstore_fault(
    sigstore_standin: SigstoreStandin, tmp_path: Path, fault: SigstoreFault
) -> None:
    standin = sigstore_standin
    ws = sign_workspace(tmp_path, extra=fault.extra_files)
    env = standin.ambient_env()
    fault.inject(standin)
    inputs = {
        "files": "dist/*",
        "trust-config": str(standin.trust_config_path),
        **dict(fault.inputs),
    }

    result = run_step("sign", inputs, workspace=ws, tmp=tmp_path, extra_env=env)

    assert result.exit_code == 0, result.stdout
    standin.cert_lifetime = 600  # verify below, after the run, with long-lived certificates
    signed = sorted(p.name for p in (ws / "dist").iterdir())
    produced = sorted(p.name for p in (ws / "signatures").iterdir())
    expected = {f"{name}.sigstore.json" for name in signed} | {"example_pkg-1.0.0.intoto.jsonl"}
    if dict(fault.inputs).get("attestations") != "false":
        expected |= {f"{name}.publish.attestation" for name in DISTS}
        check_with_sigstore(standin, ws, result)
    else:
        verifier = standin.verifier()
        from sigstore.models import Bundle  # noqa: PLC0415

        for name in signed:
            bundle = Bundle.from_json((ws / "signatures" / f"{name}.sigstore.json").read_text())
            verifier.verify_artifact((ws / "dist" / name).read_bytes(), bundle, standin.policy())
    assert produced == sorted(expected)  # every file once, no temporary leftovers
    if fault.id == "token-expiry-mid-batch":
        assert standin.request_counts["fulcio"] >= 2, result.stdout
