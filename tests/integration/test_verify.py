"""The verify step (the path sign uses after signing), and one real public-good bundle.

The stand-in tests run on both signing configs public-good publishes (``rekor-v1``:
Fulcio + Rekor v1 + TSA, the production default; ``rekor-v2``: the opt-in Rekor v2 + TSA).
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest
from pypi_attestations import Attestation, Distribution
from sigstore.dsse import Statement
from sigstore.models import Bundle, ClientTrustConfig
from sigstore.oidc import IdentityToken
from sigstore.sign import SigningContext
from sigstore.verify import Verifier

from release_actions.actions.verify import VerifyInputs, run
from release_actions.signing.errors import VerificationFailed
from release_actions.signing.policy import ExpectedIdentity
from release_actions.signing.verification import verify_attestation, verify_files
from release_actions_dev.standins.sigstore import SigstoreStandin
from tests.dists import dist_bytes
from tests.harness import StepRun, run_step

pytest_plugins = ["tests.standins.sigstore_conftest"]

DATA = Path(__file__).resolve().parents[1] / "data" / "sigstore"
DISTS = ("example_pkg-1.0.0.tar.gz", "example_pkg-1.0.0-py3-none-any.whl")
PROVENANCE = "signatures/example_pkg-1.0.0.intoto.jsonl"


@pytest.fixture(scope="module")
def signed(
    each_shared_sigstore_standin: SigstoreStandin, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A workspace whose dists were signed once by the sign step."""
    root = tmp_path_factory.mktemp("signed")
    ws = root / "ws"
    (ws / "dist").mkdir(parents=True)
    for name in DISTS:
        (ws / "dist" / name).write_bytes(dist_bytes(name))
    result = run_step(
        "sign",
        {"files": "dist/*", "trust-config": str(each_shared_sigstore_standin.trust_config_path)},
        workspace=ws,
        tmp=root,
        extra_env=each_shared_sigstore_standin.ambient_env(),
    )
    assert result.exit_code == 0, result.stdout
    return ws


@pytest.fixture
def workspace(signed: Path, tmp_path: Path) -> Path:
    """A copy each test may tamper with."""
    ws = tmp_path / "ws"
    shutil.copytree(signed, ws)
    return ws


def verify(
    standin: SigstoreStandin, ws: Path, tmp: Path, given: Mapping[str, str] | None = None
) -> StepRun:
    inputs = {
        "files": "dist/*",
        "repository": "octo/example",
        "issuer": standin.issuer_url,
        "trust-config": str(standin.trust_config_path),
        **(given or {}),
    }
    return run_step("verify", inputs, workspace=ws, tmp=tmp)


def assert_rejected(result: StepRun, *fragments: str) -> None:
    assert result.exit_code == 1, result.stdout
    errors = result.errors()
    assert len(errors) == 1, result.stdout
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    assert result.outputs == {}
    assert "### ❌ verify failed" in result.summary


def test_verifies_for_repository_workflow_ref_and_provenance(
    each_shared_sigstore_standin: SigstoreStandin, workspace: Path, tmp_path: Path
) -> None:
    standin = each_shared_sigstore_standin
    exact = {
        "workflow": ".github/workflows/release.yml",
        "ref": "refs/tags/v1.0.0",
        "provenance": PROVENANCE,
    }
    for given in ({}, {"workflow": "release.yml"}, exact):
        result = verify(standin, workspace, tmp_path, given)
        assert result.exit_code == 0, result.stdout
        assert sorted(result.outputs["verified"].splitlines()) == sorted(f"dist/{d}" for d in DISTS)
        assert result.outputs["identity"] == standin.identity()
    assert "provenance `example_pkg-1.0.0.intoto.jsonl` lists them all" in result.summary


@pytest.mark.fidelity("sig.rekor1-entry", "sig.rekor2-entry")
def test_tampered_dist_is_rejected(
    each_shared_sigstore_standin: SigstoreStandin, workspace: Path, tmp_path: Path
) -> None:
    (workspace / "dist" / DISTS[1]).write_bytes(dist_bytes(DISTS[1], payload=b"evil = 1\n"))
    result = verify(each_shared_sigstore_standin, workspace, tmp_path)
    assert_rejected(result, DISTS[1], "not the one that was signed")


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ({"workflow": ".github/workflows/other.yml"}, "SAN"),
        ({"repository": "evil/example"}, "evil/example"),
        ({"ref": "refs/tags/v9.9.9"}, "refs/tags/v9.9.9"),
        ({"issuer": "https://token.actions.githubusercontent.com"}, "issuer"),
    ],
)
def test_wrong_identity_is_rejected(
    each_shared_sigstore_standin: SigstoreStandin,
    workspace: Path,
    tmp_path: Path,
    given: dict[str, str],
    fragment: str,
) -> None:
    result = verify(each_shared_sigstore_standin, workspace, tmp_path, given)
    assert_rejected(result, fragment, "signed by another identity")


@pytest.mark.fidelity("sig.trusted-root")
def test_foreign_trust_root_is_rejected(
    each_shared_sigstore_standin: SigstoreStandin, workspace: Path, tmp_path: Path
) -> None:
    with SigstoreStandin() as foreign:
        result = verify(
            each_shared_sigstore_standin,
            workspace,
            tmp_path,
            {"trust-config": str(foreign.trust_config_path)},
        )
    assert_rejected(result, "does not verify", "trust")


