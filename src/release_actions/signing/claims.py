"""What a signature file claims about other files: which file, which bytes (sha256).

A release's consistency is a matter of these claims agreeing with the files: a Sigstore
bundle ``X.sigstore.json`` signs the digest of X, a PEP 740 attestation
``X.publish.attestation`` names X and its digest, a provenance ``*.intoto.jsonl`` lists
subjects by name and digest. Reading a claim verifies nothing (that is
:mod:`~release_actions.signing.verification`'s job): it only says what the file states.

Example::

    for claim in claims_of("pkg-1.0.tar.gz.sigstore.json", data):
        print(claim.subject, claim.sha256, claim.kind)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError
from pypi_attestations import Attestation
from sigstore_models.bundle.v1 import Bundle as BundleModel

ClaimKind = Literal["bundle", "attestation", "provenance"]

BUNDLE_SUFFIXES = (".sigstore.json", ".sigstore")
ATTESTATION_SUFFIX = ".publish.attestation"
PROVENANCE_SUFFIX = ".intoto.jsonl"


@dataclass(frozen=True)
class Claim:
    """``source`` says that ``subject`` has the sha256 ``sha256``."""

    source: str
    kind: ClaimKind
    subject: str
    sha256: str


class UnreadableClaim(ValueError):
    """A signature file that does not parse as what its name says it is."""


def is_claim_file(name: str) -> bool:
    """Whether ``name`` is a signature file (bundle, attestation or provenance)."""
    return name.endswith((*BUNDLE_SUFFIXES, ATTESTATION_SUFFIX, PROVENANCE_SUFFIX))


def claims_of(name: str, data: bytes) -> list[Claim]:
    """What the signature file ``name`` (with content ``data``) claims; [] for other files.

    Raises :class:`UnreadableClaim` when the file does not parse.
    """
    try:
        if name.endswith(PROVENANCE_SUFFIX):
            return _provenance(name, data)
        if name.endswith(ATTESTATION_SUFFIX):
            return _attestation(name, data)
        suffix = next((s for s in BUNDLE_SUFFIXES if name.endswith(s)), None)
        if suffix is not None:
            return _bundle(name, data, subject=name.removesuffix(suffix))
    except (ValueError, KeyError, TypeError, ValidationError) as exc:
        raise UnreadableClaim(f"{name} is not a readable signature file: {exc}") from exc
    return []


def _bundle(name: str, data: bytes, *, subject: str) -> list[Claim]:
    bundle = BundleModel.from_json(data.decode("utf-8"))
    if bundle.message_signature is None:
        # A DSSE bundle signs a statement, whose subjects are the claims.
        return _statement_claims(name, "bundle", _payload(bundle))
    digest = bundle.message_signature.message_digest
    if digest is None or digest.algorithm.value != "SHA2_256":
        raise ValueError("the bundle signs no sha256 digest")
    return [Claim(name, "bundle", subject, digest.digest.hex())]


def _attestation(name: str, data: bytes) -> list[Claim]:
    attestation = Attestation.model_validate_json(data)
    return _statement_claims(name, "attestation", json.loads(attestation.envelope.statement))


def _provenance(name: str, data: bytes) -> list[Claim]:
    line = next((ln for ln in data.decode("utf-8").splitlines() if ln.strip()), "")
    return _statement_claims(name, "provenance", _payload(BundleModel.from_json(line)))


def _payload(bundle: BundleModel) -> dict[str, Any]:
    if bundle.dsse_envelope is None:
        raise ValueError("the bundle holds no DSSE envelope")
    statement = json.loads(bundle.dsse_envelope.payload)
    if not isinstance(statement, dict):
        raise TypeError("the DSSE payload is not an in-toto statement")
    return statement


def _statement_claims(name: str, kind: ClaimKind, statement: dict[str, Any]) -> list[Claim]:
    claims = []
    for subject in statement.get("subject") or []:
        digest = (subject.get("digest") or {}).get("sha256")
        if isinstance(digest, str) and isinstance(subject.get("name"), str):
            claims.append(Claim(name, kind, subject["name"], digest.lower()))
    if not claims:
        raise ValueError("the statement names no subject with a sha256")
    return claims
