"""Check built distributions the way PyPI and installers will see them, natively.

    >>> from pathlib import Path
    >>> problems = check_dists(
    ...     [Path("dist/example_pkg-1.2.3.tar.gz"), Path("dist/example_pkg-1.2.3-py3-none-any.whl")],
    ...     expected_version="1.2.3",
    ... )  # doctest: +SKIP
    >>> problems  # doctest: +SKIP
    []

Everything is read with ``packaging``, ``zipfile``/``tarfile`` and ``readme_renderer`` (the
renderer PyPI uses); nothing shells out to twine. Each finding is a :class:`Problem` naming
the file, what is wrong and how to fix it; an empty list means the dists are fine.
"""

from __future__ import annotations

import base64
import csv
import email.message
import hashlib
import io
import tarfile
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from packaging.metadata import InvalidMetadata, Metadata, parse_email
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from release_actions.dists import DistFile, InvalidDistName, Problem

with warnings.catch_warnings():  # readme_renderer.markdown warns when comrak is missing
    warnings.simplefilter("ignore")
    import readme_renderer.markdown
    import readme_renderer.rst
    import readme_renderer.txt

__all__ = ["Problem", "check_dists"]

_CHUNK = 1 << 20

#: Top-level names that end up in a wheel by accident (package discovery picking up
#: folders next to the real package) and then clash in every user's site-packages.
STRAY_TOP_LEVEL = frozenset(
    {
        "__init__",
        "benchmark",
        "benchmarks",
        "build",
        "conftest",
        "dist",
        "doc",
        "docs",
        "example",
        "examples",
        "setup",
        "src",
        "test",
        "tests",
    }
)

_SIGNATURE_FILES = ("RECORD.jws", "RECORD.p7s")
_WEAK_HASHES = frozenset({"md5", "sha1"})
_README_TYPES = ("text/plain", "text/x-rst", "text/markdown")
_MAX_LISTED = 10


@dataclass(frozen=True)
class _Identity:
    """Name and version as a dist's own metadata states them."""

    file: Path
    name: str
    version: str


def check_dists(dists: Sequence[Path], *, expected_version: str | None) -> list[Problem]:
    """Every problem found in ``dists`` (sdists ``.tar.gz``, wheels ``.whl``).

    Per file: canonical filename (PEP 625 for sdists, the binary distribution format for
    wheels), valid core metadata agreeing with the filename, README rendering as on PyPI;
    wheels: a consistent RECORD and no stray top-level packages; sdists: one top-level
    directory ``<name>-<version>/`` with PKG-INFO and pyproject.toml or setup.py, no
    absolute or ``..`` paths. Across files: one project name and one version, equal to
    ``expected_version`` when given (same version and same spelling).

    Raises :class:`ValueError` if ``expected_version`` is not a PEP 440 version.
    """
    expected = Version(expected_version) if expected_version is not None else None
    problems: list[Problem] = []
    identities: list[_Identity] = []
    sdists = [d for d in dists if d.name.endswith(".tar.gz")]
    if len(sdists) > 1:
        problems.append(
            Problem(
                sdists[1],
                f"More than one sdist: {', '.join(d.name for d in sdists)}.",
                "Upload a single sdist per release; remove the stale ones from the directory.",
            )
        )
    for dist in dists:
        found: list[Problem] = []
        if dist.name.endswith(".whl"):
            identity = _check_wheel(dist, found)
        elif dist.name.endswith(".tar.gz"):
            identity = _check_sdist(dist, found)
        elif dist.name.endswith((".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar", ".egg")):
            identity = None
            found.append(
                Problem(
                    dist,
                    f"{dist.name} is not an accepted distribution format: sdists must be "
                    ".tar.gz (PEP 625) and binary distributions wheels.",
                    "Build with a current backend through `python -m build` (or this "
                    "action), which produces .tar.gz sdists and .whl wheels.",
                )
            )
        else:
            identity = None
            found.append(
                Problem(
                    dist,
                    f"{dist.name} is neither an sdist (.tar.gz) nor a wheel (.whl).",
                    "Pass only distribution files.",
                )
            )
        problems.extend(found)
        if identity is not None:
            identities.append(identity)
            if expected is not None and expected_version is not None:
                problems.extend(_version_problems(identity, expected, expected_version))
    problems.extend(_agreement_problems(identities))
    return problems


# --------------------------------------------------------------------------- shared