def test_tampered_provenance_subject_is_rejected(
    each_shared_sigstore_standin: SigstoreStandin, workspace: Path, tmp_path: Path
) -> None:
    path = workspace / PROVENANCE
    data = json.loads(path.read_text())
    envelope = data["dsseEnvelope"]
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["subject"][0]["digest"]["sha256"] = "0" * 64
    envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    path.write_text(json.dumps(data) + "\n")
    result = verify(each_shared_sigstore_standin, workspace, tmp_path, {"provenance": PROVENANCE})
    assert_rejected(result, "example_pkg-1.0.0.intoto.jsonl", "does not verify")


def test_provenance_of_other_files_is_rejected(
    each_shared_sigstore_standin: SigstoreStandin, workspace: Path, tmp_path: Path
) -> None:
    """Validly signed by the right identity, but about other files."""
    standin = each_shared_sigstore_standin
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": DISTS[0], "digest": {"sha256": "1" * 64}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {},
    }
    with standin.signing_context().signer(IdentityToken(standin.issue_token())) as signer:
        bundle = signer.sign_dsse(Statement(json.dumps(statement).encode()))
    (workspace / PROVENANCE).write_text(bundle.to_json().replace("\n", "") + "\n")
    result = verify(standin, workspace, tmp_path, {"provenance": PROVENANCE})
    assert_rejected(result, "is not among the subjects")


def test_missing_bundle_is_named(
    each_shared_sigstore_standin: SigstoreStandin, workspace: Path, tmp_path: Path
) -> None:
    (workspace / "signatures" / f"{DISTS[0]}.sigstore.json").unlink()
    result = verify(each_shared_sigstore_standin, workspace, tmp_path)
    assert_rejected(result, f"no Sigstore bundle for {DISTS[0]}", "bundle-dir")


# The real public-good bundle ------------------------------------------------------------

REAL = ExpectedIdentity(issuer="https://github.com/login/oauth", san="aryadeeptade@gmail.com")


def test_real_public_good_bundle_verifies_offline() -> None:
    verifier = Verifier.production(offline=True)
    verified = verify_files(
        [DATA / "new_bundle.txt"], bundle_dir=DATA, verifier=verifier, expected=REAL
    )
    assert verified[0].log_index == 2574120827
    assert verified[0].san == "aryadeeptade@gmail.com"
    out = run(
        VerifyInputs(files=(DATA / "new_bundle.txt",), expected=REAL, bundle_dir=DATA, offline=True)
    )
    assert out.identity == "aryadeeptade@gmail.com"


def test_real_public_good_bundle_rejects_a_tampered_file_and_another_identity(
    tmp_path: Path,
) -> None:
    verifier = Verifier.production(offline=True)
    (tmp_path / "new_bundle.txt").write_text(
        "Sigstore current issuer certificate regression tesT\n"
    )
    with pytest.raises(VerificationFailed, match="not the one that was signed"):
        verify_files(
            [tmp_path / "new_bundle.txt"], bundle_dir=DATA, verifier=verifier, expected=REAL
        )
    github = ExpectedIdentity.for_github(repository="octo/example")
    with pytest.raises(VerificationFailed, match="another identity"):
        verify_files([DATA / "new_bundle.txt"], bundle_dir=DATA, verifier=verifier, expected=github)
    assert Bundle.from_json((DATA / "new_bundle.txt.sigstore.json").read_text())


# Sources of verified time ------------------------------------------------------------------


@pytest.mark.fidelity("sig.tsa-chain", "sig.rekor2-response")
def test_rekor_v2_bundle_whose_timestamp_is_from_an_untrusted_authority_is_rejected(
    tmp_path: Path,
) -> None:
    with SigstoreStandin(rekor_version=2) as standin, SigstoreStandin() as foreign:
        ws = tmp_path / "ws"
        (ws / "dist").mkdir(parents=True)
        (ws / "signatures").mkdir()
        (ws / "dist" / DISTS[0]).write_bytes(dist_bytes(DISTS[0]))
        config = standin.write_trust_config(
            tmp_path / "foreign-tsa.json", rekor=(2, 1), tsa_url=foreign.tsa_url
        )
        context = SigningContext.from_trust_config(ClientTrustConfig.from_json(config.read_text()))
        with context.signer(IdentityToken(standin.issue_token())) as signer:
            bundle = signer.sign_artifact((ws / "dist" / DISTS[0]).read_bytes())
        (ws / "signatures" / f"{DISTS[0]}.sigstore.json").write_text(bundle.to_json())
        result = verify(standin, ws, tmp_path)
    assert_rejected(result, "not enough sources of verified time", "timestamp authority")


def test_attestation_with_a_rekor_v2_entry_is_named_not_sign_again(tmp_path: Path) -> None:
    """What pypi-attestations makes from a Rekor v2 signer: the entry without its timestamp."""
    with SigstoreStandin(rekor_version=2) as standin:
        path = tmp_path / DISTS[0]
        path.write_bytes(dist_bytes(DISTS[0]))
        dist = Distribution.from_file(path)
        with standin.signing_context().signer(IdentityToken(standin.issue_token())) as signer:
            attestation = Attestation.sign(signer, dist)
        target = tmp_path / f"{DISTS[0]}.publish.attestation"
        target.write_text(attestation.model_dump_json())
        expected = ExpectedIdentity(issuer=standin.issuer_url, san=standin.identity())
        with pytest.raises(VerificationFailed) as caught:
            verify_attestation(
                target, path, dist.digest, verifier=standin.verifier(), expected=expected
            )
    assert "Rekor v2" in str(caught.value)
    assert "Rekor v1" in (caught.value.fix or "")
    assert "sign again" not in (caught.value.fix or "")
