"""An RFC 3161 timestamp authority for the loopback Sigstore stand-in.

Example::

    from rfc3161_client import TimestampRequestBuilder, decode_timestamp_response

    tsa = TimestampAuthority.generate()
    request = TimestampRequestBuilder().data(b"signature bytes").nonce(nonce=True).build()
    response = decode_timestamp_response(tsa.respond(request.as_bytes()))
    response.tst_info.gen_time  # now, in whole seconds
    tsa.chain  # [leaf, root]: what the trusted root lists under timestampAuthorities

What sigstore-python sends (``sigstore/_internal/timestamp.py``): a DER ``TimeStampReq``
over SHA-256 of the signature bytes, with a nonce and ``certReq``, posted as
``application/timestamp-query``. What it verifies (``sigstore/verify/verifier.py``
``_verify_signed_timestamp`` with ``rfc3161_client.verify``): status granted, one
SignerInfo whose certificate is the trusted root's first certificate of the TSA's chain,
that leaf's extended key usage critical and only ``timeStamping``, the chain valid at
``genTime``, the message imprint equal to the hash of the bundle's signature, and
``genTime`` inside the TSA's ``validFor``. The response is built the way Sigstore's
timestamp-authority builds it (``pkg/api/timestamp.go``): TSTInfo v1 with the default
policy ``1.3.6.1.4.1.57264.2``, the echoed imprint and nonce, whole-second ``genTime``,
accuracy 1 s, inside a CMS SignedData (eContentType ``id-ct-TSTInfo``) with the signed
attributes RFC 5035 asks for (content type, signing time, message digest,
``signingCertificateV2``). ``cryptography`` cannot sign a TSTInfo content type and
``rfc3161-client`` cannot build responses, so the parts are encoded with asn1crypto and
the SignedData around them is assembled as DER here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import threading
from dataclasses import dataclass, field

from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["DEFAULT_POLICY", "TimestampAuthority", "TimestampRequestError"]

#: The policy OID Sigstore's timestamp authority uses by default.
DEFAULT_POLICY = "1.3.6.1.4.1.57264.2"
#: Hash algorithms the TSA accepts for message imprints (SHA-1 and MD5 are refused).
_ACCEPTED_IMPRINTS = {"sha256": 32, "sha384": 48, "sha512": 64}


class TimestampRequestError(ValueError):
    """A timestamp request the TSA refuses (HTTP 400)."""


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "release-actions"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*, digital_signature: bool, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _tlv(tag: int, content: bytes) -> bytes:
    """One DER element: tag, definite length, content."""
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _attribute(kind: str, value: object) -> bytes:
    encoded: bytes = cms.CMSAttribute({"type": kind, "values": [value]}).dump()
    return encoded


_VERSION_1 = core.Integer(1).dump()
_VERSION_3 = core.Integer(3).dump()
_ID_CT_TST_INFO = cms.ContentType("tst_info").dump()
_ID_SIGNED_DATA = cms.ContentType("signed_data").dump()
_STATUS_GRANTED = tsp.PKIStatusInfo({"status": "granted"}).dump()


@dataclass(frozen=True)
class _Static:
    """The DER parts of every response that depend only on the TSA's leaf certificate.

    The CMS SignedData around each TSTInfo is assembled from these and the per-response
    parts (asn1crypto re-encodes a whole certificate whenever it is placed in a
    structure, ~20 ms a response; the stand-in answers hundreds of signatures per run).
    """

    leaf: bytes
    signer_id: bytes
    digest_algorithm: bytes
    signature_algorithm: bytes
    signing_certificate: bytes

    @classmethod
    def of(cls, leaf: x509.Certificate) -> _Static:
        der = leaf.public_bytes(serialization.Encoding.DER)
        parsed = asn1_x509.Certificate.load(der)
        issuer_serial = {"issuer": parsed.issuer, "serial_number": parsed.serial_number}
        # RFC 5035 signingCertificateV2: one ESSCertIDv2 (SHA-256 of the leaf by default).
        ess_cert_id = {
            "cert_hash": hashlib.sha256(der).digest(),
            "issuer_serial": {
                "issuer": [asn1_x509.GeneralName({"directory_name": parsed.issuer})],
                "serial_number": parsed.serial_number,
            },
        }
        return cls(
            leaf=der,
            signer_id=cms.IssuerAndSerialNumber(issuer_serial).dump(),
            digest_algorithm=cms.DigestAlgorithm({"algorithm": "sha384"}).dump(),
            signature_algorithm=cms.SignedDigestAlgorithm({"algorithm": "sha384_ecdsa"}).dump(),
            signing_certificate=_attribute("signing_certificate_v2", {"certs": [ess_cert_id]}),
        )


@dataclass
class TimestampAuthority:
    """A self-signed TSA root and its timestamping leaf. ``respond`` is thread-safe."""

    root: x509.Certificate
    leaf_key: ec.EllipticCurvePrivateKey
    leaf: x509.Certificate
    _serials: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _static: _Static = field(init=False)

    def __post_init__(self) -> None:
        self._static = _Static.of(self.leaf)

    @classmethod
    def generate(cls, *, name: str = "release-actions stand-in tsa") -> TimestampAuthority:
        """New keys; root and leaf valid from a day ago (OpenSSL checks them at ``genTime``,
        which is floored to the second) for ten years."""
        root_key = ec.generate_private_key(ec.SECP384R1())
        leaf_key = ec.generate_private_key(ec.SECP384R1())
        start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
        end = start + dt.timedelta(days=3650)
        root = (
            x509.CertificateBuilder()
            .subject_name(_name(f"{name}-selfsigned"))
            .issuer_name(_name(f"{name}-selfsigned"))
            .public_key(root_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_key_usage(digital_signature=False, cert_sign=True), critical=True)
            .sign(root_key, hashes.SHA384())
        )
        # fidelity: sig.tsa-chain
        leaf = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(root.subject)
            .public_key(leaf_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(_key_usage(digital_signature=True, cert_sign=False), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), False)
            .sign(root_key, hashes.SHA384())
        )
        return cls(root=root, leaf_key=leaf_key, leaf=leaf)

    @property
    def chain(self) -> list[x509.Certificate]:
        """Leaf first, root last (the order of ``timestampAuthorities[].certChain``)."""
        return [self.leaf, self.root]

    @property
    def chain_pem(self) -> str:
        """``GET /api/v1/timestamp/certchain``: the chain as concatenated PEM."""
        return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in self.chain)

    def respond(self, request_der: bytes, *, now: dt.datetime | None = None) -> bytes:
        """The DER ``TimeStampResp`` (status granted) for a DER ``TimeStampReq``.

        Raises ``TimestampRequestError`` for what the real TSA answers with 400: a
        malformed request, a weak or unknown imprint hash, an imprint of the wrong length,
        or a policy other than its own.
        """
        # fidelity: sig.tsa-request
        try:
            request = tsp.TimeStampReq.load(request_der, strict=True)
            version = request["version"].native
            imprint = request["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            hashed = imprint["hashed_message"].native
            policy = request["req_policy"].native
            nonce = request["nonce"].native
            cert_req = bool(request["cert_req"].native)
        except (ValueError, TypeError) as exc:
            raise TimestampRequestError(f"malformed timestamp request: {exc}") from exc
        if version != "v1":
            raise TimestampRequestError(f"unsupported request version {version!r}")
        if algorithm not in _ACCEPTED_IMPRINTS:
            raise TimestampRequestError(f"unsupported or weak hash algorithm {algorithm!r}")
        if len(hashed) != _ACCEPTED_IMPRINTS[algorithm]:
            raise TimestampRequestError(f"message imprint is not a {algorithm} digest")
        if policy is not None and policy != DEFAULT_POLICY:
            raise TimestampRequestError(f"unsupported policy {policy}")
        when = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
        with self._lock:
            serial = next(self._serials)
        # fidelity: sig.tsa-response
        tst_info = tsp.TSTInfo(
            {
                "version": "v1",
                "policy": DEFAULT_POLICY,
                "message_imprint": imprint,
                "serial_number": serial,
                "gen_time": when,
                "accuracy": {"seconds": 1},
                "ordering": False,
                **({"nonce": nonce} if nonce is not None else {}),
            }
        )
        content = tst_info.dump()
        # RFC 5652 5.3/5.4: signed attributes are a DER SET OF (sorted encodings); the
        # signature covers that SET, the SignerInfo carries it as [0] IMPLICIT.
        attributes = b"".join(
            sorted(
                [
                    _attribute("content_type", "tst_info"),
                    _attribute("signing_time", cms.Time({"utc_time": when})),
                    _attribute("message_digest", hashlib.sha384(content).digest()),
                    self._static.signing_certificate,
                ]
            )
        )
        signature = self.leaf_key.sign(_tlv(0x31, attributes), ec.ECDSA(hashes.SHA384()))
        static = self._static
        signer_info = _tlv(
            0x30,
            _VERSION_1
            + static.signer_id
            + static.digest_algorithm
            + _tlv(0xA0, attributes)
            + static.signature_algorithm
            + core.OctetString(signature).dump(),
        )
        encapsulated = _tlv(0x30, _ID_CT_TST_INFO + _tlv(0xA0, core.OctetString(content).dump()))
        certificates = _tlv(0xA0, static.leaf) if cert_req else b""
        signed_data = _tlv(
            0x30,
            _VERSION_3
            + _tlv(0x31, static.digest_algorithm)
            + encapsulated
            + certificates
            + _tlv(0x31, signer_info),
        )
        token = _tlv(0x30, _ID_SIGNED_DATA + _tlv(0xA0, signed_data))
        return _tlv(0x30, _STATUS_GRANTED + token)
