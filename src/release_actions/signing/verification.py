"""The one verification path: files against bundles, provenance, PEP 740 attestations.

``sign`` runs it on what it has just written (verify-after-sign); ``verify`` runs it on
downloaded release assets. Both give sigstore's own ``Verifier`` the trust root and an
:class:`~release_actions.signing.policy.ExpectedIdentity`.

Example::

    verifier = make_verifier(load_trust_config(None, offline=True))
    expected = ExpectedIdentity.for_github(repository="octo/example")
    verified = verify_files(files, bundle_dir=Path("signatures"), verifier=verifier,
                            expected=expected)
    verify_provenance(Path("signatures/example-1.0.intoto.jsonl"), verified,
                      verifier=verifier, expected=expected)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypi_attestations import Attestation
from sigstore.errors import Error as SigstoreError
from sigstore.hashes import Hashed
from sigstore.models import Bundle, InvalidBundle
from sigstore.verify import Verifier
from sigstore_models.common.v1 import HashAlgorithm

from release_actions.dists import sha256_file
from release_actions.signing.errors import VerificationFailed
from release_actions.signing.policy import ExpectedIdentity, certificate_sans
from release_actions.signing.provenance import PAYLOAD_TYPE, SLSA_PROVENANCE_V1, STATEMENT_TYPE

#: Bundle names looked for next to (or in the bundle folder of) each file, in order.
BUNDLE_SUFFIXES = (".sigstore.json", ".sigstore")
PYPI_PUBLISH_V1 = "https://docs.pypi.org/attestations/publish/v1"


@dataclass(frozen=True)
class VerifiedFile:
    path: Path
    sha256: str
    bundle: Path
    san: str
    log_index: int | None
    integrated_time: int | None


def find_bundle(path: Path, bundle_dir: Path) -> Path:
    """``<bundle_dir>/<name>.sigstore.json`` (or the older ``.sigstore``)."""
    for suffix in BUNDLE_SUFFIXES:
        candidate = bundle_dir / f"{path.name}{suffix}"
        if candidate.is_file():
            return candidate
    raise VerificationFailed(
        f"no Sigstore bundle for {path.name}: looked for {bundle_dir / (path.name + BUNDLE_SUFFIXES[0])}",
        fix="download the `.sigstore.json` files with the release assets, or point `bundle-dir` "
        "at the folder holding them",
        file=str(path),
    )


def read_bundle(path: Path) -> Bundle:
    """A bundle file (the first non-empty line, for ``.jsonl``); errors name the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise VerificationFailed(
            f"cannot read bundle {path}: {exc}", fix="download it again", file=str(path)
        ) from exc
    return parse_bundle(path.name, text, file=path)


def parse_bundle(name: str, text: str, *, file: Path | None = None) -> Bundle:
    """The bundle whose JSON is ``text`` (a ``.jsonl``'s first non-empty line)."""
    if name.endswith(".jsonl"):
        text = next((line for line in text.splitlines() if line.strip()), "")
    try:
        return Bundle.from_json(text)
    except Exception as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise VerificationFailed(
            f"{name} is not a Sigstore bundle: {detail}",
            fix="download it again; a bundle is the JSON that `sign` (or `sigstore sign`) wrote",
            file=str(file or name),
        ) from exc


def log_entry(bundle: Bundle | str) -> tuple[int | None, int | None]:
    """Rekor ``(logIndex, integratedTime)`` from the bundle's public JSON form (or that
    JSON itself, when the caller has it).

    A Rekor v2 entry has no integrated time (``"0"``; its time is the RFC 3161
    timestamp's): ``None`` then.
    """
    data: dict[str, Any] = json.loads(bundle if isinstance(bundle, str) else bundle.to_json())
    entries = data.get("verificationMaterial", {}).get("tlogEntries") or [{}]
    index, when = entries[0].get("logIndex"), entries[0].get("integratedTime")
    integrated = int(when) if when is not None else 0
    return (int(index) if index is not None else None, integrated or None)


