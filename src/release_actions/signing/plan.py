"""Which transparency log signs what, decided from the trust config before anything is signed.

Example::

    plan = signing_plan(trust, attestations=True, source="trust_config.json")
    plan.rekor_version            # 1 (public-good's default) or 2 (an opt-in v2 config)
    plan.attestations             # Rekor v1, no timestamp authority

sigstore-python signs with the first log its signing config selects: the highest Rekor
major version each operator lists (``SigningConfig._get_valid_services``), so a config
listing v2 and v1 by one operator (public-good's opt-in ``signing_config_rekor_v2``)
signs on v2. Two consequences are checked here, before a certificate is requested:

* A Rekor v2 entry has no signed entry timestamp, so a v2 bundle needs an RFC 3161
  timestamp: without a TSA in the signing config sigstore would make the log entry and
  then fail building the bundle; without a TSA in the trusted root no bundle verifies
  ("not enough sources of verified time").
* A PEP 740 attestation carries the log entry but no timestamps, and pypi-attestations
  (and PyPI) need the entry's inclusion promise, which only Rekor v1 gives. So with v2,
  attestations are signed through the config's Rekor v1 log (``force_tlog_version = 1``,
  as pypi-attestations' own CLI does); a config without an active v1 log is refused.

Attestations are signed without asking a timestamp authority: the attestation has no
place for the timestamp (``pypi_attestations.VerificationMaterial``), so it would be
thrown away, and its time is the Rekor v1 entry's (the SET). That is a signing context of
its own, so its signer has its own certificate (the same token, the same identity).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from sigstore._internal.rekor import RekorLogSubmitter
from sigstore._internal.rekor.client_v2 import RekorV2Client
from sigstore.errors import Error as SigstoreError
from sigstore.models import ClientTrustConfig
from sigstore.sign import SigningContext

from release_actions.signing.errors import TrustConfigError

#: Where the signing config says which logs and timestamp authorities to use.
SIGNING_CONFIG_DOCS = "https://github.com/sigstore/root-signing/tree/main/targets"


@dataclass(frozen=True)
class SigningPlan:
    """The signing contexts for bundles and for PEP 740 attestations."""

    bundles: SigningContext
    #: Rekor v1 without a timestamp authority; None without attestations.
    attestations: SigningContext | None
    rekor_version: int
    timestamp_authorities: int

    def describe(self) -> str:
        """One line for the log, e.g. ``Rekor v1 + 1 timestamp authority``."""
        text = f"Rekor v{self.rekor_version}"
        if self.timestamp_authorities:
            plural = "y" if self.timestamp_authorities == 1 else "ies"
            text += f" + {self.timestamp_authorities} timestamp authorit{plural}"
        if self.attestations is not None:
            text += "; PEP 740 attestations on Rekor v1"
        return text


def _untimestamped(trust: ClientTrustConfig, tlog: RekorLogSubmitter) -> SigningContext:
    """The trust config's Fulcio and ``tlog``, without timestamp authorities."""
    return SigningContext(
        fulcio=trust.signing_config.get_fulcio(),
        rekor=tlog,
        trusted_root=trust.trusted_root,
        tsa_clients=[],
    )


def signing_plan(trust: ClientTrustConfig, *, attestations: bool, source: str) -> SigningPlan:
    """Check the trust config can sign what is asked; raise before any request if not.

    ``source`` names the trust config in messages (a path, or the instance's name).
    """
    try:
        signing = trust.signing_config
        tlog = signing.get_tlogs()[0]
        tsas = signing.get_tsas()
        bundles = SigningContext.from_trust_config(trust)
    except (SigstoreError, ValueError) as exc:
        raise TrustConfigError(
            f"the signing config of {source} cannot sign: {exc}",
            fix="use a signing config that lists an active Fulcio CA and Rekor log (see "
            f"{SIGNING_CONFIG_DOCS})",
        ) from exc
    if not isinstance(tlog, RekorV2Client):
        return SigningPlan(
            bundles=bundles,
            attestations=_untimestamped(trust, tlog) if attestations else None,
            rekor_version=1,
            timestamp_authorities=len(tsas),
        )
    if not tsas:
        raise TrustConfigError(
            f"the signing config of {source} chooses Rekor v2 but lists no timestamp "
            "authority: a Rekor v2 entry carries no signed time, so a bundle needs an RFC 3161 "
            "timestamp, and without one nothing could be verified",
            fix="add the instance's timestamp authority to `tsaUrls` of the signing config "
            "(public-good: https://timestamp.sigstore.dev/api/v1/timestamp), or use a "
            "signing config with a Rekor v1 log",
        )
    if not trust.trusted_root.get_timestamp_authorities():
        raise TrustConfigError(
            f"the signing config of {source} chooses Rekor v2, but its trusted root lists no "
            "timestamp authority: Rekor v2 bundles could not be verified (not enough sources "
            "of verified time)",
            fix="use the trusted root the instance publishes (with its `timestampAuthorities`)",
        )
    attestation_context: SigningContext | None = None
    if attestations:
        v1_only = copy.copy(trust)
        v1_only.force_tlog_version = 1
        try:
            attestation_context = _untimestamped(trust, v1_only.signing_config.get_tlogs()[0])
        except (SigstoreError, ValueError) as exc:
            raise TrustConfigError(
                f"PEP 740 attestations cannot be made with the signing config of {source}: it "
                "lists Rekor v2 and no active Rekor v1 log, and an attestation must carry a "
                "Rekor v1 entry (pypi-attestations and PyPI need its inclusion promise; an "
                "attestation has no place for the timestamps a v2 entry relies on). Nothing "
                "was signed",
                fix="set `attestations: false` (bundles and provenance still use Rekor v2), or "
                "use a signing config that also lists a Rekor v1 log (as public-good's "
                "`signing_config_rekor_v2.v0.2.json` does)",
            ) from exc
    return SigningPlan(
        bundles=bundles,
        attestations=attestation_context,
        rekor_version=2,
        timestamp_authorities=len(tsas),
    )
