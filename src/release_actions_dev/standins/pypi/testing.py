"""Helpers for tests and the rehearsal: a PyPI stand-in trusting a Sigstore stand-in, and
PEP 740 attestations signed by it.

Example::

    with pypi_for(github_issuer_standin, projects=("demo",)) as pypi:
        attest(github_issuer_standin, [wheel, sdist], tmp_path / "signatures")
        # publish-pypi with repository-url=pypi.upload_url and the stand-in's ambient env

The default trusted publisher is the one the Sigstore stand-in's default token claims:
repository ``octo/example``, workflow ``release.yml``, no environment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from pypi_attestations import Attestation, Distribution
from sigstore.oidc import IdentityToken

from release_actions_dev.standins.pypi import PyPIStandin, TrustedPublisher
from release_actions_dev.standins.sigstore import SigstoreStandin

__all__ = ["API_TOKEN", "attest", "pypi_for"]

#: An account-wide API token the stand-in accepts unless told otherwise.
API_TOKEN = "pypi-standin-standin-account-token"  # noqa: S105 -- a test token


def pypi_for(
    sigstore: SigstoreStandin,
    *,
    projects: tuple[str, ...] = ("demo",),
    publishers: Iterable[TrustedPublisher] | None = None,
    api_tokens: Mapping[str, tuple[str, ...] | None] | None = None,
    audience: str = "pypi",
    trusted_publishing: bool = True,
    minted_lifetime: int = 900,
) -> PyPIStandin:
    """A (not yet started) PyPI stand-in trusting ``sigstore``'s issuer and trust root."""
    chosen = (
        list(publishers)
        if publishers is not None
        else [TrustedPublisher("octo/example", "release.yml", projects=projects)]
    )
    return PyPIStandin(
        publishers=chosen,
        oidc_issuer=sigstore.issuer_url,
        jwks_url=f"{sigstore.url}/oidc/.well-known/jwks",
        audience=audience,
        api_tokens={API_TOKEN: None} if api_tokens is None else api_tokens,
        trusted_root=sigstore.trust_config.trusted_root,
        trusted_publishing=trusted_publishing,
        minted_lifetime=minted_lifetime,
    )


def attest(
    sigstore: SigstoreStandin, dists: Iterable[Path], folder: Path, **claims: object
) -> list[Path]:
    """``<dist>.publish.attestation`` for each dist in ``folder``, signed by a token with
    ``claims`` (as the sign step writes them)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    token = IdentityToken(sigstore.issue_token(lifetime=None, audience="sigstore", **claims))
    with sigstore.signing_context().signer(token) as signer:
        for dist in dists:
            attestation = Attestation.sign(signer, Distribution.from_file(dist))
            target = folder / f"{dist.name}.publish.attestation"
            target.write_text(attestation.model_dump_json(), encoding="utf-8")
            written.append(target)
    return written
