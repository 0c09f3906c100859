"""The ``ClientTrustConfig`` JSON describing a loopback Sigstore stand-in.

Example::

    import json
    from sigstore.models import ClientTrustConfig
    from release_actions_dev.standins.sigstore.ca import CertificateAuthority
    from release_actions_dev.standins.sigstore.rekor import TransparencyLog
    from release_actions_dev.standins.sigstore.rekor2 import TransparencyLogV2
    from release_actions_dev.standins.sigstore.tsa import TimestampAuthority

    document = client_trust_config(
        ca=CertificateAuthority.generate(),
        log=TransparencyLog.generate(origin="rekor.example"),
        log_v2=TransparencyLogV2.generate(origin="127.0.0.1:8080"),
        tsa=TimestampAuthority.generate(),
        base_url="http://127.0.0.1:8080",
        oidc_url="http://127.0.0.1:8080/oidc",
    )
    config = ClientTrustConfig.from_json(json.dumps(document))
    config.signing_config.get_tsas()[0].url  # 'http://127.0.0.1:8080/api/v1/timestamp'

The trusted root always names every key the stand-in has, as public-good's
``trusted_root.json`` does: the Fulcio CA, the CT log, both Rekor logs (v1 with an ECDSA
key, v2 with an Ed25519 key and its C2SP log ID) and the timestamp authority's chain. The
signing config chooses the services a signer uses:

* ``rekor=(1,)``, ``timestamps=True`` (the default): Fulcio + Rekor v1 + TSA, the shape of
  public-good's ``signing_config.v0.2.json`` since July 2025;
* ``rekor=(2, 1)``: Rekor v2 listed before v1 by the same operator, the shape of
  public-good's opt-in ``signing_config_rekor_v2.v0.2.json`` (sigstore-python picks the
  highest version per operator, so v2);
* ``rekor=(2,)``: Rekor v2 only; ``timestamps=False``: no TSA; ``tsa_url``: another TSA
  than the one the trusted root lists.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from release_actions_dev.standins.sigstore.ca import CertificateAuthority, spki_der
from release_actions_dev.standins.sigstore.rekor import TransparencyLog
from release_actions_dev.standins.sigstore.rekor2 import TransparencyLogV2
from release_actions_dev.standins.sigstore.tsa import TimestampAuthority

__all__ = ["OPERATOR", "TIMESTAMP_PATH", "RekorVersion", "client_trust_config"]

OPERATOR = "release-actions.standin"
TIMESTAMP_PATH = "/api/v1/timestamp"
RekorVersion = Literal[1, 2]
_P256 = "PKIX_ECDSA_P256_SHA_256"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _der(cert: x509.Certificate) -> str:
    return _b64(cert.public_bytes(serialization.Encoding.DER))


def _rfc3339(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def client_trust_config(
    *,
    ca: CertificateAuthority,
    log: TransparencyLog,
    log_v2: TransparencyLogV2,
    tsa: TimestampAuthority,
    base_url: str,
    oidc_url: str,
    rekor: Sequence[RekorVersion] = (1,),
    timestamps: bool = True,
    tsa_url: str | None = None,
) -> dict[str, Any]:
    """The JSON document (as a dict) that ``ClientTrustConfig.from_json`` loads.

    ``rekor``: the Rekor major versions the signing config lists, in order.
    ``timestamps``: list a TSA in the signing config. ``tsa_url``: the TSA it lists
    (default: the stand-in's own, ``<base_url>/api/v1/timestamp``).
    """
    start = {"start": _rfc3339(ca.root.not_valid_before_utc)}

    def tlog(url: str, raw_key: bytes, log_id: bytes, details: str = _P256) -> dict[str, Any]:
        return {
            "baseUrl": url,
            "hashAlgorithm": "SHA2_256",
            "publicKey": {"rawBytes": _b64(raw_key), "keyDetails": details, "validFor": start},
            "logId": {"keyId": _b64(log_id)},
        }

    def service(url: str, version: int = 1) -> dict[str, Any]:
        return {"url": url, "majorApiVersion": version, "validFor": start, "operator": OPERATOR}

    own_tsa = f"{base_url}{TIMESTAMP_PATH}"
    # fidelity: sig.trusted-root, sig.signing-config
    return {
        "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
        "trustedRoot": {
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [
                tlog(base_url, spki_der(log.key.public_key()), log.log_id),
                # fidelity: sig.rekor2-log-id
                tlog(base_url, log_v2.public_key_der, log_v2.log_id, "PKIX_ED25519"),
            ],
            "certificateAuthorities": [
                {
                    "subject": {"organization": "release-actions", "commonName": "stand-in"},
                    "uri": base_url,
                    "certChain": {"certificates": [{"rawBytes": _der(ca.root)}]},
                    "validFor": start,
                }
            ],
            "ctlogs": [tlog(f"{base_url}/ct", spki_der(ca.ct_key.public_key()), ca.ct_log_id)],
            # fidelity: sig.tsa-chain
            "timestampAuthorities": [
                {
                    "subject": {
                        "organization": "release-actions",
                        "commonName": str(
                            tsa.root.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
                        ),
                    },
                    "uri": own_tsa,
                    "certChain": {"certificates": [{"rawBytes": _der(c)} for c in tsa.chain]},
                    "validFor": start,
                }
            ],
        },
        "signingConfig": {
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [service(base_url)],
            "oidcUrls": [service(oidc_url)],
            "rekorTlogUrls": [service(base_url, version) for version in rekor],
            "tsaUrls": [service(tsa_url or own_tsa)] if timestamps else [],
            "rekorTlogConfig": {"selector": "ANY"},
            "tsaConfig": {"selector": "ANY"},
        },
    }
