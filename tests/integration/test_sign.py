"""The sign step end to end on the loopback Sigstore stand-in, through the runner contract."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
from pypi_attestations import Attestation
from sigstore.models import Bundle
from sigstore.verify import Verifier, policy

from release_actions_dev.standins.sigstore import SigstoreStandin
from tests.dists import dist_bytes
from tests.harness import StepRun, run_step

pytest_plugins = ["tests.standins.sigstore_conftest"]

JWT = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+")
DISTS = ("example_pkg-1.0.0.tar.gz", "example_pkg-1.0.0-py3-none-any.whl")


def make_workspace(root: Path, extra: int = 0) -> Path:
    ws = root / "ws"
    (ws / "dist").mkdir(parents=True)
    for name in DISTS:
        (ws / "dist" / name).write_bytes(dist_bytes(name))
    for i in range(extra):
        (ws / "dist" / f"extra-{i:03}.txt").write_text(f"file {i}\n")
    return ws


def sign(
    standin: SigstoreStandin,
    ws: Path,
    tmp: Path,
    *,
    env: Mapping[str, str] | None = None,
    event: Mapping[str, object] | None = None,
    given: Mapping[str, str] | None = None,
    **inputs: str,
) -> StepRun:
    inputs = {"files": "dist/*", "trust-config": str(standin.trust_config_path), **inputs}
    inputs.update(given or {})
    return run_step("sign", inputs, workspace=ws, tmp=tmp, extra_env=env, event=event)


def assert_no_token(result: StepRun) -> None:
    shown = "\n".join(
        line for line in result.stdout.splitlines() if not line.startswith("::add-mask::")
    )
    for text in (shown, result.summary, json.dumps(result.outputs)):
        assert not JWT.search(text), text


def assert_failed(result: StepRun, *fragments: str) -> str:
    assert result.exit_code == 1, result.stdout
    errors = result.errors()
    assert len(errors) == 1, result.stdout
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    assert "### ❌ sign failed" in result.summary
    return errors[0]


def check_with_sigstore(standin: SigstoreStandin, ws: Path, result: StepRun) -> None:
    """Every output verified by sigstore's own Verifier and a GitHub identity policy."""
    verifier = Verifier(trusted_root=standin.trust_config.trusted_root)
    github = standin.policy()
    bundles = result.outputs["bundles"].splitlines()
    assert len(bundles) == len(list((ws / "dist").iterdir()))
    for rel in bundles:
        bundle = Bundle.from_json((ws / rel).read_text())
        artifact = ws / "dist" / Path(rel).name.removesuffix(".sigstore.json")
        verifier.verify_artifact(artifact.read_bytes(), bundle, github)
    provenance = ws / result.outputs["provenance"]
    assert provenance.name == "example_pkg-1.0.0.intoto.jsonl"
    assert len(provenance.read_text().splitlines()) == 1
    payload_type, payload = verifier.verify_dsse(Bundle.from_json(provenance.read_text()), github)
    assert payload_type == "application/vnd.in-toto+json"
    statement = json.loads(payload)
    assert statement["predicateType"] == "https://slsa.dev/provenance/v1"
    subjects = {s["name"]: s["digest"]["sha256"] for s in statement["subject"]}
    for path in (ws / "dist").iterdir():
        assert subjects[path.name] == hashlib.sha256(path.read_bytes()).hexdigest()
    build = statement["predicate"]["buildDefinition"]
    assert build["buildType"] == "https://actions.github.io/buildtypes/workflow/v1"
    assert build["externalParameters"]["workflow"] == {
        "ref": "refs/tags/v1.0.0",
        "repository": "https://github.com/octo/example",
        "path": ".github/workflows/release.yml",
    }
    assert build["resolvedDependencies"][0]["digest"]["gitCommit"]
    assert statement["predicate"]["runDetails"]["builder"]["id"] == standin.identity()
    attestations = result.outputs["attestations"].splitlines()
    assert sorted(Path(a).name for a in attestations) == sorted(
        f"{d}.publish.attestation" for d in DISTS
    )
    for rel in attestations:
        attestation = Attestation.model_validate_json((ws / rel).read_bytes())
        _, payload = verifier.verify_dsse(attestation.to_bundle(), github)
        assert json.loads(payload)["subject"][0]["name"] == Path(rel).name.removesuffix(
            ".publish.attestation"
        )
        # Always a Rekor v1 entry with its inclusion promise, whatever log the bundles use.
        entry = attestation.verification_material.transparency_entries[0]
        assert entry["kindVersion"] == {"kind": "dsse", "version": "0.0.1"}
        assert entry["inclusionPromise"]["signedEntryTimestamp"]
    check_log_entries(standin, ws, [*bundles, result.outputs["provenance"]])