def _failure(
    what: str, exc: Exception, expected: ExpectedIdentity, *, file: Path
) -> VerificationFailed:
    reason = str(exc) or type(exc).__name__
    lowered = reason.lower()
    if "verified time" in lowered or "timestamp" in lowered:
        fix = (
            "the bundle's signing time cannot be established: its RFC 3161 timestamp comes "
            "from a timestamp authority the trust configuration does not list, and a Rekor v2 "
            "entry carries no other time. Check `trust-config` names the instance that signed "
            "it (its trusted root lists the timestamp authority)"
        )
    elif any(word in lowered for word in ("chain", "root", "inclusion", "checkpoint", "entry")):
        fix = (
            "it was not signed by the Sigstore instance in the trust configuration: check "
            "`trust-config` (empty = public-good production)"
        )
    elif "digest" in lowered or ("signature" in lowered and "invalid" in lowered):
        fix = (
            "the file is not the one that was signed (changed, truncated or replaced): download "
            "or rebuild it, and never edit files after signing"
        )
    elif "san" in lowered or "does not match" in lowered or "extension" in lowered:
        fix = (
            f"it was signed by another identity than {expected.describe()}: check `repository`, "
            "`workflow`, `ref` and `issuer` name the workflow that made the release"
        )
    else:
        fix = "check the file, its bundle and the expected identity belong together"
    return VerificationFailed(f"{what} does not verify: {reason}", fix=fix, file=str(file))


def verify_file(
    path: Path, bundle_path: Path, *, verifier: Verifier, expected: ExpectedIdentity
) -> VerifiedFile:
    """One file against one bundle: signature, certificate chain, log entry, identity."""
    return verify_digest(
        path.name,
        sha256_file(path),
        read_bundle(bundle_path),
        verifier=verifier,
        expected=expected,
        path=path,
        bundle_path=bundle_path,
    )


def verify_digest(
    name: str,
    sha256: str,
    bundle: Bundle,
    *,
    verifier: Verifier,
    expected: ExpectedIdentity,
    path: Path | None = None,
    bundle_path: Path | None = None,
) -> VerifiedFile:
    """A file known by its sha256 (a release asset's digest) against its bundle."""
    hashed = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(sha256))
    where = Path(name) if path is None else path
    bundle_name = bundle_path.name if bundle_path is not None else f"{name}.sigstore.json"
    try:
        verifier.verify_artifact(hashed, bundle, expected.policy())
    except (SigstoreError, ValueError) as exc:
        raise _failure(f"{name} (bundle {bundle_name})", exc, expected, file=where) from exc
    index, when = log_entry(bundle)
    sans = certificate_sans(bundle.signing_certificate)
    return VerifiedFile(
        where, sha256, bundle_path or Path(bundle_name), sans[0] if sans else "", index, when
    )


def verify_files(
    files: Sequence[Path],
    *,
    bundle_dir: Path,
    verifier: Verifier,
    expected: ExpectedIdentity,
    concurrency: int = 8,
) -> list[VerifiedFile]:
    """Every file against its bundle in ``bundle_dir``; the first failure (in order) raises."""
    pairs = [(path, find_bundle(path, bundle_dir)) for path in files]
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        futures = [
            pool.submit(verify_file, path, bundle, verifier=verifier, expected=expected)
            for path, bundle in pairs
        ]
        return [future.result() for future in futures]


