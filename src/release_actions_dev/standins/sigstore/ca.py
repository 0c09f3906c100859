"""Fulcio's certificate authority and its CT log, for the loopback Sigstore stand-in.

Example::

    from cryptography.hazmat.primitives.asymmetric import ec

    from release_actions_dev.standins.sigstore.oidc import github_claims

    ca = CertificateAuthority.generate(name="example")
    key = ec.generate_private_key(ec.SECP256R1())
    claims = github_claims(
        issuer="https://issuer.example", audience="sigstore", lifetime=300, overrides={}
    )
    leaf = ca.issue(key.public_key(), claims=claims, lifetime=600)
    assert leaf.issuer == ca.root.subject

The leaf carries an embedded SCT from the stand-in's CT log. ``cryptography`` cannot build
SCTs, so the RFC 6962 ``SignedCertificateTimestampList`` extension is encoded here by hand:
the certificate is built once with a placeholder list, the precertificate TBS
(``tbs_precertificate_bytes``, which leaves that extension out) is signed together with the
issuer's key hash, and the certificate is rebuilt identically with the real SCT.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

__all__ = [
    "GITHUB_SERVER_URL",
    "CertificateAuthority",
    "ClaimError",
    "der_utf8_string",
    "key_id",
    "spki_der",
]

GITHUB_SERVER_URL = "https://github.com"

_FULCIO = "1.3.6.1.4.1.57264.1."
# Legacy extensions (.1.1 to .1.6): the raw string, no DER wrapping.
_LEGACY_ISSUER = x509.ObjectIdentifier(_FULCIO + "1")
_LEGACY_GITHUB = {
    x509.ObjectIdentifier(_FULCIO + "2"): "event_name",
    x509.ObjectIdentifier(_FULCIO + "3"): "sha",
    x509.ObjectIdentifier(_FULCIO + "4"): "workflow",
    x509.ObjectIdentifier(_FULCIO + "5"): "repository",
    x509.ObjectIdentifier(_FULCIO + "6"): "ref",
}
_ISSUER_V2 = x509.ObjectIdentifier(_FULCIO + "8")

# Provider-generic extensions (.1.9 to .1.22): DER UTF8String. Values are built from the
# GitHub claims as Fulcio's docs/oid-info.md maps them. ``None`` = claim missing, skip.


def _github_generic(claims: Mapping[str, str]) -> dict[str, str | None]:
    server = GITHUB_SERVER_URL

    def url(claim: str) -> str | None:
        value = claims.get(claim)
        return None if value is None else f"{server}/{value}"

    run_uri = None
    if all(claims.get(c) for c in ("repository", "run_id", "run_attempt")):
        run_uri = (
            f"{server}/{claims['repository']}/actions/runs/{claims['run_id']}"
            f"/attempts/{claims['run_attempt']}"
        )
    return {
        "9": url("job_workflow_ref"),  # Build Signer URI
        "10": claims.get("job_workflow_sha"),  # Build Signer Digest
        "11": claims.get("runner_environment"),  # Runner Environment
        "12": url("repository"),  # Source Repository URI
        "13": claims.get("sha"),  # Source Repository Digest
        "14": claims.get("ref"),  # Source Repository Ref
        "15": claims.get("repository_id"),  # Source Repository Identifier
        "16": url("repository_owner"),  # Source Repository Owner URI
        "17": claims.get("repository_owner_id"),  # Source Repository Owner Identifier
        "18": url("workflow_ref"),  # Build Config URI
        "19": claims.get("workflow_sha"),  # Build Config Digest
        "20": claims.get("event_name"),  # Build Trigger
        "21": run_uri,  # Run Invocation URI
        "22": claims.get("repository_visibility"),  # Source Repository Visibility
    }


REQUIRED_CLAIMS = ("iss", "sub", "job_workflow_ref", "repository", "ref", "sha", "event_name")

_SCT_LIST_OID = ExtensionOID.PRECERT_SIGNED_CERTIFICATE_TIMESTAMPS


class ClaimError(ValueError):
    """The token lacks a claim the certificate needs (Fulcio answers 400)."""


def spki_der(key: ec.EllipticCurvePublicKey) -> bytes:
    """DER ``SubjectPublicKeyInfo`` of ``key``."""
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_id(key: ec.EllipticCurvePublicKey) -> bytes:
    """RFC 6962 key id (also Rekor's log id): sha256 of the DER SubjectPublicKeyInfo."""
    return hashlib.sha256(spki_der(key)).digest()


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def der_utf8_string(value: str) -> bytes:
    """DER encoding of an ASN.1 UTF8String (tag 0x0C)."""
    raw = value.encode()
    return b"\x0c" + _der_length(len(raw)) + raw


def _der_octet_string(raw: bytes) -> bytes:
    return b"\x04" + _der_length(len(raw)) + raw


def _u16_prefixed(raw: bytes) -> bytes:
    return struct.pack("!H", len(raw)) + raw


def _u24_prefixed(raw: bytes) -> bytes:
    return struct.pack("!I", len(raw))[1:] + raw


@dataclass(frozen=True)
class _CTLog:
    """A CT log that only ever hands out SCTs for precertificates (entry type 1)."""

    key: ec.EllipticCurvePrivateKey

    @property
    def log_id(self) -> bytes:
        return key_id(self.key.public_key())

    def sct_list(self, *, tbs_precert: bytes, issuer_key_hash: bytes, when: dt.datetime) -> bytes:
        """The TLS-encoded ``SignedCertificateTimestampList`` holding one v1 SCT."""
        # fidelity: sig.fulcio-sct
        timestamp_ms = int(when.timestamp() * 1000)
        extensions = b""
        signed = (
            struct.pack("!BBQH", 0, 0, timestamp_ms, 1)  # v1, certificate_timestamp, precert
            + issuer_key_hash
            + _u24_prefixed(tbs_precert)
            + _u16_prefixed(extensions)
        )
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        sct = (
            struct.pack("!B", 0)
            + self.log_id
            + struct.pack("!Q", timestamp_ms)
            + _u16_prefixed(extensions)
            + struct.pack("!BB", 4, 3)  # sha256, ecdsa
            + _u16_prefixed(signature)
        )
        return _u16_prefixed(_u16_prefixed(sct))


def _placeholder_sct_list() -> bytes:
    # Same shape as a real list so nothing surprising happens while parsing the draft.
    sct = b"\x00" + bytes(32) + bytes(8) + b"\x00\x00" + b"\x04\x03" + _u16_prefixed(bytes(8))
    return _u16_prefixed(_u16_prefixed(sct))


@dataclass(frozen=True)
class CertificateAuthority:
    """A self-signed Fulcio root that issues leaves directly, plus a CT log key."""

    root_key: ec.EllipticCurvePrivateKey
    root: x509.Certificate
    ct_key: ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls, *, name: str = "release-actions sigstore stand-in") -> CertificateAuthority:
        """New random keys and a root valid from a day ago for ten years."""
        root_key = ec.generate_private_key(ec.SECP384R1())
        now = dt.datetime.now(dt.UTC)
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "release-actions"),
                x509.NameAttribute(NameOID.COMMON_NAME, name),
            ]
        )
        ski = x509.SubjectKeyIdentifier.from_public_key(root_key.public_key())
        root = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(root_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(ski, critical=False)
            .sign(root_key, hashes.SHA384())
        )
        return cls(root_key=root_key, root=root, ct_key=ec.generate_private_key(ec.SECP256R1()))

    @property
    def ct_log_id(self) -> bytes:
        return key_id(self.ct_key.public_key())

    @property
    def root_pem(self) -> str:
        return self.root.public_bytes(serialization.Encoding.PEM).decode()

    def issue(
        self,
        public_key: ec.EllipticCurvePublicKey,
        *,
        claims: Mapping[str, Any],
        lifetime: float,
        now: dt.datetime | None = None,
    ) -> x509.Certificate:
        """A Fulcio-shaped code-signing leaf for a GitHub Actions token's ``claims``.

        The SAN is the *called* workflow (``job_workflow_ref``): a reusable workflow
        signs as itself, not as its caller. Raises ``ClaimError`` for missing claims.
        """
        missing = [c for c in REQUIRED_CLAIMS if not isinstance(claims.get(c), str)]
        if missing:
            raise ClaimError(f"token is missing required claims: {', '.join(missing)}")
        str_claims = {k: v for k, v in claims.items() if isinstance(v, str)}
        if now is None:
            now = dt.datetime.now(dt.UTC)
        # X.509 times are whole seconds: floor the start, round the end up, so the leaf
        # is valid for at least ``lifetime`` seconds from now (Fulcio: ten minutes).
        # fidelity: sig.cert-lifetime
        not_before = now.replace(microsecond=0)
        end = now + dt.timedelta(seconds=lifetime)
        not_after = end.replace(microsecond=0) + dt.timedelta(seconds=1 if end.microsecond else 0)
        serial = x509.random_serial_number()

        # fidelity: sig.fulcio-response
        def build(sct_list: bytes) -> x509.Certificate:
            builder = (
                x509.CertificateBuilder()
                .subject_name(x509.Name([]))
                .issuer_name(self.root.subject)
                .public_key(public_key)
                .serial_number(serial)
                .not_valid_before(not_before)
                .not_valid_after(not_after)
                .add_extension(
                    x509.KeyUsage(
                        digital_signature=True,
                        content_commitment=False,
                        key_encipherment=False,
                        data_encipherment=False,
                        key_agreement=False,
                        key_cert_sign=False,
                        crl_sign=False,
                        encipher_only=False,
                        decipher_only=False,
                    ),
                    critical=True,
                )
                .add_extension(
                    x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False
                )
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), False)
                .add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(self.root_key.public_key()),
                    critical=False,
                )
                .add_extension(
                    x509.SubjectAlternativeName(
                        [
                            x509.UniformResourceIdentifier(
                                f"{GITHUB_SERVER_URL}/{str_claims['job_workflow_ref']}"
                            )
                        ]
                    ),
                    critical=True,  # the subject is empty (RFC 5280 4.2.1.6)
                )
                .add_extension(
                    x509.UnrecognizedExtension(_LEGACY_ISSUER, str_claims["iss"].encode()),
                    critical=False,
                )
            )
            for oid, claim in _LEGACY_GITHUB.items():
                if claim in str_claims:
                    builder = builder.add_extension(
                        x509.UnrecognizedExtension(oid, str_claims[claim].encode()), False
                    )
            builder = builder.add_extension(
                x509.UnrecognizedExtension(_ISSUER_V2, der_utf8_string(str_claims["iss"])), False
            )
            for suffix, value in _github_generic(str_claims).items():
                if value is not None:
                    oid = x509.ObjectIdentifier(_FULCIO + suffix)
                    builder = builder.add_extension(
                        x509.UnrecognizedExtension(oid, der_utf8_string(value)), False
                    )
            builder = builder.add_extension(
                x509.UnrecognizedExtension(_SCT_LIST_OID, _der_octet_string(sct_list)), False
            )
            return builder.sign(self.root_key, hashes.SHA384())

        draft = build(_placeholder_sct_list())
        sct_list = _CTLog(self.ct_key).sct_list(
            tbs_precert=draft.tbs_precertificate_bytes,
            issuer_key_hash=key_id(self.root_key.public_key()),
            when=now,
        )
        leaf = build(sct_list)
        if leaf.tbs_precertificate_bytes != draft.tbs_precertificate_bytes:  # pragma: no cover
            raise AssertionError("rebuilding the leaf changed its precertificate TBS")
        return leaf
