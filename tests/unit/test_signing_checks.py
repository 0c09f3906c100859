"""Verify-after-sign in a worker process: the same verdicts as in the signing thread."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sigstore.oidc import IdentityToken

from release_actions.signing.checks import AfterSignChecks, TrustSource
from release_actions.signing.errors import VerificationFailed
from release_actions.signing.policy import ExpectedIdentity
from release_actions_dev.standins.sigstore import SigstoreStandin


@pytest.fixture(scope="module")
def standin() -> Iterator[SigstoreStandin]:
    with SigstoreStandin() as running:
        yield running


def _signed(standin: SigstoreStandin, folder: Path, data: bytes) -> tuple[Path, Path]:
    path = folder / "a.txt"
    path.write_bytes(data)
    with standin.signing_context().signer(IdentityToken(standin.issue_token())) as signer:
        bundle = signer.sign_artifact(data)
    bundle_path = folder / "a.txt.sigstore.json"
    bundle_path.write_text(bundle.to_json())
    return path, bundle_path


def _checks(standin: SigstoreStandin, source: TrustSource) -> AfterSignChecks:
    expected = ExpectedIdentity(issuer=standin.issuer_url, san=standin.identity())
    return AfterSignChecks(source, standin.verifier(), expected, separate_process=True)


def test_the_worker_accepts_a_good_bundle_and_names_a_changed_file(
    standin: SigstoreStandin, tmp_path: Path
) -> None:
    path, bundle = _signed(standin, tmp_path, b"data")
    good = _checks(standin, TrustSource(standin.trust_config_path))
    good.file(path, bundle)
    good.close()
    assert not good.failed.is_set()
    path.write_bytes(b"changed")
    bad = _checks(standin, TrustSource(standin.trust_config_path))
    bad.file(path, bundle)
    with pytest.raises(VerificationFailed, match="not the one that was signed"):
        bad.close()
    assert bad.failed.is_set()


def test_checks_the_worker_cannot_run_are_run_in_the_thread(
    standin: SigstoreStandin, tmp_path: Path
) -> None:
    """A worker that cannot start (here: its trust config is gone) costs speed, not verdicts."""
    path, bundle = _signed(standin, tmp_path, b"data")
    broken = _checks(standin, TrustSource(tmp_path / "missing.json"))
    broken.file(path, bundle)
    broken.close()  # verified in the thread instead
    path.write_bytes(b"changed")
    broken = _checks(standin, TrustSource(tmp_path / "missing.json"))
    broken.file(path, bundle)
    with pytest.raises(VerificationFailed, match="not the one that was signed"):
        broken.close()
