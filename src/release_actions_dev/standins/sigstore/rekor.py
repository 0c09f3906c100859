"""Rekor v1 for the loopback Sigstore stand-in: an RFC 6962 log with SETs and checkpoints.

Example::

    log = TransparencyLog.generate(origin="rekor.example")
    tree = MerkleTree()
    for leaf in (b"a", b"b", b"c"):
        tree.append(leaf)
    assert len(tree.inclusion_proof(2)) == 1  # sibling hashes, leaf first (RFC 6962)
    log.size  # 0; log.submit(proposed_entry) -> (201, {uuid: {body, integratedTime, ...}})

``submit`` checks a proposed ``hashedrekord`` or ``dsse`` entry the way Rekor does (the
signature must verify with the key of the certificate in the entry), appends the
canonical body to a real Merkle tree, and answers with Rekor's v1 response shape: a
signed entry timestamp (ECDSA over the RFC 8785 JSON of ``body``, ``integratedTime``,
``logID``, ``logIndex``) and an inclusion proof whose checkpoint is a signed note.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import rfc8785
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from release_actions_dev.standins.sigstore.ca import key_id

__all__ = ["EntryError", "MerkleTree", "TransparencyLog", "leaf_hash"]

_HASH_ALGORITHMS: dict[str, tuple[hashes.HashAlgorithm, int]] = {
    "sha256": (hashes.SHA256(), 32),
    "sha384": (hashes.SHA384(), 48),
    "sha512": (hashes.SHA512(), 64),
}


class EntryError(ValueError):
    """A proposed entry Rekor would refuse (HTTP 400)."""


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 || data)."""
    # fidelity: sig.merkle-tree
    return hashlib.sha256(b"\x00" + data).digest()


def _node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n`` >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """An append-only RFC 6962 Merkle tree (not thread-safe: callers hold a lock)."""

    def __init__(self) -> None:
        self._leaves: list[bytes] = []
        # Hashes of complete (power-of-two) subtrees never change: cache them.
        self._complete: dict[tuple[int, int], bytes] = {}

    def __len__(self) -> int:
        return len(self._leaves)

    def append(self, data: bytes) -> int:
        """Add a leaf; return its index."""
        self._leaves.append(leaf_hash(data))
        return len(self._leaves) - 1

    def _hash(self, start: int, end: int) -> bytes:
        n = end - start
        if n == 1:
            return self._leaves[start]
        complete = n & (n - 1) == 0
        if complete and (start, n) in self._complete:
            return self._complete[(start, n)]
        k = _split(n)
        result = _node_hash(self._hash(start, start + k), self._hash(start + k, end))
        if complete:
            self._complete[(start, n)] = result
        return result

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first ``size`` leaves (default: all)."""
        size = len(self._leaves) if size is None else size
        if size == 0:
            return hashlib.sha256(b"").digest()
        return self._hash(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 6962 audit path for leaf ``index`` in the tree of ``size`` leaves, leaf first."""
        size = len(self._leaves) if size is None else size
        if not 0 <= index < size <= len(self._leaves):
            raise IndexError(f"leaf {index} is not in a tree of size {size}")
        path: list[bytes] = []
        start, end = 0, size
        while end - start > 1:
            k = _split(end - start)
            if index < start + k:
                path.append(self._hash(start + k, end))
                end = start + k
            else:
                path.append(self._hash(start, start + k))
                start += k
        path.reverse()
        return path


