"""Which Sigstore instance to trust: public-good production (default), staging, or a file.

Example::

    trust = load_trust_config(Path("trust_config.json"), staging=False)
    verifier = make_verifier(trust)

A file is a ``ClientTrustConfig`` JSON (``application/vnd.dev.sigstore.clienttrustconfig.v0.1+json``)
naming Fulcio, Rekor and the keys to trust — what private instances and the loopback
stand-in publish. ``offline`` uses the production/staging root already on disk (sigstore
ships the production root inside the package), without a TUF refresh.
"""

from __future__ import annotations

from pathlib import Path

from sigstore.models import ClientTrustConfig
from sigstore.verify import Verifier

from release_actions.signing.errors import TrustConfigError


def load_trust_config(
    path: Path | None, *, staging: bool = False, offline: bool = False
) -> ClientTrustConfig:
    """Load and check the trust configuration; every failure names the file and the fix."""

    if path is not None and staging:
        raise TrustConfigError(
            f"`staging: true` contradicts `trust-config: {path}`: both choose the instance",
            fix="set only one of `trust-config` and `staging`",
        )
    if path is None:
        try:
            if staging:
                return ClientTrustConfig.staging(offline=offline)
            return ClientTrustConfig.production(offline=offline)
        except Exception as exc:
            which = "staging" if staging else "production"
            raise TrustConfigError(
                f"could not load Sigstore's {which} trust root ({type(exc).__name__}: {exc})",
                fix="check the runner can reach tuf-repo-cdn.sigstore.dev, or pass `offline: true` "
                "to use the root sigstore ships with",
            ) from exc
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TrustConfigError(
            f"trust config {path} does not exist",
            fix="pass the path of a ClientTrustConfig JSON, or leave `trust-config` empty for "
            "the public-good instance",
            file=str(path),
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TrustConfigError(
            f"trust config {path} cannot be read: {exc}",
            fix="pass a readable JSON file",
            file=str(path),
        ) from exc
    try:
        config = ClientTrustConfig.from_json(text)
        config.trusted_root.get_fulcio_certs()
        config.signing_config  # noqa: B018 - parses the signing half too
    except Exception as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TrustConfigError(
            f"trust config {path} is not a valid ClientTrustConfig JSON: {detail}",
            fix="pass a file with `mediaType: application/vnd.dev.sigstore.clienttrustconfig."
            "v0.1+json`, `trustedRoot` and `signingConfig` (what `sigstore` instances publish)",
            file=str(path),
        ) from exc
    return config


def make_verifier(trust: ClientTrustConfig) -> Verifier:
    """sigstore's own ``Verifier`` for this trust root (the same for sign and verify)."""

    return Verifier(trusted_root=trust.trusted_root)