def _version_problems(identity: _Identity, expected: Version, spelled: str) -> list[Problem]:
    try:
        version = Version(identity.version)
    except InvalidVersion:
        return []  # already reported as invalid metadata
    if version != expected:
        return [
            Problem(
                identity.file,
                f"Version {identity.version} in {identity.file.name}, expected {spelled}.",
                "Build from the commit the verified tag points to, and make the project's "
                "version (static, `__version__` or from the tag) say the same.",
            )
        ]
    if identity.version not in (spelled, str(expected)):
        return [
            Problem(
                identity.file,
                f"Version is spelled {identity.version!r} in {identity.file.name}, "
                f"expected exactly {spelled!r}.",
                f"Write the version in its canonical form ({version}) everywhere.",
            )
        ]
    return []


def _agreement_problems(identities: Sequence[_Identity]) -> list[Problem]:
    if not identities:
        return []
    first = identities[0]
    problems: list[Problem] = []
    for other in identities[1:]:
        if canonicalize_name(other.name) != canonicalize_name(first.name):
            problems.append(
                Problem(
                    other.file,
                    f"Project name {other.name!r} differs from {first.name!r} in "
                    f"{first.file.name}.",
                    "Release one project at a time; clear the output directory first.",
                )
            )
        if other.version != first.version:
            problems.append(
                Problem(
                    other.file,
                    f"Version {other.version} differs from {first.version} in {first.file.name}.",
                    "All dists of a release must carry one version; clear the output "
                    "directory and rebuild.",
                )
            )
    return problems


def _safe_member_name(name: str) -> bool:
    path = PurePosixPath(name)
    return not (name.startswith("/") or "\\" in name or ".." in path.parts or ":" in name)


def _listing(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_MAX_LISTED])
    more = len(names) - _MAX_LISTED
    return f"{shown} and {more} more" if more > 0 else shown


def _metadata_identity(
    dist: Path,
    data: bytes,
    *,
    source: str,
    file_name: str,
    file_version: Version,
    problems: list[Problem],
) -> _Identity | None:
    """Validate core metadata from ``source`` (METADATA or PKG-INFO) and compare it to
    the filename; check the README. Return what the metadata says."""
    fix = (
        "Fix the [project] table in pyproject.toml (or setup.cfg/setup.py) and rebuild; "
        "upgrading the build backend helps with outdated metadata."
    )
    try:
        Metadata.from_email(data, validate=True)
    except ExceptionGroup as group:
        problems.extend(
            Problem(dist, f"Invalid metadata in {source}: {exc}", fix) for exc in group.exceptions
        )
    except InvalidMetadata as exc:
        problems.append(Problem(dist, f"Invalid metadata in {source}: {exc}", fix))
    raw, _ = parse_email(data)
    name = raw.get("name")
    version = raw.get("version")
    if name is None or version is None:
        return None  # reported by validation
    if canonicalize_name(name) != canonicalize_name(file_name):
        problems.append(
            Problem(
                dist,
                f"{source} names the project {name!r} but the filename says {file_name!r}.",
                "Do not rename dists after building; rebuild them.",
            )
        )
    try:
        if Version(version) != file_version:
            problems.append(
                Problem(
                    dist,
                    f"{source} says version {version} but the filename says {file_version}.",
                    "Do not rename dists after building; rebuild them.",
                )
            )
    except InvalidVersion:
        pass  # reported by validation
    problems.extend(
        _readme_problems(dist, raw.get("description"), raw.get("description_content_type"))
    )
    return _Identity(dist, name, version)


def _readme_problems(
    dist: Path, description: str | None, content_type: str | None
) -> list[Problem]:
    """Render the long description as PyPI would; a missing one is allowed."""
    if description is None or not description.strip():
        return []
    header = email.message.Message()
    header["Content-Type"] = content_type or "text/x-rst"
    kind = header.get_content_type()
    variant = header.get_param("variant")
    fix_type = (
        "Set `readme` in [project] to a .md, .rst or .txt file (the content type follows "
        "the suffix), or set its `content-type` explicitly."
    )
    if kind not in _README_TYPES:
        return [
            Problem(
                dist,
                f"Description-Content-Type {content_type!r} is not one PyPI renders "
                f"({', '.join(_README_TYPES)}).",
                fix_type,
            )
        ]
    if kind == "text/x-rst":
        stream = io.StringIO()
        if readme_renderer.rst.render(description, stream=stream) is None:
            report = stream.getvalue().strip().splitlines()
            return [
                Problem(
                    dist,
                    "The README (reStructuredText) does not render on PyPI:\n"
                    + "\n".join(report[:20]),
                    "Fix the reported lines (`python -m readme_renderer README.rst` checks "
                    "locally), or declare the README's real content type.",
                )
            ]
    elif kind == "text/markdown":
        variant_name = variant if isinstance(variant, str) else "GFM"
        if variant_name not in ("GFM", "CommonMark"):
            return [
                Problem(
                    dist,
                    f"Markdown variant {variant_name!r} is unknown to PyPI (GFM or CommonMark).",
                    "Use `text/markdown; variant=GFM` or `variant=CommonMark`.",
                )
            ]
        # Any text is valid Markdown; the renderer needs the optional comrak package.
        renderers: dict[str, object] = getattr(readme_renderer.markdown, "variants", {})
        if renderers and readme_renderer.markdown.render(description, variant=variant_name) is None:
            return [
                Problem(
                    dist,
                    "The README (Markdown) renders to nothing on PyPI.",
                    "Check the README file's content.",
                )
            ]
    elif readme_renderer.txt.render(description) is None:
        return [Problem(dist, "The README (plain text) does not render.", fix_type)]
    return []


