"""The PEP 740 attestation that travels with each dist, checked before any upload.

Example::

    path = attestation_for(dist, Path("signatures"))   # signatures/<dist>.publish.attestation
    check_attestation(path, dist, job=JobIdentity.from_claims(claims))

The index verifies each attestation (PyPI: the Sigstore signature, for the project's
trusted publisher, naming the uploaded file and its sha256) and refuses the upload when one
fails — so a bad one found halfway would leave a release half-uploaded. Checked here first,
for every dist, without the network: the file is a PEP 740 attestation (pypi-attestations'
model); its statement is a PyPI publish attestation with exactly one subject naming this
dist's file name and sha256; and, when the job's OIDC claims are known (trusted
publishing), its certificate was issued to this repository's same workflow file, which is
what the index's trusted publisher is matched on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier
from pydantic import ValidationError
from pypi_attestations import Attestation

from release_actions.dists import DistFile
from release_actions.pypi.errors import AttestationError

SUFFIX = ".publish.attestation"
PUBLISH_V1 = "https://docs.pypi.org/attestations/publish/v1"
GITHUB = "https://github.com"
#: Fulcio's certificate extensions (github.com/sigstore/fulcio docs/oid-info.md).
_ISSUER_V2 = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
_SOURCE_REPOSITORY_URI = ObjectIdentifier("1.3.6.1.4.1.57264.1.12")
_BUILD_CONFIG_URI = ObjectIdentifier("1.3.6.1.4.1.57264.1.18")

RESIGN = "run the sign step on exactly these files (it writes `<dist>.publish.attestation`)"


def attestation_for(dist: DistFile, folder: Path) -> Path:
    return folder / f"{dist.filename}{SUFFIX}"


@dataclass(frozen=True)
class JobIdentity:
    """What a GitHub job's OIDC token says about it: repository and workflow file."""

    issuer: str
    repository: str
    #: ``owner/repo/.github/workflows/release.yml`` (``job_workflow_ref`` without ``@ref``).
    workflow: str

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> JobIdentity | None:
        ref, repository, issuer = (
            claims.get("job_workflow_ref"),
            claims.get("repository"),
            claims.get("iss"),
        )
        if not (isinstance(ref, str) and isinstance(repository, str) and isinstance(issuer, str)):
            return None
        return cls(issuer=issuer, repository=repository, workflow=ref.split("@", 1)[0])


def _utf8_extension(cert: x509.Certificate, oid: ObjectIdentifier) -> str | None:
    """A Fulcio extension's value (a DER UTF8String), or None when absent."""
    try:
        raw = cert.extensions.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound:
        return None
    der = raw.public_bytes()
    if len(der) < 2 or der[0] != 0x0C:
        return None
    length, offset = der[1], 2
    if length & 0x80:
        count = length & 0x7F
        length, offset = int.from_bytes(der[2 : 2 + count], "big"), 2 + count
    return der[offset : offset + length].decode("utf-8", "replace")


def check_attestation(path: Path, dist: DistFile, *, job: JobIdentity | None = None) -> None:
    """Refuse an attestation the index would refuse for ``dist`` (see the module docstring)."""
    if not path.is_file():
        raise AttestationError(
            f"{dist.filename} has no attestation {path.name} in {path.parent}",
            fix=f"{RESIGN}; or point `attestations-dir` at the sign step's `output-dir`; "
            "or set `attestations: false`",
            file=str(dist.path),
        )
    try:
        attestation = Attestation.model_validate_json(path.read_bytes())
        statement = json.loads(attestation.envelope.statement)
        cert = x509.load_der_x509_certificate(attestation.verification_material.certificate)
    except (OSError, ValueError, ValidationError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise AttestationError(
            f"{path.name} is not a PEP 740 attestation ({first})",
            fix=RESIGN,
            file=str(path),
        ) from exc
    subjects = statement.get("subject") if isinstance(statement, dict) else None
    subject = subjects[0] if isinstance(subjects, list) and len(subjects) == 1 else {}
    subject = subject if isinstance(subject, dict) else {}
    digest = (subject.get("digest") or {}).get("sha256")
    predicate = statement.get("predicateType") if isinstance(statement, dict) else None
    if predicate != PUBLISH_V1 or subject.get("name") != dist.filename or digest != dist.sha256:
        raise AttestationError(
            f"{path.name} does not attest {dist.filename} with sha256 {dist.sha256} (it names "
            f"{subject.get('name')!r} with sha256 {digest!r}, type {predicate!r})",
            fix=f"{RESIGN}; never rebuild or edit dists after signing them",
            file=str(path),
        )
    if job is not None:
        _check_identity(path, cert, job)


def _check_identity(path: Path, cert: x509.Certificate, job: JobIdentity) -> None:
    issuer = _utf8_extension(cert, _ISSUER_V2)
    repository = _utf8_extension(cert, _SOURCE_REPOSITORY_URI)
    build = (_utf8_extension(cert, _BUILD_CONFIG_URI) or "").split("@", 1)[0]
    expected_build = f"{GITHUB}/{job.workflow}"
    same_repository = (repository or "").lower() == f"{GITHUB}/{job.repository}".lower()
    if issuer != job.issuer or not same_repository or build != expected_build:
        raise AttestationError(
            f"{path.name} was signed by {build or repository or 'an unknown identity'} "
            f"(issuer {issuer}), but this job is {expected_build} (issuer {job.issuer}): the "
            "index verifies attestations against the trusted publisher, i.e. this workflow",
            fix="sign in a job of the same workflow file that publishes (the trusted "
            "publisher's), or set `attestations: false`",
            file=str(path),
        )