def _str(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise EntryError(f"{what} must be a string")
    return value


def _b64decode(value: object, what: str) -> bytes:
    value = _str(value, what)
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise EntryError(f"{what} is not valid base64") from exc


def _load_cert_key(b64_pem: object, what: str) -> ec.EllipticCurvePublicKey:
    pem = _b64decode(b64_pem, what)
    try:
        key = x509.load_pem_x509_certificate(pem).public_key()
    except ValueError as exc:
        raise EntryError(f"{what} is not a PEM certificate") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise EntryError(f"{what}: only ECDSA keys are supported by the stand-in")
    return key


def _get(obj: object, *path: str) -> object:
    for part in path:
        if not isinstance(obj, dict) or part not in obj:
            raise EntryError(f"missing field {'.'.join(path)}")
        obj = obj[part]
    return obj


def _canonical_hashedrekord(spec: object) -> dict[str, Any]:
    algorithm = _get(spec, "data", "hash", "algorithm")
    value = _get(spec, "data", "hash", "value")
    signature_b64 = _str(_get(spec, "signature", "content"), "signature.content")
    cert_b64 = _str(_get(spec, "signature", "publicKey", "content"), "publicKey.content")
    if algorithm not in _HASH_ALGORITHMS or not isinstance(value, str):
        raise EntryError(f"unsupported hash algorithm {algorithm!r}")
    hash_algorithm, length = _HASH_ALGORITHMS[algorithm]
    try:
        digest = bytes.fromhex(value)
    except ValueError as exc:
        raise EntryError("data.hash.value is not hex") from exc
    if len(digest) != length:
        raise EntryError(f"{algorithm} digest must be {length} bytes")
    signature = _b64decode(signature_b64, "signature.content")
    key = _load_cert_key(cert_b64, "signature.publicKey.content")
    try:
        key.verify(signature, digest, ec.ECDSA(Prehashed(hash_algorithm)))
    except InvalidSignature as exc:
        raise EntryError("signature verification failed for the artifact digest") from exc
    return {
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": algorithm, "value": value.lower()}},
            "signature": {"content": signature_b64, "publicKey": {"content": cert_b64}},
        },
    }


def _pae(payload_type: str, payload: bytes) -> bytes:
    return b"DSSEv1 %d %s %d %s" % (
        len(payload_type.encode()),
        payload_type.encode(),
        len(payload),
        payload,
    )


def _canonical_dsse(spec: object) -> dict[str, Any]:
    envelope_text = _get(spec, "proposedContent", "envelope")
    verifiers = _get(spec, "proposedContent", "verifiers")
    if not isinstance(envelope_text, str):
        raise EntryError("proposedContent.envelope must be a JSON string")
    if not isinstance(verifiers, list) or not verifiers:
        raise EntryError("proposedContent.verifiers must list at least one verifier")
    keys = [
        (_str(v, "proposedContent.verifiers"), _load_cert_key(v, "proposedContent.verifiers"))
        for v in verifiers
    ]
    try:
        envelope = json.loads(envelope_text)
    except json.JSONDecodeError as exc:
        raise EntryError("envelope is not JSON") from exc
    payload = _b64decode(_get(envelope, "payload"), "envelope.payload")
    payload_type = _get(envelope, "payloadType")
    raw_signatures = _get(envelope, "signatures")
    if not isinstance(payload_type, str) or not isinstance(raw_signatures, list):
        raise EntryError("envelope needs payloadType and signatures")
    if not raw_signatures:
        raise EntryError("envelope has no signatures")
    pae = _pae(payload_type, payload)
    signatures: list[dict[str, str]] = []
    for raw in raw_signatures:
        sig_b64 = _str(_get(raw, "sig"), "envelope.signatures[].sig")
        sig = _b64decode(sig_b64, "envelope.signatures[].sig")
        for verifier_b64, key in keys:
            try:
                key.verify(sig, pae, ec.ECDSA(hashes.SHA256()))
            except InvalidSignature:
                continue
            signatures.append({"signature": sig_b64, "verifier": verifier_b64})
            break
        else:
            raise EntryError("a DSSE signature does not verify with any of the verifiers")
    return {
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {
                "algorithm": "sha256",
                "value": hashlib.sha256(envelope_text.encode()).hexdigest(),
            },
            "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
            "signatures": signatures,
        },
    }


def canonical_body(proposed: object) -> bytes:
    """The canonical entry Rekor stores for a proposed entry, after checking its signature."""
    # fidelity: sig.rekor1-entry
    kind = _get(proposed, "kind")
    version = _get(proposed, "apiVersion")
    spec = _get(proposed, "spec")
    if version != "0.0.1":
        raise EntryError(f"unsupported apiVersion {version!r} for kind {kind!r}")
    if kind == "hashedrekord":
        body = _canonical_hashedrekord(spec)
    elif kind == "dsse":
        body = _canonical_dsse(spec)
    else:
        raise EntryError(f"unsupported entry kind {kind!r} (stand-in: hashedrekord, dsse)")
    return rfc8785.dumps(body)


@dataclass
class _Entry:
    body: bytes
    integrated_time: int
    index: int


