"""The ``ClientTrustConfig`` JSON describing a loopback Sigstore stand-in.

Example::

    import json
    from sigstore.models import ClientTrustConfig
    from release_actions_dev.standins.sigstore.ca import CertificateAuthority
    from release_actions_dev.standins.sigstore.rekor import TransparencyLog

    document = client_trust_config(
        ca=CertificateAuthority.generate(),
        log=TransparencyLog.generate(origin="rekor.example"),
        base_url="http://127.0.0.1:8080",
        oidc_url="http://127.0.0.1:8080/oidc",
    )
    config = ClientTrustConfig.from_json(json.dumps(document))
    config.signing_config.get_oidc_url()  # 'http://127.0.0.1:8080/oidc'

It holds the trusted root (Fulcio CA, Rekor key, CT log key) and a signing config with
the stand-in's URLs for Fulcio, Rekor v1 and the OIDC issuer.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from cryptography.hazmat.primitives import serialization

from release_actions_dev.standins.sigstore.ca import CertificateAuthority, spki_der
from release_actions_dev.standins.sigstore.rekor import TransparencyLog

__all__ = ["OPERATOR", "client_trust_config"]

OPERATOR = "release-actions.standin"
_P256 = "PKIX_ECDSA_P256_SHA_256"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _rfc3339(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def client_trust_config(
    *, ca: CertificateAuthority, log: TransparencyLog, base_url: str, oidc_url: str
) -> dict[str, Any]:
    """The JSON document (as a dict) that ``ClientTrustConfig.from_json`` loads."""
    start = {"start": _rfc3339(ca.root.not_valid_before_utc)}

    def tlog(url: str, raw_key: bytes, log_id: bytes) -> dict[str, Any]:
        return {
            "baseUrl": url,
            "hashAlgorithm": "SHA2_256",
            "publicKey": {"rawBytes": _b64(raw_key), "keyDetails": _P256, "validFor": start},
            "logId": {"keyId": _b64(log_id)},
        }

    def service(url: str) -> dict[str, Any]:
        return {"url": url, "majorApiVersion": 1, "validFor": start, "operator": OPERATOR}

    root_der = ca.root.public_bytes(serialization.Encoding.DER)
    return {
        "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
        "trustedRoot": {
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [tlog(base_url, spki_der(log.key.public_key()), log.log_id)],
            "certificateAuthorities": [
                {
                    "subject": {"organization": "release-actions", "commonName": "stand-in"},
                    "uri": base_url,
                    "certChain": {"certificates": [{"rawBytes": _b64(root_der)}]},
                    "validFor": start,
                }
            ],
            "ctlogs": [tlog(f"{base_url}/ct", spki_der(ca.ct_key.public_key()), ca.ct_log_id)],
            "timestampAuthorities": [],
        },
        "signingConfig": {
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [service(base_url)],
            "oidcUrls": [service(oidc_url)],
            "rekorTlogUrls": [service(base_url)],
            "tsaUrls": [],
            "rekorTlogConfig": {"selector": "ANY"},
            "tsaConfig": {"selector": "ANY"},
        },
    }