def check_log_entries(standin: SigstoreStandin, ws: Path, bundles: list[str]) -> None:
    """Each bundle is in the log the stand-in's signing config chose, with a TSA timestamp."""
    for rel in bundles:
        text = (ws / rel).read_text()
        material = json.loads(text)["verificationMaterial"]
        entry = material["tlogEntries"][0]
        timestamps = material["timestampVerificationData"]["rfc3161Timestamps"]
        assert len(timestamps) == 1, rel
        if standin.rekor_version == 2:
            assert entry["kindVersion"] == {"kind": "hashedrekord", "version": "0.0.2"}, rel
            assert "inclusionPromise" not in entry, rel
        else:
            assert entry["kindVersion"]["version"] == "0.0.1", rel
            assert entry["inclusionPromise"]["signedEntryTimestamp"], rel


@pytest.mark.fidelity("sig.signing-config", "sig.tsa-response", "sig.rekor2-entry")
def test_sign_with_the_ambient_token(
    each_sigstore_standin: SigstoreStandin, tmp_path: Path
) -> None:
    sigstore_standin = each_sigstore_standin
    ws = make_workspace(tmp_path, extra=3)
    result = sign(sigstore_standin, ws, tmp_path, env=sigstore_standin.ambient_env())
    assert result.exit_code == 0, result.stdout
    out = result.outputs
    assert out["identity"] == sigstore_standin.identity()
    assert (
        out["bundles"].splitlines()[0]
        == "signatures/example_pkg-1.0.0-py3-none-any.whl.sigstore.json"
    )
    entries = json.loads(out["log-entries"])
    assert [e["file"] for e in entries] == sorted(p.name for p in (ws / "dist").iterdir())
    assert sorted(e["logIndex"] for e in entries) == sorted({e["logIndex"] for e in entries})
    v2 = sigstore_standin.rekor_version == 2
    assert all((e["integratedTime"] is None) == v2 for e in entries)  # v2: no integrated time
    check_with_sigstore(sigstore_standin, ws, result)
    # One certificate for the bundles and provenance, one for the attestations (Rekor v1,
    # no timestamp authority: an attestation has no place for a timestamp).
    assert sigstore_standin.request_counts["fulcio"] == 2
    files, dists = 5, 2
    assert sigstore_standin.log.size == (dists if v2 else files + dists + 1)  # + provenance
    assert sigstore_standin.log_v2.size == (files + 1 if v2 else 0)
    assert sigstore_standin.request_counts["tsa"] == files + 1  # bundles and provenance
    assert sorted(p.name for p in (ws / "dist").iterdir()) == sorted(
        [*DISTS, "extra-000.txt", "extra-001.txt", "extra-002.txt"]
    )  # nothing written next to the dists
    assert "| `extra-000.txt` | `extra-000.txt.sigstore.json` |" in result.summary
    assert "release-actions verify" in result.summary
    assert "sigstore verify identity" in result.summary
    assert_no_token(result)


