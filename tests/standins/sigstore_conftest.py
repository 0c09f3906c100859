"""Pytest fixtures for the loopback Sigstore stand-in (a plugin module).

Example (register it from ``tests/conftest.py``)::

    pytest_plugins = ["tests.standins.sigstore_conftest"]

    def test_sign(sigstore_standin, sigstore_signing_context):
        token = IdentityToken(sigstore_standin.issue_token())
        with sigstore_signing_context.signer(token) as signer:
            signer.sign_artifact(b"data")

Fixtures:

* ``sigstore_standin``: a fresh stand-in per test (use it to inject faults or change
  lifetimes: ``fail_next("rekor", 2)``, ``set_latency("rekor", 0.1)``, ``cert_lifetime = 1``).
  Its trust config has public-good's production shape: Fulcio + Rekor v1 + TSA.
* ``shared_sigstore_standin``: one stand-in per session, for tests that only sign and
  verify (do not inject faults into it).
* ``each_sigstore_standin`` / ``each_shared_sigstore_standin``: the same, parametrized
  over both signing configs public-good publishes: ``rekor-v1`` (production: Fulcio +
  Rekor v1 + TSA) and ``rekor-v2`` (the opt-in: Rekor v2 listed before v1, + TSA).
* ``github_issuer_standin``: a per-session stand-in whose tokens claim GitHub's real
  issuer (``https://token.actions.githubusercontent.com``), for code that insists on it
  (e.g. pypi-attestations' ``GitHubPublisher`` policy).
* ``sigstore_signing_context`` / ``sigstore_verifier``: sigstore-python objects built from
  ``sigstore_standin``'s trust config.
* ``sigstore_ambient_env``: ``sigstore_standin.ambient_env()`` applied to ``os.environ``
  for the test, so ``sigstore.oidc.detect_credential()`` finds the stand-in.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sigstore.sign import SigningContext
from sigstore.verify import Verifier

from release_actions_dev.standins.sigstore import GITHUB_ISSUER, SigstoreStandin


@pytest.fixture
def sigstore_standin() -> Iterator[SigstoreStandin]:
    with SigstoreStandin() as standin:
        yield standin


@pytest.fixture(scope="session")
def shared_sigstore_standin() -> Iterator[SigstoreStandin]:
    with SigstoreStandin() as standin:
        yield standin


REKOR_VERSIONS = [pytest.param(1, id="rekor-v1"), pytest.param(2, id="rekor-v2")]


@pytest.fixture(params=REKOR_VERSIONS)
def each_sigstore_standin(request: pytest.FixtureRequest) -> Iterator[SigstoreStandin]:
    with SigstoreStandin(rekor_version=request.param) as standin:
        yield standin


@pytest.fixture(scope="session", params=REKOR_VERSIONS)
def each_shared_sigstore_standin(request: pytest.FixtureRequest) -> Iterator[SigstoreStandin]:
    with SigstoreStandin(rekor_version=request.param) as standin:
        yield standin


@pytest.fixture(scope="session")
def github_issuer_standin() -> Iterator[SigstoreStandin]:
    with SigstoreStandin(issuer_url=GITHUB_ISSUER) as standin:
        yield standin


@pytest.fixture
def sigstore_signing_context(sigstore_standin: SigstoreStandin) -> SigningContext:
    return SigningContext.from_trust_config(sigstore_standin.trust_config)


@pytest.fixture
def sigstore_verifier(sigstore_standin: SigstoreStandin) -> Verifier:
    return Verifier(trusted_root=sigstore_standin.trust_config.trusted_root)


@pytest.fixture
def sigstore_ambient_env(
    sigstore_standin: SigstoreStandin, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    env = sigstore_standin.ambient_env()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env
