"""A loopback Sigstore instance (OIDC issuer, Fulcio, Rekor v1 and v2, an RFC 3161 TSA).

Example::

    from sigstore.models import Bundle
    from sigstore.oidc import IdentityToken
    from sigstore.sign import SigningContext
    from sigstore.verify import Verifier

    with SigstoreStandin() as standin:
        context = SigningContext.from_trust_config(standin.trust_config)
        with context.signer(IdentityToken(standin.issue_token())) as signer:
            bundle = signer.sign_artifact(b"hello")
        verifier = Verifier(trusted_root=standin.trust_config.trusted_root)
        verifier.verify_artifact(b"hello", bundle, standin.policy())

Nothing in sigstore-python is patched: the stand-in serves what the real services serve,
and ``trust_config_path`` is an ordinary ``ClientTrustConfig`` JSON file naming its keys and
URLs. By default it has public-good's production shape (its signing config since July
2025): Fulcio + Rekor v1 + the timestamp authority. ``SigstoreStandin(rekor_version=2)``
writes public-good's opt-in Rekor v2 shape instead (v2 listed before v1, plus the TSA);
``write_trust_config`` writes other variants (v2 only, no TSA, a foreign TSA) for tests. The identity is GitHub Actions': the certificate's SAN is
``https://github.com/<job_workflow_ref>``, its issuer extensions (``1.3.6.1.4.1.57264.1.1``
and ``.1.8``) carry the token's ``iss`` — by default the stand-in's own URL
(``issuer_url``), or whatever ``issuer_url=`` was given (e.g. GitHub's real issuer).

Fault injection: ``fail_next("rekor", 2, status=502)`` (``"rekor"`` covers both logs,
``"tsa"`` the timestamp authority); ``set_latency("rekor", 0.1)``;
``token_lifetime`` / ``cert_lifetime`` (settable at any time); ``request_counts``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Self

from sigstore.models import ClientTrustConfig
from sigstore.sign import SigningContext
from sigstore.verify import Verifier, policy

from release_actions_dev.standins._server import Lifecycle, LoopbackServer
from release_actions_dev.standins.sigstore.app import OIDC_PREFIX, Service, Settings, SigstoreApp
from release_actions_dev.standins.sigstore.ca import GITHUB_SERVER_URL, CertificateAuthority
from release_actions_dev.standins.sigstore.oidc import DEFAULT_AUDIENCE, github_claims
from release_actions_dev.standins.sigstore.rekor import TransparencyLog
from release_actions_dev.standins.sigstore.rekor2 import TransparencyLogV2
from release_actions_dev.standins.sigstore.trust import RekorVersion, client_trust_config
from release_actions_dev.standins.sigstore.tsa import TimestampAuthority

__all__ = ["GITHUB_ISSUER", "SigstoreStandin"]

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"


class SigstoreStandin(Lifecycle):
    """OIDC issuer, Fulcio, Rekor v1 and v2 and a TSA on one ``127.0.0.1`` origin."""

    def __init__(
        self,
        *,
        issuer_url: str | None = None,
        token_lifetime: float = 300.0,
        cert_lifetime: float = 600.0,
        fulcio_latency: float = 0.0,
        rekor_latency: float = 0.0,
        oidc_latency: float = 0.0,
        tsa_latency: float = 0.0,
        rekor_version: RekorVersion = 1,
        directory: Path | None = None,
        port: int = 0,
    ) -> None:
        """``issuer_url``: the ``iss`` the tokens claim (default: the stand-in's own
        ``<url>/oidc``). ``rekor_version``: 1 = public-good's production signing config
        (Fulcio + Rekor v1 + TSA), 2 = its opt-in Rekor v2 config (v2 before v1, + TSA).
        ``directory``: where ``trust_config.json`` goes (default: a temporary directory
        removed on exit). Lifetimes and latencies are in seconds.
        """
        self._settings = Settings(token_lifetime=token_lifetime, cert_lifetime=cert_lifetime)
        self._settings.latency.update(
            {
                "fulcio": fulcio_latency,
                "rekor": rekor_latency,
                "oidc": oidc_latency,
                "tsa": tsa_latency,
            }
        )
        self.rekor_version: RekorVersion = rekor_version
        self._app = SigstoreApp(settings=self._settings, issuer_url=issuer_url)
        self._server = LoopbackServer(self._app, port=port)
        self._directory = directory
        self._tempdir: Path | None = None
        self._trust_config_path: Path | None = None
        self._trust_config: ClientTrustConfig | None = None

    # Lifecycle ----------------------------------------------------------------------------

    def start(self) -> Self:
        self._server.start()
        self._app.bind(self._server.url)
        if self._directory is None:
            self._tempdir = Path(tempfile.mkdtemp(prefix="sigstore-standin-"))
            directory = self._tempdir
        else:
            directory = self._directory
            directory.mkdir(parents=True, exist_ok=True)
        rekor: tuple[RekorVersion, ...] = (2, 1) if self.rekor_version == 2 else (1,)
        path = self.write_trust_config(directory / "trust_config.json", rekor=rekor)
        self._trust_config_path = path
        self._trust_config = ClientTrustConfig.from_json(path.read_text(encoding="utf-8"))
        return self

    def stop(self) -> None:
        self._server.stop()
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None

    # Endpoints and trust ------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The origin serving Fulcio and Rekor (and the OIDC issuer under ``/oidc``)."""
        return self._server.url

    @property
    def issuer_url(self) -> str:
        """The ``iss`` claim of the tokens, and the certificates' OIDC issuer extensions."""
        return self._app.issuer.url

    @property
    def trust_config_path(self) -> Path:
        if self._trust_config_path is None:
            raise RuntimeError("the stand-in is not running")
        return self._trust_config_path

    @property
    def trust_config(self) -> ClientTrustConfig:
        if self._trust_config is None:
            raise RuntimeError("the stand-in is not running")
        return self._trust_config

    def write_trust_config(
        self,
        path: Path,
        *,
        rekor: tuple[RekorVersion, ...] = (1,),
        timestamps: bool = True,
        tsa_url: str | None = None,
    ) -> Path:
        """Write a ``ClientTrustConfig`` for this stand-in with another signing config.

        The trusted root is always the same (every key the stand-in has). ``rekor``: the
        Rekor versions listed, in order; ``timestamps``: list a TSA; ``tsa_url``: list that
        TSA instead of the stand-in's own (e.g. another stand-in's, which this trusted
        root does not name).
        """
        document = client_trust_config(
            ca=self._app.ca,
            log=self._app.log,
            log_v2=self._app.log_v2,
            tsa=self._app.tsa,
            base_url=self.url,
            oidc_url=f"{self.url}{OIDC_PREFIX}",
            rekor=rekor,
            timestamps=timestamps,
            tsa_url=tsa_url,
        )
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        return path

    @property
    def tsa_url(self) -> str:
        """The timestamp authority's endpoint (``POST``, ``application/timestamp-query``)."""
        return f"{self.url}/api/v1/timestamp"

    def signing_context(self) -> SigningContext:
        """``SigningContext.from_trust_config(self.trust_config)``."""
        return SigningContext.from_trust_config(self.trust_config)

    def verifier(self) -> Verifier:
        """``Verifier(trusted_root=self.trust_config.trusted_root)`` (offline)."""
        return Verifier(trusted_root=self.trust_config.trusted_root)

    @property
    def ca(self) -> CertificateAuthority:
        return self._app.ca

    @property
    def log(self) -> TransparencyLog:
        """Rekor v1."""
        return self._app.log

    @property
    def log_v2(self) -> TransparencyLogV2:
        """Rekor v2."""
        return self._app.log_v2

    @property
    def tsa(self) -> TimestampAuthority:
        return self._app.tsa

    # Tokens and identities ----------------------------------------------------------------

    def issue_token(
        self, *, lifetime: float | None = None, audience: str = DEFAULT_AUDIENCE, **claims: object
    ) -> str:
        """An ES256 JWT in GitHub Actions' shape; ``claims`` override (``None`` removes)."""
        if lifetime is None:
            lifetime = self._settings.token_lifetime
        return self._app.issuer.issue(lifetime=lifetime, audience=audience, **claims)

    def ambient_env(self, **claims: object) -> dict[str, str]:
        """Environment of a GitHub runner job with ``id-token: write``.

        ``ACTIONS_ID_TOKEN_REQUEST_URL`` / ``_TOKEN`` point at the stand-in, so
        ``sigstore.oidc.detect_credential()`` (via ``id``) gets a fresh token carrying
        ``claims``, valid for ``token_lifetime`` at the time of each request. Also sets
        ``GITHUB_ACTIONS`` and the ``GITHUB_*`` variables consistent with the claims.
        """
        request_token = self._app.register_ambient(claims)
        sample = self.expected_claims(**claims)
        env = {
            "GITHUB_ACTIONS": "true",
            "ACTIONS_ID_TOKEN_REQUEST_URL": f"{self._app.ambient_url}?api-version=2.0",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": request_token,
        }
        for variable, claim in (
            ("GITHUB_REPOSITORY", "repository"),
            ("GITHUB_REPOSITORY_OWNER", "repository_owner"),
            ("GITHUB_REF", "ref"),
            ("GITHUB_SHA", "sha"),
            ("GITHUB_WORKFLOW_REF", "workflow_ref"),
            ("GITHUB_EVENT_NAME", "event_name"),
            ("GITHUB_RUN_ID", "run_id"),
            ("GITHUB_RUN_ATTEMPT", "run_attempt"),
        ):
            value = sample.get(claim)
            if isinstance(value, str):
                env[variable] = value
        ref = sample.get("ref")
        if isinstance(ref, str):
            env["GITHUB_REF_NAME"] = ref.removeprefix("refs/tags/").removeprefix("refs/heads/")
        return env

    def expected_claims(self, **claims: object) -> dict[str, object]:
        """The claims ``issue_token(**claims)`` would carry (times aside)."""
        return github_claims(
            issuer=self.issuer_url,
            audience=DEFAULT_AUDIENCE,
            lifetime=self._settings.token_lifetime,
            overrides=claims,
        )

    def identity(self, **claims: object) -> str:
        """The certificate SAN for such a token: ``https://github.com/<job_workflow_ref>``."""
        return f"{GITHUB_SERVER_URL}/{self.expected_claims(**claims)['job_workflow_ref']}"

    def policy(self, **claims: object) -> policy.VerificationPolicy:
        """What a verifier should require of certificates for such a token: the SAN with
        the issuer, plus the repository, ref, commit and trigger (``policy.AllOf``)."""
        expected = self.expected_claims(**claims)
        return policy.AllOf(
            [
                policy.Identity(identity=self.identity(**claims), issuer=self.issuer_url),
                policy.OIDCIssuerV2(self.issuer_url),
                policy.GitHubWorkflowRepository(str(expected["repository"])),
                policy.GitHubWorkflowRef(str(expected["ref"])),
                policy.GitHubWorkflowSHA(str(expected["sha"])),
                policy.GitHubWorkflowTrigger(str(expected["event_name"])),
            ]
        )

    # Fault injection ----------------------------------------------------------------------

    def fail_next(self, service: Service, times: int = 1, *, status: int = 502) -> None:
        """Answer the next ``times`` requests to ``service`` (``"rekor"`` = either log's
        entries, ``"fulcio"``, ``"tsa"``, ``"oidc"`` = the ambient-token endpoint) with HTTP
        ``status``."""
        self._settings.fail_next(service, times, status=status)

    def set_latency(self, service: Service, seconds: float) -> None:
        """Delay every request to ``service`` by ``seconds``."""
        self._settings.latency[service] = seconds

    @property
    def token_lifetime(self) -> float:
        return self._settings.token_lifetime

    @token_lifetime.setter
    def token_lifetime(self, seconds: float) -> None:
        self._settings.token_lifetime = seconds

    @property
    def cert_lifetime(self) -> float:
        return self._settings.cert_lifetime

    @cert_lifetime.setter
    def cert_lifetime(self, seconds: float) -> None:
        self._settings.cert_lifetime = seconds

    @property
    def request_counts(self) -> dict[Service, int]:
        """Requests received so far per service (including failed ones)."""
        return dict(self._settings.requests)