@dataclass
class TransparencyLog:
    """The log's state and keys. All public methods are thread-safe."""

    key: ec.EllipticCurvePrivateKey
    origin: str
    tree_id: int = 1193050959916656506
    _tree: MerkleTree = field(default_factory=MerkleTree)
    _entries: list[_Entry] = field(default_factory=list)
    _by_uuid: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def generate(cls, *, origin: str) -> TransparencyLog:
        return cls(key=ec.generate_private_key(ec.SECP256R1()), origin=origin)

    @property
    def log_id(self) -> bytes:
        return key_id(self.key.public_key())

    @property
    def size(self) -> int:
        with self._lock:
            return len(self._tree)

    def _sign(self, data: bytes) -> bytes:
        return self.key.sign(data, ec.ECDSA(hashes.SHA256()))

    def _checkpoint(self, size: int, root: bytes) -> str:
        # fidelity: sig.rekor1-checkpoint
        note = (
            f"{self.origin} - {self.tree_id}\n{size}\n{base64.b64encode(root).decode()}\n"
            f"Timestamp: {time.time_ns()}\n"
        )
        signature = self.log_id[:4] + self._sign(note.encode())
        name = self.origin.split()[0]
        return f"{note}\n\u2014 {name} {base64.b64encode(signature).decode()}\n"

    def _uuid(self, body: bytes) -> str:
        return f"{self.tree_id:016x}{leaf_hash(body).hex()}"

    def _response(self, entry: _Entry, size: int) -> dict[str, Any]:
        """Rekor's ``{uuid: LogEntry}`` for ``entry``, proved against the first ``size`` leaves."""
        # fidelity: sig.rekor1-set
        body_b64 = base64.b64encode(entry.body).decode()
        log_id = self.log_id.hex()
        set_payload = rfc8785.dumps(
            {
                "body": body_b64,
                "integratedTime": entry.integrated_time,
                "logID": log_id,
                "logIndex": entry.index,
            }
        )
        root = self._tree.root(size)
        return {
            self._uuid(entry.body): {
                "body": body_b64,
                "integratedTime": entry.integrated_time,
                "logID": log_id,
                "logIndex": entry.index,
                "verification": {
                    "signedEntryTimestamp": base64.b64encode(self._sign(set_payload)).decode(),
                    "inclusionProof": {
                        "logIndex": entry.index,
                        "treeSize": size,
                        "rootHash": root.hex(),
                        "hashes": [h.hex() for h in self._tree.inclusion_proof(entry.index, size)],
                        "checkpoint": self._checkpoint(size, root),
                    },
                },
            }
        }

    def submit(self, proposed: object) -> tuple[int, dict[str, Any]]:
        """Integrate a proposed entry: ``(201, response)``, or ``(409, existing)`` if logged.

        Raises ``EntryError`` for entries Rekor would refuse with 400.
        """
        body = canonical_body(proposed)
        uuid = self._uuid(body)
        with self._lock:
            if uuid in self._by_uuid:
                existing = self._entries[self._by_uuid[uuid]]
                return 409, self._response(existing, len(self._tree))
            entry = _Entry(body=body, integrated_time=int(time.time()), index=len(self._tree))
            self._tree.append(body)
            self._entries.append(entry)
            self._by_uuid[uuid] = entry.index
            return 201, self._response(entry, len(self._tree))

    def get(self, *, uuid: str | None = None, index: int | None = None) -> dict[str, Any] | None:
        """An entry by UUID (with or without the tree-id prefix) or index, proved now."""
        with self._lock:
            if uuid is not None:
                found = self._by_uuid.get(uuid)
                if found is None:
                    found = self._by_uuid.get(f"{self.tree_id:016x}{uuid}")
                if found is None:
                    return None
                index = found
            if index is None or not 0 <= index < len(self._entries):
                return None
            return self._response(self._entries[index], len(self._tree))

    def info(self) -> dict[str, Any]:
        """``GET /api/v1/log``."""
        with self._lock:
            size = len(self._tree)
            root = self._tree.root(size)
            return {
                "rootHash": root.hex(),
                "treeSize": size,
                "signedTreeHead": self._checkpoint(size, root),
                "treeID": str(self.tree_id),
                "inactiveShards": [],
            }