def test_sign_with_a_given_token_and_a_reusable_workflow(
    sigstore_standin: SigstoreStandin, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path)
    called = "octo/shared/.github/workflows/sign.yml@refs/heads/main"
    token = sigstore_standin.issue_token(job_workflow_ref=called)
    result = sign(sigstore_standin, ws, tmp_path, given={"identity-token": token})
    assert result.exit_code == 0, result.stdout
    assert result.outputs["identity"] == f"https://github.com/{called}"  # the called workflow
    assert f"::add-mask::{token}" in result.stdout.splitlines()[0]  # masked before anything
    assert_no_token(result)
    verifier = Verifier(trusted_root=sigstore_standin.trust_config.trusted_root)
    bundle = Bundle.from_json((ws / result.outputs["bundles"].splitlines()[0]).read_text())
    called_policy = policy.AllOf(
        [
            policy.Identity(
                identity=f"https://github.com/{called}", issuer=sigstore_standin.issuer_url
            ),
            policy.GitHubWorkflowRepository("octo/example"),
        ]
    )
    verifier.verify_artifact((ws / "dist" / DISTS[1]).read_bytes(), bundle, called_policy)


def test_console_script(sigstore_standin: SigstoreStandin, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    token = sigstore_standin.issue_token()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "ACTIONS_", "INPUT_"))
    }
    proc = subprocess.run(
        [sys.executable, "-m", "release_actions", "sign", "--files", "dist/*",
         "--trust-config", str(sigstore_standin.trust_config_path), "--identity-token", token,
         "--output-dir", "out"],
        cwd=ws, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert token not in proc.stdout + proc.stderr
    assert sorted(p.name for p in (ws / "out").iterdir()) == sorted(
        [*(f"{d}.sigstore.json" for d in DISTS), *(f"{d}.publish.attestation" for d in DISTS),
         "example_pkg-1.0.0.intoto.jsonl"]
    )  # fmt: skip


@pytest.mark.fidelity("sig.cert-lifetime", "sig.ambient-token")
@pytest.mark.parametrize("attestations", ["false", "true"])
def test_token_and_certificate_expiry_mid_batch_are_refreshed(
    sigstore_standin: SigstoreStandin, tmp_path: Path, attestations: str
) -> None:
    standin = sigstore_standin
    standin.cert_lifetime = 1
    standin.token_lifetime = 2
    standin.set_latency("rekor", 0.1)
    ws = make_workspace(tmp_path, extra=28)
    result = sign(
        standin, ws, tmp_path, env=standin.ambient_env(), concurrency="2",
        attestations=attestations,
    )  # fmt: skip
    assert result.exit_code == 0, result.stdout
    lanes = 2 if attestations == "true" else 1  # attestations have a signer of their own
    assert standin.request_counts["fulcio"] >= 2 * lanes, result.stdout
    assert "new signing certificate" in result.stdout
    standin.cert_lifetime = 600
    check_bundles = Verifier(trusted_root=standin.trust_config.trusted_root)
    for rel in result.outputs["bundles"].splitlines():
        name = Path(rel).name.removesuffix(".sigstore.json")
        check_bundles.verify_artifact(
            (ws / "dist" / name).read_bytes(),
            Bundle.from_json((ws / rel).read_text()),
            standin.policy(),
        )


def test_a_given_token_that_expires_mid_batch_is_a_clear_error(
    sigstore_standin: SigstoreStandin, tmp_path: Path
) -> None:
    standin = sigstore_standin
    standin.cert_lifetime = 1
    standin.set_latency("rekor", 0.1)
    ws = make_workspace(tmp_path, extra=20)
    token = standin.issue_token(lifetime=1)
    result = sign(standin, ws, tmp_path, concurrency="1", given={"identity-token": token})
    assert_failed(result, "expired", "cannot be refreshed", "leave `identity-token` empty")
    assert_no_token(result)


def test_rekor_502_is_retried(sigstore_standin: SigstoreStandin, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    sigstore_standin.fail_next("rekor", times=2, status=502)
    result = sign(sigstore_standin, ws, tmp_path, env=sigstore_standin.ambient_env())
    assert result.exit_code == 0, result.stdout
    assert "retrying" in result.stdout
    check_with_sigstore(sigstore_standin, ws, result)
    # 2 files + 2 attestations + 1 provenance, plus the 2 refused requests.
    assert sigstore_standin.request_counts["rekor"] == 5 + 2


def test_a_refused_file_is_named_and_leaves_no_partial_bundle(
    sigstore_standin: SigstoreStandin, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path)
    sigstore_standin.fail_next("rekor", times=1, status=400)
    result = sign(
        sigstore_standin, ws, tmp_path, env=sigstore_standin.ambient_env(), concurrency="1"
    )
    assert_failed(result, "example_pkg-1.0.0-py3-none-any.whl", "HTTP 400", "re-run")
    out = ws / "signatures"
    assert not out.exists() or not any(p.name.endswith(".tmp") for p in out.iterdir())
    assert not (out / "example_pkg-1.0.0-py3-none-any.whl.sigstore.json").exists()


def test_a_large_batch_is_verified_in_a_worker_process(
    each_shared_sigstore_standin: SigstoreStandin, tmp_path: Path
) -> None:
    standin = each_shared_sigstore_standin
    ws = make_workspace(tmp_path, extra=50)
    result = sign(standin, ws, tmp_path, env=standin.ambient_env())
    assert result.exit_code == 0, result.stdout
    assert "verifying the 55 results in a separate process" in result.stdout
    check_with_sigstore(standin, ws, result)
    written = sorted(p.name for p in (ws / "signatures").iterdir())
    assert len(written) == 52 + 2 + 1  # bundles, attestations, provenance; no leftovers


def test_rerun_converges(each_shared_sigstore_standin: SigstoreStandin, tmp_path: Path) -> None:
    standin = each_shared_sigstore_standin
    ws = make_workspace(tmp_path)
    first = sign(standin, ws, tmp_path, env=standin.ambient_env())
    second = sign(standin, ws, tmp_path, env=standin.ambient_env())
    assert (first.exit_code, second.exit_code) == (0, 0), second.stdout
    assert first.outputs["bundles"] == second.outputs["bundles"]
    assert first.outputs["log-entries"] != second.outputs["log-entries"]  # signed anew
    check_with_sigstore(standin, ws, second)


@pytest.mark.parametrize("output_dir", ["dist", "dist/signatures", "dist/./sub"])
def test_output_dir_inside_dist_is_refused(
    sigstore_standin: SigstoreStandin, tmp_path: Path, output_dir: str
) -> None:
    ws = make_workspace(tmp_path)
    result = sign(sigstore_standin, ws, tmp_path, env=sigstore_standin.ambient_env(),
                  given={"output-dir": output_dir})  # fmt: skip
    assert_failed(result, "twine upload dist/*", "output-dir")
    assert sigstore_standin.request_counts.get("fulcio", 0) == 0  # refused before any certificate
    assert sigstore_standin.request_counts.get("oidc", 0) == 0


def test_bad_trust_config_is_named_before_any_request(
    sigstore_standin: SigstoreStandin, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path)
    (ws / "trust.json").write_text("{not json")
    result = sign(sigstore_standin, ws, tmp_path, env=sigstore_standin.ambient_env(),
                  given={"trust-config": "trust.json"})  # fmt: skip
    assert_failed(result, "trust.json", "not a valid ClientTrustConfig")
    contradiction = sign(sigstore_standin, ws, tmp_path, env=sigstore_standin.ambient_env(),
                         staging="true")  # fmt: skip
    assert_failed(contradiction, "`staging: true` contradicts")
    assert sigstore_standin.request_counts.get("oidc", 0) == 0


def test_missing_id_token_permission(sigstore_standin: SigstoreStandin, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    result = sign(sigstore_standin, ws, tmp_path)  # GitHub Actions, but no ACTIONS_ID_TOKEN_*
    assert_failed(result, "ACTIONS_ID_TOKEN_REQUEST_URL", "permissions: id-token: write")


def test_fork_pull_request(sigstore_standin: SigstoreStandin, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    event = {
        "pull_request": {
            "head": {"repo": {"full_name": "mallory/example", "fork": True}},
            "base": {"repo": {"full_name": "octo/example", "fork": False}},
        }
    }
    result = sign(sigstore_standin, ws, tmp_path, event=event,
                  env={"GITHUB_EVENT_NAME": "pull_request"})  # fmt: skip
    assert_failed(result, "fork mallory/example", "no OIDC token", "head.repo.fork")


def test_not_on_github_actions(sigstore_standin: SigstoreStandin, tmp_path: Path) -> None:
    from release_actions.cli import main  # noqa: PLC0415

    ws = make_workspace(tmp_path)
    buffer = io.StringIO()
    cwd = Path.cwd()
    try:
        os.chdir(ws)
        with contextlib.redirect_stdout(buffer):
            code = main(
                [
                    "sign",
                    "--files",
                    "dist/*",
                    "--trust-config",
                    str(sigstore_standin.trust_config_path),
                ],
                environ={"PATH": os.environ.get("PATH", "")},
            )
    finally:
        os.chdir(cwd)
    assert code == 1
    assert "not GitHub Actions" in buffer.getvalue()
    assert "--identity-token" in buffer.getvalue()


def test_dry_run_signs_and_writes_nothing(
    sigstore_standin: SigstoreStandin, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path)
    result = sign(sigstore_standin, ws, tmp_path, env=sigstore_standin.ambient_env(),
                  given={"dry-run": "true"})  # fmt: skip
    assert result.exit_code == 0, result.stdout
    assert result.outputs["bundles"].splitlines() == [
        f"signatures/{name}.sigstore.json" for name in sorted(DISTS)
    ]
    assert result.outputs["provenance"] == "signatures/example_pkg-1.0.0.intoto.jsonl"
    assert result.outputs["log-entries"] == "[]"
    assert "dry run" in result.summary
    assert not (ws / "signatures").exists()
    assert sum(sigstore_standin.request_counts.values()) == 0


# Rekor v2 and timestamp authorities ---------------------------------------------------------


def _variant(standin: SigstoreStandin, tmp: Path, **shape: object) -> Path:
    return standin.write_trust_config(tmp / "variant.json", **shape)  # type: ignore[arg-type]


def assert_nothing_signed(standin: SigstoreStandin, ws: Path) -> None:
    assert sum(standin.request_counts.values()) == 0, standin.request_counts
    assert (standin.log.size, standin.log_v2.size) == (0, 0)
    assert not (ws / "signatures").exists()


@pytest.mark.fidelity("sig.signing-config")
def test_rekor_v2_only_with_attestations_is_refused_before_anything_is_signed(
    sigstore_standin: SigstoreStandin, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path)
    config = _variant(sigstore_standin, tmp_path, rekor=(2,))
    env = sigstore_standin.ambient_env()
    for dry_run in ("true", "false"):
        result = sign(sigstore_standin, ws, tmp_path, env=env,
                      given={"trust-config": str(config), "dry-run": dry_run})  # fmt: skip
        error = assert_failed(
            result, "PEP 740 attestations", "no active Rekor v1 log", "`attestations: false`"
        )
        assert "inclusion promise" in error
        assert "sign again" not in error
        assert_nothing_signed(sigstore_standin, ws)
    # Without attestations the same config signs bundles and provenance on Rekor v2.
    result = sign(sigstore_standin, ws, tmp_path, env=env,
                  given={"trust-config": str(config), "attestations": "false"})  # fmt: skip
    assert result.exit_code == 0, result.stdout
    assert result.outputs["attestations"] == ""
    assert sigstore_standin.log_v2.size == len(DISTS) + 1
    assert sigstore_standin.log.size == 0
    assert "Rekor v2 + 1 timestamp authority" in result.stdout


@pytest.mark.fidelity("sig.signing-config")
def test_rekor_v2_without_a_timestamp_authority_is_refused_before_anything_is_signed(
    sigstore_standin: SigstoreStandin, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path)
    config = _variant(sigstore_standin, tmp_path, rekor=(2, 1), timestamps=False)
    result = sign(sigstore_standin, ws, tmp_path, env=sigstore_standin.ambient_env(),
                  given={"trust-config": str(config), "attestations": "false"})  # fmt: skip
    assert_failed(result, "Rekor v2", "no timestamp authority", "tsaUrls")
    assert_nothing_signed(sigstore_standin, ws)


@pytest.mark.fidelity("sig.tsa-chain")
@pytest.mark.parametrize("extra", [0, 50], ids=["in-thread", "worker-process"])
def test_a_timestamp_from_an_untrusted_authority_fails_verify_after_sign_on_rekor_v2(
    sigstore_standin: SigstoreStandin, tmp_path: Path, extra: int
) -> None:
    """The signing config names another TSA than the trusted root: with Rekor v2 there is
    no other source of time, so nothing verifies and nothing is left behind (checked in
    the signing threads, or in a worker process for a large batch)."""
    ws = make_workspace(tmp_path, extra=extra)
    with SigstoreStandin() as foreign:
        config = _variant(sigstore_standin, tmp_path, rekor=(2, 1), tsa_url=foreign.tsa_url)
        result = sign(sigstore_standin, ws, tmp_path, env=sigstore_standin.ambient_env(),
                      given={"trust-config": str(config)})  # fmt: skip
        assert foreign.request_counts["tsa"] >= 1
    assert_failed(result, "not enough sources of verified time", "timestamp authority")
    assert ("separate process" in result.stdout) == (extra > 0)
    assert list((ws / "signatures").iterdir()) == []  # everything written was removed


def test_the_same_on_rekor_v1_verifies_by_the_signed_entry_timestamp(
    sigstore_standin: SigstoreStandin, tmp_path: Path
) -> None:
    """sigstore-python accepts one verified time: a v1 entry's SET is one."""
    ws = make_workspace(tmp_path)
    with SigstoreStandin() as foreign:
        config = _variant(sigstore_standin, tmp_path, rekor=(1,), tsa_url=foreign.tsa_url)
        result = sign(sigstore_standin, ws, tmp_path, env=sigstore_standin.ambient_env(),
                      given={"trust-config": str(config)})  # fmt: skip
    assert result.exit_code == 0, result.stdout


@pytest.mark.fidelity("sig.tsa-request")
def test_a_timestamp_authority_failure_is_retried_on_rekor_v2_and_harmless_on_v1(
    each_sigstore_standin: SigstoreStandin, tmp_path: Path
) -> None:
    standin = each_sigstore_standin
    ws = make_workspace(tmp_path)
    standin.fail_next("tsa", 1, status=503)
    result = sign(standin, ws, tmp_path, env=standin.ambient_env(), concurrency="1",
                  attestations="false", provenance="false")  # fmt: skip
    assert result.exit_code == 0, result.stdout
    bundles = result.outputs["bundles"].splitlines()
    stamps = [
        json.loads((ws / rel).read_text())["verificationMaterial"].get(
            "timestampVerificationData", {}
        )
        for rel in bundles
    ]
    if standin.rekor_version == 2:
        # sigstore logged the TSA's 503, made the v2 entry, then could not build the bundle;
        # the step signed that file again (one orphaned entry).
        assert "retrying signing" in result.stdout
        assert standin.log_v2.size == len(DISTS) + 1
        assert all(s.get("rfc3161Timestamps") for s in stamps)
    else:
        # The SET is the bundle's time; the missing timestamp is not an error (sigstore).
        assert "retrying" not in result.stdout
        assert standin.log.size == len(DISTS)
        assert sum(1 for s in stamps if s.get("rfc3161Timestamps")) == len(DISTS) - 1
