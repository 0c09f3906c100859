"""PyPI's upload rules that pypiserver does not have: wheel platform tags, PEP 740 checks.

Example::

    valid_platform_tag("manylinux_2_28_x86_64")   # True
    valid_platform_tag("linux_x86_64")            # False

The platform rule follows warehouse's ``is_valid_platform_tag``
(``warehouse/utils/wheel.py``, pypi/warehouse@bb94c8b; it replaced forklift/legacy.py's
``_valid_platform_tag``), whose patterns are anchored at both ends: a static list (``any``, ``win*``, the legacy manylinux
tags, ``linux_armv6l``/``linux_armv7l``), macOS 10.x and ``N_0`` releases for known
architectures, PEP 600 manylinux and PEP 656 musllinux for known architectures, iOS,
Android and Pyodide patterns. The attestation rule follows
``warehouse/attestations/services.py`` with pypi-attestations: at most two, no duplicate
predicate type, each verified against the trusted publisher and naming the uploaded file
and its sha256.
"""

from __future__ import annotations

import json
import re

from pydantic import TypeAdapter, ValidationError
from pypi_attestations import Attestation, AttestationType, GitHubPublisher
from sigstore.errors import VerificationError
from sigstore.verify import Verifier

__all__ = ["AttestationRefused", "check_attestations", "valid_platform_tag"]

_ALLOWED = frozenset(
    {
        "any",
        "win32",
        "win_arm64",
        "win_amd64",
        "win_ia64",
        "manylinux1_x86_64",
        "manylinux1_i686",
        "manylinux2010_x86_64",
        "manylinux2010_i686",
        "manylinux2014_x86_64",
        "manylinux2014_i686",
        "manylinux2014_aarch64",
        "manylinux2014_armv7l",
        "manylinux2014_ppc64",
        "manylinux2014_ppc64le",
        "manylinux2014_s390x",
        "linux_armv6l",
        "linux_armv7l",
    }
)
_MACOSX = re.compile(r"macosx_(?P<major>\d+)_(?P<minor>\d+)_(?P<arch>.*)")
_MACOSX_ARCHES = frozenset(
    {
        "ppc",
        "ppc64",
        "i386",
        "x86_64",
        "arm64",
        "intel",
        "fat",
        "fat3",
        "fat64",
        "universal",
        "universal2",
    }
)
_MACOSX_MAJORS = frozenset({"11", "12", "13", "14", "15", "26"})
_IOS = re.compile(r"ios_(\d+)_(\d+)_(?P<arch>.*)_(iphoneos|iphonesimulator)")
_ANDROID = re.compile(r"android_(\d+)_(?P<arch>.*)")
_LINUX = re.compile(r"(?P<libc>(many|musl))linux_(\d+)_(\d+)_(?P<arch>.*)")
_JOINT = frozenset({"x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x", "riscv64"})
_PYEMSCRIPTEN = re.compile(r"pyemscripten_(?P<major>\d+)_(?P<minor>\d+)_wasm32")


def valid_platform_tag(platform: str) -> bool:
    """Whether PyPI accepts a wheel with this platform tag."""
    # fidelity: pypi.platform-tag
    if platform in _ALLOWED:
        return True
    mac = _MACOSX.fullmatch(platform)
    if (
        mac
        and mac["arch"] in _MACOSX_ARCHES
        and (mac["major"] == "10" or (mac["major"] in _MACOSX_MAJORS and mac["minor"] == "0"))
    ):
        return True
    linux = _LINUX.fullmatch(platform)
    if linux:
        return linux["arch"] in (_JOINT | {"ppc64"} if linux["libc"] == "many" else _JOINT)
    ios = _IOS.fullmatch(platform)
    if ios and ios["arch"] in {"arm64", "x86_64"}:
        return True
    android = _ANDROID.fullmatch(platform)
    if android and android["arch"] in {"armeabi_v7a", "arm64_v8a", "x86", "x86_64"}:
        return True
    return bool(_PYEMSCRIPTEN.fullmatch(platform))


class AttestationRefused(Exception):
    """What PyPI answers as ``Invalid attestations supplied during upload: …``."""


def check_attestations(
    raw: str,
    *,
    filename: str,
    sha256: str,
    publisher: GitHubPublisher,
    verifier: Verifier,
) -> None:
    """The ``attestations`` form field, checked as PyPI checks it for this file."""
    # fidelity: pypi.attestations-verified
    try:
        attestations = TypeAdapter(list[Attestation]).validate_json(raw)
    except ValidationError as exc:
        raise AttestationRefused(f"Malformed attestations: {exc}") from exc
    if not attestations:
        raise AttestationRefused(
            "Malformed attestations: an empty attestation set is not permitted"
        )
    if len(attestations) > 2:
        raise AttestationRefused("A maximum of 2 attestations per file are supported")
    seen: set[str] = set()
    for attestation in attestations:
        # Attestation.verify() pins Sigstore's production (or staging) trust root; this is
        # its own check with the stand-in's root: the publisher's policy, then the subject.
        try:
            kind, payload = verifier.verify_dsse(attestation.to_bundle(), publisher._as_policy())
        except VerificationError as exc:
            raise AttestationRefused(
                f"Could not verify the uploaded artifact using the included attestation: {exc}"
            ) from exc
        statement = json.loads(payload) if kind == "application/vnd.in-toto+json" else {}
        subjects = statement.get("subject") or []
        if len(subjects) != 1:
            raise AttestationRefused(
                "Could not verify the uploaded artifact using the included attestation: "
                "too many subjects in statement (must be exactly one)"
            )
        subject = subjects[0]
        if subject.get("name") != filename:
            raise AttestationRefused(
                "Could not verify the uploaded artifact using the included attestation: "
                f"subject does not match distribution name: {subject.get('name')} != {filename}"
            )
        if (subject.get("digest") or {}).get("sha256") != sha256:
            raise AttestationRefused(
                "Could not verify the uploaded artifact using the included attestation: "
                "subject does not match distribution digest"
            )
        predicate = str(statement.get("predicateType"))
        try:
            AttestationType(predicate)
        except ValueError as exc:
            raise AttestationRefused(
                f"Attestation with unsupported predicate type: {predicate}"
            ) from exc
        if predicate in seen:
            raise AttestationRefused(
                f"Multiple attestations for the same predicate type: {predicate}"
            )
        seen.add(predicate)
