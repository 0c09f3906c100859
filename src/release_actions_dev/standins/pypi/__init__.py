"""A stand-in for PyPI (trusted publishing, its upload rules, PEP 740 checks) in front of a
real pypiserver, both on 127.0.0.1.

Example::

    with SigstoreStandin(issuer_url=GITHUB_ISSUER) as sigstore, PyPIStandin(
        publishers=[TrustedPublisher("octo/example", "release.yml", projects=("demo",))],
        oidc_issuer=GITHUB_ISSUER,
        jwks_url=f"{sigstore.url}/oidc/.well-known/jwks",
        trusted_root=sigstore.trust_config.trusted_root,
        api_tokens={"pypi-account-token": None},
    ) as pypi:
        pypi.upload_url   # 'http://127.0.0.1:<port>/legacy/' (repository-url)
        pypi.simple_url   # 'http://127.0.0.1:<port>/simple/'
        pypi.stored()     # what pypiserver holds: file name → sha256

Every rule it models is a row of the ledger's PyPI section (``FIDELITY.md``) and is marked
with a fidelity comment where it is modelled. Storage and the listing are pypiserver's.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Self

from sigstore.models import TrustedRoot

from release_actions_dev.standins._server import Lifecycle, LoopbackServer
from release_actions_dev.standins.pypi.app import PyPIApp
from release_actions_dev.standins.pypi.publishers import OidcVerifier, TrustedPublisher
from release_actions_dev.standins.pypi.server import PypiServer

__all__ = ["PyPIStandin", "PypiServer", "TrustedPublisher"]


class PyPIStandin(Lifecycle):
    """PyPI's endpoints (``/_/oidc/…``, ``/legacy/``, ``/simple/``) over a pypiserver."""

    def __init__(
        self,
        *,
        publishers: Sequence[TrustedPublisher] = (),
        oidc_issuer: str | None = None,
        jwks_url: str | None = None,
        audience: str = "pypi",
        api_tokens: Mapping[str, tuple[str, ...] | None] | None = None,
        trusted_root: TrustedRoot | None = None,
        trusted_publishing: bool = True,
        minted_lifetime: int = 900,
        directory: Path | None = None,
    ) -> None:
        """``api_tokens``: token → the projects it may upload (None: the whole account);
        ``minted_lifetime``: seconds a minted upload token lives (PyPI: 900)."""
        self._tempdir = None if directory else tempfile.TemporaryDirectory(prefix="pypi-standin-")
        root = directory or Path(self._tempdir.name if self._tempdir else ".")
        self.backend = PypiServer(root / "packages")
        oidc = (
            OidcVerifier(issuer=oidc_issuer, jwks_url=jwks_url, audience=audience)
            if oidc_issuer and jwks_url
            else None
        )
        self.app = PyPIApp(
            backend="",
            oidc=oidc,
            publishers=publishers,
            api_tokens=api_tokens,
            trusted_root=trusted_root,
            trusted_publishing=trusted_publishing,
            minted_lifetime=minted_lifetime,
        )
        self._server = LoopbackServer(self.app)

    def start(self) -> Self:
        self.backend.start()
        self.app.backend = self.backend.url
        self._server.start()
        self.app.bind(self._server.url)
        return self

    def stop(self) -> None:
        self._server.stop()
        self.backend.stop()
        if self._tempdir is not None:
            self._tempdir.cleanup()

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def upload_url(self) -> str:
        return self._server.url + "/legacy/"

    @property
    def simple_url(self) -> str:
        return self._server.url + "/simple/"

    def stored(self) -> dict[str, str]:
        return self.backend.stored()

    @property
    def uploads(self) -> list[str]:
        """File names accepted and stored, in order."""
        return list(self.app.uploads)

    @property
    def minted_tokens(self) -> list[str]:
        return list(self.app.minted)