def _dsse_statement(
    bundle: Bundle, *, verifier: Verifier, expected: ExpectedIdentity, what: str, file: Path
) -> dict[str, Any]:

    try:
        payload_type, payload = verifier.verify_dsse(bundle, expected.policy())
    except (SigstoreError, ValueError) as exc:
        raise _failure(what, exc, expected, file=file) from exc
    if payload_type != PAYLOAD_TYPE:
        raise VerificationFailed(
            f"{what} carries {payload_type}, not an in-toto statement",
            fix="pass the `.intoto.jsonl` file that `sign` wrote",
            file=str(file),
        )
    try:
        statement = json.loads(payload)
    except ValueError as exc:
        raise VerificationFailed(
            f"{what}'s statement is not JSON", fix="download it again", file=str(file)
        ) from exc
    if not isinstance(statement, dict) or statement.get("_type") != STATEMENT_TYPE:
        raise VerificationFailed(
            f"{what} is not an in-toto Statement v1", fix="download it again", file=str(file)
        )
    return statement


def _subject_digests(statement: dict[str, Any]) -> dict[str, str]:
    """sha256 → subject name."""
    found: dict[str, str] = {}
    for subject in statement.get("subject") or []:
        if isinstance(subject, dict):
            digest = (subject.get("digest") or {}).get("sha256")
            if isinstance(digest, str):
                found[digest.lower()] = str(subject.get("name", ""))
    return found


def verify_provenance(
    path: Path,
    files: Sequence[VerifiedFile] | Sequence[tuple[Path, str]],
    *,
    verifier: Verifier,
    expected: ExpectedIdentity,
) -> dict[str, Any]:
    """The provenance verifies for ``expected`` and lists every file's sha256 as a subject."""
    statement = _dsse_statement(
        read_bundle(path), verifier=verifier, expected=expected, what=path.name, file=path
    )
    if statement.get("predicateType") != SLSA_PROVENANCE_V1:
        raise VerificationFailed(
            f"{path.name} is not SLSA v1 provenance (predicateType {statement.get('predicateType')!r})",
            fix="pass the `.intoto.jsonl` file that `sign` wrote",
            file=str(path),
        )
    subjects = _subject_digests(statement)
    for item in files:
        file_path, digest = (item.path, item.sha256) if isinstance(item, VerifiedFile) else item
        if digest.lower() not in subjects:
            raise VerificationFailed(
                f"{file_path.name} (sha256 {digest}) is not among the subjects of {path.name}",
                fix="the provenance describes other files: use the provenance of this release, "
                "and check the file was not rebuilt or changed after signing",
                file=str(file_path),
            )
    return statement


def verify_attestation(
    path: Path, dist: Path, digest: str, *, verifier: Verifier, expected: ExpectedIdentity
) -> None:
    """A PEP 740 publish attestation: verifies for ``expected`` and names ``dist``'s sha256."""

    try:
        attestation = Attestation.model_validate_json(path.read_bytes())
        bundle = attestation.to_bundle()
    except InvalidBundle as exc:
        # pypi-attestations keeps the log entry but no timestamps: a Rekor v2 entry (no
        # inclusion promise) leaves an attestation nothing can verify, PyPI included.
        raise VerificationFailed(
            f"{path.name} holds a transparency-log entry without an inclusion promise (a Rekor "
            f"v2 entry), which a PEP 740 attestation cannot be verified with: {exc}",
            fix="make the attestations with a signing config that lists a Rekor v1 log (`sign` "
            "puts them there by itself when the config lists one), or set `attestations: "
            "false`",
            file=str(path),
        ) from exc
    except Exception as exc:
        raise VerificationFailed(
            f"{path.name} is not a PEP 740 attestation: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
            fix="sign again",
            file=str(path),
        ) from exc
    statement = _dsse_statement(
        bundle, verifier=verifier, expected=expected, what=path.name, file=path
    )
    subjects = statement.get("subject") or [{}]
    if (
        statement.get("predicateType") != PYPI_PUBLISH_V1
        or len(subjects) != 1
        or subjects[0].get("name") != dist.name
        or (subjects[0].get("digest") or {}).get("sha256") != digest
    ):
        raise VerificationFailed(
            f"{path.name} does not attest {dist.name} (sha256 {digest})",
            fix="sign again; never edit dists after signing",
            file=str(path),
        )