# --------------------------------------------------------------------------- wheels


def _parsed(dist: Path) -> DistFile | InvalidDistName:
    try:
        parsed = DistFile.parse(dist)
    except InvalidDistName as exc:
        return exc
    if parsed is None:  # pragma: no cover - callers pass .whl and .tar.gz names only
        raise ValueError(f"{dist.name} is not a dist")
    return parsed


def _check_wheel(dist: Path, problems: list[Problem]) -> _Identity | None:
    parsed = _parsed(dist)
    if isinstance(parsed, InvalidDistName):
        problems.append(
            Problem(
                dist,
                f"Invalid wheel filename: {parsed.__cause__}",
                "Do not rename wheels; the name is {name}-{version}(-{build})-{python tag}-"
                "{abi tag}-{platform tag}.whl as written by the build backend.",
            )
        )
        return None
    name, version = parsed.project, parsed.version
    name_part, version_part = dist.name.split("-")[:2]
    escaped = name.replace("-", "_")
    if name_part != escaped:
        problems.append(
            Problem(
                dist,
                f"The wheel filename spells the project {name_part!r}; the binary "
                f"distribution format requires the normalized {escaped!r}.",
                "Upgrade the build backend (old setuptools/wheel keep the original "
                "spelling) and rebuild.",
            )
        )
    if version_part != str(version):
        problems.append(
            Problem(
                dist,
                f"The wheel filename spells the version {version_part!r}; "
                f"the normalized form is {version!s}.",
                "Write the version in canonical form and rebuild.",
            )
        )
    try:
        archive = zipfile.ZipFile(dist)
    except (OSError, zipfile.BadZipFile) as exc:
        problems.append(Problem(dist, f"Not a readable zip archive: {exc}", "Rebuild the wheel."))
        return None
    with archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            problems.append(
                Problem(
                    dist,
                    f"The wheel repeats entries: {_listing(duplicates)}.",
                    "Rebuild the wheel with a current backend.",
                )
            )
        unsafe = [n for n in names if not _safe_member_name(n)]
        if unsafe:
            problems.append(
                Problem(
                    dist,
                    f"The wheel holds unsafe paths (absolute or with '..'): {_listing(unsafe)}.",
                    "Rebuild the wheel; never add files by absolute path.",
                )
            )
        dist_infos = sorted(
            {n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")}
        )
        if len(dist_infos) != 1:
            problems.append(
                Problem(
                    dist,
                    f"A wheel holds exactly one .dist-info directory; found {len(dist_infos)}"
                    + (f" ({', '.join(dist_infos)})" if dist_infos else "")
                    + ".",
                    "Rebuild the wheel from a clean tree (stale build/ folders leak in).",
                )
            )
            return None
        dist_info = dist_infos[0]
        info_name, _, info_version = dist_info.removesuffix(".dist-info").rpartition("-")
        if canonicalize_name(info_name) != name or not _same_version(info_version, version):
            problems.append(
                Problem(
                    dist,
                    f"The .dist-info directory {dist_info} does not match the filename "
                    f"({name_part}-{version_part}).",
                    "Do not rename wheels; rebuild them.",
                )
            )
        for required in ("METADATA", "WHEEL", "RECORD"):
            if f"{dist_info}/{required}" not in names:
                problems.append(
                    Problem(
                        dist,
                        f"The wheel lacks {dist_info}/{required}.",
                        "Rebuild the wheel with a current backend.",
                    )
                )
        identity = None
        if f"{dist_info}/METADATA" in names:
            identity = _metadata_identity(
                dist,
                archive.read(f"{dist_info}/METADATA"),
                source=f"{dist_info}/METADATA",
                file_name=name,
                file_version=version,
                problems=problems,
            )
        if f"{dist_info}/RECORD" in names:
            problems.extend(_record_problems(dist, archive, f"{dist_info}/RECORD"))
        own = {escaped, name_part.lower()}
        data_dir = dist_info.removesuffix(".dist-info") + ".data"
        problems.extend(_stray_problems(dist, names, own, {dist_info, data_dir}))
    return identity


def _record_problems(dist: Path, archive: zipfile.ZipFile, record: str) -> list[Problem]:
    fix = "Do not modify wheels after building; rebuild (RECORD is written by the backend)."
    problems: list[Problem] = []
    listed: dict[str, tuple[str, str]] = {}
    malformed: list[str] = []
    repeated: list[str] = []
    with archive.open(record) as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        try:
            rows = list(csv.reader(text))
        except (csv.Error, UnicodeDecodeError) as exc:
            return [Problem(dist, f"{record} is not valid UTF-8 CSV: {exc}", fix)]
    for row in rows:
        if not row:
            continue
        if len(row) != 3:
            malformed.append(",".join(row))
            continue
        path, digest, size = row
        if path in listed:
            repeated.append(path)
        listed[path] = (digest, size)
    if malformed:
        problems.append(
            Problem(dist, f"{record} has rows without 3 fields: {_listing(malformed)}.", fix)
        )
    if repeated:
        problems.append(Problem(dist, f"{record} lists files twice: {_listing(repeated)}.", fix))

    record_dir = record.rpartition("/")[0]
    exempt = {f"{record_dir}/{name}" for name in _SIGNATURE_FILES}
    unlisted: list[str] = []
    bad_hash: list[str] = []
    bad_size: list[str] = []
    weak: list[str] = []
    present: set[str] = set()
    for info in archive.infolist():
        if info.is_dir():
            continue
        present.add(info.filename)
        if info.filename in exempt:
            continue
        if info.filename == record:
            entry = listed.get(record)
            if entry is None:
                problems.append(Problem(dist, f"{record} does not list itself.", fix))
            elif entry != ("", ""):
                problems.append(
                    Problem(
                        dist, f"{record} lists itself with a hash or size; both must be empty.", fix
                    )
                )
            continue
        if info.filename not in listed:
            unlisted.append(info.filename)
            continue
        digest_field, size_field = listed[info.filename]
        algorithm, _, expected_digest = digest_field.partition("=")
        if algorithm in _WEAK_HASHES or algorithm not in hashlib.algorithms_guaranteed:
            weak.append(f"{info.filename} ({algorithm or 'no hash'})")
            continue
        actual_digest, actual_size = _member_digest(archive.open(info), algorithm)
        if actual_digest != expected_digest:
            bad_hash.append(info.filename)
        if size_field != str(actual_size):
            bad_size.append(info.filename)
    missing = sorted(set(listed) - present)
    for files, what in (
        (unlisted, "are in the wheel but not in RECORD"),
        (missing, "are in RECORD but not in the wheel"),
        (weak, "lack a sha256 (or stronger) hash in RECORD"),
        (bad_hash, "do not match their hash in RECORD"),
        (bad_size, "do not match their size in RECORD"),
    ):
        if files:
            problems.append(Problem(dist, f"{len(files)} file(s) {what}: {_listing(files)}.", fix))
    return problems


def _member_digest(handle: IO[bytes], algorithm: str) -> tuple[str, int]:
    """urlsafe-base64 (unpadded) digest and size of a zip member, streamed."""
    digest = hashlib.new(algorithm)
    size = 0
    with handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode("ascii"), size


def _stray_problems(
    dist: Path, names: Sequence[str], own: set[str], metadata_dirs: set[str]
) -> list[Problem]:
    stray: set[str] = set()
    for name in names:
        top = name.split("/")[0]
        if top in metadata_dirs or not top:
            continue
        module = top if "/" in name else top.split(".")[0]
        if module.lower() in STRAY_TOP_LEVEL and module.lower() not in own:
            stray.add(top)
    if not stray:
        return []
    return [
        Problem(
            dist,
            f"The wheel installs stray top-level names into site-packages: "
            f"{', '.join(sorted(stray))}. They clash with every other project doing the same.",
            "Limit the wheel to your package: setuptools `[tool.setuptools.packages.find]` "
            '(`where = ["src"]` or `include = ["yourpkg*"]`), hatchling '
            '`[tool.hatch.build.targets.wheel] packages = ["src/yourpkg"]`.',
        )
    ]


# --------------------------------------------------------------------------- sdists


def _check_sdist(dist: Path, problems: list[Problem]) -> _Identity | None:
    parsed = _parsed(dist)
    if isinstance(parsed, InvalidDistName):
        problems.append(
            Problem(
                dist,
                f"Invalid sdist filename: {parsed.__cause__}",
                "Do not rename sdists; PEP 625 names them {normalized_name}-{version}.tar.gz.",
            )
        )
        return None
    name, version = parsed.project, parsed.version
    stem = dist.name.removesuffix(".tar.gz")
    name_part, _, version_part = stem.rpartition("-")
    escaped = name.replace("-", "_")
    if name_part != escaped:
        problems.append(
            Problem(
                dist,
                f"The sdist filename spells the project {name_part!r}; PEP 625 requires the "
                f"normalized {escaped!r}.",
                "Upgrade the build backend (setuptools >= 69.3, hatchling >= 1.22, "
                "flit-core >= 3.10) and rebuild.",
            )
        )
    if version_part != str(version):
        problems.append(
            Problem(
                dist,
                f"The sdist filename spells the version {version_part!r}; "
                f"the normalized form is {version!s}.",
                "Write the version in canonical form and rebuild.",
            )
        )
    try:
        archive = tarfile.open(dist, "r:gz")  # noqa: SIM115 -- closed by the `with` below
    except (OSError, tarfile.TarError) as exc:
        problems.append(
            Problem(dist, f"Not a readable .tar.gz archive: {exc}", "Rebuild the sdist.")
        )
        return None
    with archive:
        try:
            members = archive.getmembers()
        except (OSError, tarfile.TarError, EOFError) as exc:
            problems.append(
                Problem(dist, f"Truncated or corrupt archive: {exc}", "Rebuild the sdist.")
            )
            return None
        by_name = {m.name: m for m in members}
        unsafe = [m.name for m in members if not _safe_member_name(m.name)]
        if unsafe:
            problems.append(
                Problem(
                    dist,
                    f"The sdist holds unsafe paths (absolute or with '..'): {_listing(unsafe)}.",
                    "Rebuild the sdist; never add files by absolute path.",
                )
            )
        tops = sorted(
            {PurePosixPath(m.name).parts[0] for m in members if PurePosixPath(m.name).parts}
        )
        if tops != [stem]:
            problems.append(
                Problem(
                    dist,
                    f"An sdist holds a single top-level directory {stem}/; found: "
                    f"{_listing(tops) or 'nothing'}.",
                    "Rebuild with a current backend; do not re-pack sdists by hand.",
                )
            )
        if stem in tops:
            root = stem
        elif len(tops) == 1:
            root = tops[0]  # reported above; still check what it holds
        else:
            return None
        links = [
            m.name
            for m in members
            if m.islnk() or m.isdev() or (m.issym() and not _safe_link(m.name, m.linkname))
        ]
        if links:
            problems.append(
                Problem(
                    dist,
                    f"The sdist holds hard links, devices or links leaving the archive: "
                    f"{_listing(links)}.",
                    "Keep only regular files (and symlinks within the project) in the sdist.",
                )
            )
        if not any(
            f"{root}/{build_file}" in by_name for build_file in ("pyproject.toml", "setup.py")
        ):
            problems.append(
                Problem(
                    dist,
                    f"The sdist has neither {root}/pyproject.toml nor {root}/setup.py, so it "
                    "cannot be built.",
                    "Include pyproject.toml in the sdist (current backends always do).",
                )
            )
        pkg_info = by_name.get(f"{root}/PKG-INFO")
        if pkg_info is None or not pkg_info.isreg():
            problems.append(
                Problem(
                    dist,
                    f"The sdist lacks {root}/PKG-INFO (its core metadata).",
                    "Build the sdist with a PEP 517 backend, not by archiving the tree.",
                )
            )
            return None
        handle = archive.extractfile(pkg_info)
        if handle is None:
            return None
        with handle:
            data = handle.read()
    return _metadata_identity(
        dist,
        data,
        source=f"{root}/PKG-INFO",
        file_name=name,
        file_version=version,
        problems=problems,
    )


def _same_version(text: str, version: Version) -> bool:
    try:
        return Version(text) == version
    except InvalidVersion:
        return False


def _safe_link(member: str, target: str) -> bool:
    if target.startswith("/"):
        return False
    depth = 0
    for part in (*PurePosixPath(member).parent.parts, *PurePosixPath(target).parts):
        depth += -1 if part == ".." else (0 if part == "." else 1)
        if depth < 1:
            return False
    return True
