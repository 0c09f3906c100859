"""Rekor v2 (rekor-tiles) for the loopback Sigstore stand-in: ``POST /api/v2/log/entries``.

Example::

    log = TransparencyLogV2.generate(origin="127.0.0.1:8080")
    status, entry = log.submit({"hashedRekordRequestV002": {...}})  # (201, TransparencyLogEntry)
    entry["kindVersion"]  # {'kind': 'hashedrekord', 'version': '0.0.2'}
    log.log_id  # SHA-256(origin || 0x0A || 0x01 || Ed25519 key): the C2SP signed-note key ID

What sigstore-python 4.5 sends (``sigstore/_internal/rekor/client_v2.py``): a
``CreateEntryRequest`` with ``hashedRekordRequestV002`` (digest, signature, verifier =
the DER Fulcio certificate and ``keyDetails``) for both ``sign_artifact`` and
``sign_dsse`` — a DSSE envelope is logged as a hashedrekord over the SHA-256 of its PAE
(rekor-tiles has no DSSE type). What rekor-tiles answers (``internal/server/service.go``,
``pkg/types/hashedrekord``): the signature is verified over the prehashed digest with the
certificate's key, the entry body is the RFC 8785 JSON of the protojson ``Entry``, and the
reply is a protojson ``TransparencyLogEntry`` (grpc-gateway emits unpopulated fields:
``integratedTime`` ``"0"``, ``inclusionPromise`` null) whose inclusion proof carries a
C2SP checkpoint signed with the log's Ed25519 key. There is no signed entry timestamp:
a verifier needs an RFC 3161 timestamp for the time of signing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
from dataclasses import dataclass, field
from typing import Any

import rfc8785
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from release_actions_dev.standins.sigstore.rekor import EntryError, MerkleTree, leaf_hash

__all__ = ["DuplicateEntry", "TransparencyLogV2"]

#: keyDetails rekor-tiles accepts for hashedrekord, with the digest they imply.
_KEY_DETAILS: dict[str, tuple[hashes.HashAlgorithm, str]] = {
    "PKIX_ECDSA_P256_SHA_256": (hashes.SHA256(), "SHA2_256"),
    "PKIX_ECDSA_P384_SHA_384": (hashes.SHA384(), "SHA2_384"),
}


class DuplicateEntry(Exception):
    """The entry is already in the log (gRPC AlreadyExists, HTTP 409)."""

    def __init__(self, index: int) -> None:
        super().__init__(f"an equivalent entry already exists in the transparency log at {index}")
        self.index = index


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _field(obj: object, *path: str) -> object:
    for part in path:
        if not isinstance(obj, dict) or part not in obj:
            raise EntryError(f"missing field {'.'.join(path)}")
        obj = obj[part]
    return obj


def _bytes(obj: object, *path: str) -> bytes:
    value = _field(obj, *path)
    if not isinstance(value, str):
        raise EntryError(f"{'.'.join(path)} must be base64 bytes")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise EntryError(f"{'.'.join(path)} is not valid base64") from exc


@dataclass
class TransparencyLogV2:
    """The log's state and Ed25519 checkpoint key. Public methods are thread-safe."""

    key: ed25519.Ed25519PrivateKey
    origin: str
    _tree: MerkleTree = field(default_factory=MerkleTree)
    _index_of: dict[bytes, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def generate(cls, *, origin: str) -> TransparencyLogV2:
        """``origin``: the log's name in checkpoints, its URL without the scheme."""
        return cls(key=ed25519.Ed25519PrivateKey.generate(), origin=origin)

    @property
    def public_key_der(self) -> bytes:
        """DER SubjectPublicKeyInfo (``PKIX_ED25519`` in the trusted root)."""
        return self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def log_id(self) -> bytes:
        """The C2SP signed-note key ID of an Ed25519 key, all 32 bytes."""
        # fidelity: sig.rekor2-log-id
        raw = self.key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return hashlib.sha256(self.origin.encode() + b"\n\x01" + raw).digest()

    @property
    def size(self) -> int:
        with self._lock:
            return len(self._tree)

    def checkpoint(self, size: int, root: bytes) -> str:
        """A C2SP ``tlog-checkpoint`` as a signed note: origin, size, root; no extension lines."""
        # fidelity: sig.rekor2-checkpoint
        note = f"{self.origin}\n{size}\n{_b64(root)}\n"
        signature = self.log_id[:4] + self.key.sign(note.encode())
        return f"{note}\n\u2014 {self.origin} {_b64(signature)}\n"

    def submit(self, request: object) -> dict[str, Any]:
        """Integrate a ``CreateEntryRequest``; the 201 ``TransparencyLogEntry``.

        Raises ``EntryError`` (HTTP 400 InvalidArgument) or ``DuplicateEntry`` (409).
        """
        body = rfc8785.dumps(self._entry(request))
        leaf = leaf_hash(body)
        with self._lock:
            if leaf in self._index_of:
                raise DuplicateEntry(self._index_of[leaf])
            index = self._tree.append(body)
            self._index_of[leaf] = index
            size = len(self._tree)
            root = self._tree.root(size)
            proof = self._tree.inclusion_proof(index, size)
        # fidelity: sig.rekor2-response
        return {
            "logIndex": str(index),
            "logId": {"keyId": _b64(self.log_id)},
            "kindVersion": {"kind": "hashedrekord", "version": "0.0.2"},
            "integratedTime": "0",
            "inclusionPromise": None,
            "inclusionProof": {
                "logIndex": str(index),
                "rootHash": _b64(root),
                "treeSize": str(size),
                "hashes": [_b64(h) for h in proof],
                "checkpoint": {"envelope": self.checkpoint(size, root)},
            },
            "canonicalizedBody": _b64(body),
        }

    def _entry(self, request: object) -> dict[str, Any]:
        """The ``Entry`` rekor-tiles stores, after checking the request as it does."""
        # fidelity: sig.rekor2-request
        if not isinstance(request, dict) or set(request) != {"hashedRekordRequestV002"}:
            raise EntryError("invalid type, must be hashedrekord")
        spec = request["hashedRekordRequestV002"]
        digest = _bytes(spec, "digest")
        signature = _bytes(spec, "signature", "content")
        details = _field(spec, "signature", "verifier", "keyDetails")
        if not isinstance(details, str) or details not in _KEY_DETAILS:
            raise EntryError(f"unsupported keyDetails {details!r}")
        hash_algorithm, proto_algorithm = _KEY_DETAILS[details]
        if len(digest) != hash_algorithm.digest_size:
            raise EntryError(f"digest length {len(digest)} does not match {details}")
        cert_der = _bytes(spec, "signature", "verifier", "x509Certificate", "rawBytes")
        try:
            key = x509.load_der_x509_certificate(cert_der).public_key()
        except ValueError as exc:
            raise EntryError("verifier.x509Certificate is not a DER certificate") from exc
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise EntryError("the stand-in's Rekor v2 accepts ECDSA certificates only")
        try:
            key.verify(signature, digest, ec.ECDSA(Prehashed(hash_algorithm)))
        except InvalidSignature as exc:
            raise EntryError("verifying signature: invalid signature") from exc
        # fidelity: sig.rekor2-entry
        return {
            "apiVersion": "0.0.2",
            "kind": "hashedrekord",
            "spec": {
                "hashedRekordV002": {
                    "data": {"algorithm": proto_algorithm, "digest": _b64(digest)},
                    "signature": {
                        "content": _b64(signature),
                        "verifier": {
                            "keyDetails": details,
                            "x509Certificate": {"rawBytes": _b64(cert_der)},
                        },
                    },
                }
            },
        }
