"""One model of a distribution file: what its name says, its bytes, and whether it is intact.

Every step asks :class:`DistFile` (as every twine command asks its ``PackageFile``); none
parses a file name on its own. A dist is a wheel (``.whl``) or an sdist (``.tar.gz``,
PEP 625); any other file is not one (a legacy ``.zip`` sdist included: PyPI takes sdists
only as ``.tar.gz`` now).

Example::

    dist = DistFile.parse(Path("dist/example_pkg-1.2.3-py3-none-any.whl"))
    assert dist is not None and dist.kind == "wheel" and str(dist.version) == "1.2.3"
    problem = dist.integrity_problem()   # None when the archive is whole and truthful
    print(dist.sha256, dist.size)

The integrity check is what every step that signs or uploads runs before any request:
the archive is whole (every member decompresses, CRCs match), its metadata names the
project and version the file name names, a wheel's ``WHEEL`` ``Tag:`` lines are exactly the
tags of its file name, the name is spelled as installers and PyPI expect (normalised),
and a wheel's platform tags are ones PyPI accepts. One pass over each file: the sdist is
decompressed once while it is hashed.
"""

from __future__ import annotations

import email.parser
import hashlib
import io
import re
import tarfile
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import IO, Literal

from packaging.metadata import parse_email
from packaging.tags import Tag
from packaging.utils import (
    BuildTag,
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from release_actions.errors import DistCheckError

DistKind = Literal["wheel", "sdist"]

WHEEL_SUFFIX = ".whl"
SDIST_SUFFIX = ".tar.gz"
_CHUNK = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"

#: How a step asks the user to fix a broken or mislabelled dist.
REBUILD = "rebuild the file (build-dists), or leave it out of `files`"
RENAMED = "do not rename dists after building; rebuild them"

# The wheel platform tags PyPI accepts, as warehouse decides them (warehouse/utils/wheel.py,
# `is_valid_platform_tag`, which replaced forklift/legacy.py's `_valid_platform_tag`): a
# fixed list; macOS 10.x with any minor, 11+ majors PyPI knows with minor 0;
# manylinux/musllinux (PEP 600/656) for the architectures it lists; iOS, Android and
# Pyodide (`pyemscripten_<major>_<minor>_wasm32`, PEP 783). Plain `linux_*` is refused,
# except the two Raspberry Pi tags.
_PYPI_PLATFORMS = frozenset(
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
_MACOS = re.compile(r"macosx_(?P<major>\d+)_(?P<minor>\d+)_(?P<arch>.*)")
_MACOS_ARCHES = frozenset(
    {"ppc", "ppc64", "i386", "x86_64", "arm64", "intel", "fat", "fat3", "fat64", "universal",
     "universal2"}
)  # fmt: skip
_MACOS_MAJORS = frozenset({"11", "12", "13", "14", "15", "26"})
_LINUX = re.compile(r"(?P<libc>many|musl)linux_\d+_\d+_(?P<arch>.*)")
_LINUX_ARCHES = frozenset({"x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x", "riscv64"})
_IOS = re.compile(r"ios_\d+_\d+_(?P<arch>.*)_(iphoneos|iphonesimulator)")
_ANDROID = re.compile(r"android_\d+_(?P<arch>.*)")
_PYEMSCRIPTEN = re.compile(r"pyemscripten_\d+_\d+_wasm32")


def pypi_accepts_platform(platform: str) -> bool:
    """Whether PyPI takes a wheel with this platform tag (``linux_x86_64``: no)."""
    if platform in _PYPI_PLATFORMS:
        return True
    if macos := _MACOS.fullmatch(platform):
        major = macos["major"]
        return macos["arch"] in _MACOS_ARCHES and (
            major == "10" or (major in _MACOS_MAJORS and macos["minor"] == "0")
        )
    if linux := _LINUX.fullmatch(platform):
        return linux["arch"] in _LINUX_ARCHES | ({"ppc64"} if linux["libc"] == "many" else set())
    if ios := _IOS.fullmatch(platform):
        return ios["arch"] in {"arm64", "x86_64"}
    if android := _ANDROID.fullmatch(platform):
        return android["arch"] in {"armeabi_v7a", "arm64_v8a", "x86", "x86_64"}
    return _PYEMSCRIPTEN.fullmatch(platform) is not None


def is_dist(path: Path | str) -> bool:
    """A wheel or an sdist, by its file name."""
    name = path.name if isinstance(path, Path) else path
    return name.endswith((WHEEL_SUFFIX, SDIST_SUFFIX))


def sha256_file(path: Path) -> str:
    """The hex sha256 of the file at ``path``, streamed (memory flat in size)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


@dataclass(frozen=True)
class Problem:
    """One finding about one file: what is wrong and how to fix it."""

    file: Path
    message: str
    fix: str


class InvalidDistName(DistCheckError):
    """A file that looks like a dist (``.whl``/``.tar.gz``) but whose name does not parse."""

    title = "invalid distribution file name"


@dataclass(frozen=True)
class DistFile:
    """A wheel or sdist: what its file name says, and (when it exists) its bytes.

    ``path`` may name a file that is not on disk (a release asset known by name only);
    :attr:`sha256`, :attr:`size` and :meth:`integrity_problem` then need the file.
    """

    path: Path
    kind: DistKind
    project: NormalizedName
    version: Version
    #: A wheel's tags, expanded from its compressed tag sets; empty for an sdist.
    tags: frozenset[Tag] = frozenset()
    build: BuildTag = ()
    #: The sha256 when a caller already knows it (saves reading the file again).
    known_sha256: str | None = field(default=None, compare=False, repr=False)

    @classmethod
    def parse(cls, path: Path | str) -> DistFile | None:
        """The dist a file name names; None for other files. Malformed dist names raise
        :class:`InvalidDistName`."""
        path = Path(path)
        name = path.name
        try:
            if name.endswith(WHEEL_SUFFIX):
                project, version, build, tags = parse_wheel_filename(name)
                return cls(path, "wheel", project, version, tags, build)
            if name.endswith(SDIST_SUFFIX):
                project, version = parse_sdist_filename(name)
                return cls(path, "sdist", project, version)
        except (InvalidWheelFilename, InvalidSdistFilename) as exc:
            raise InvalidDistName(
                f"{name} is not a valid distribution file name: {exc}",
                fix="use the files exactly as the build produced them "
                "(https://packaging.python.org/specifications/binary-distribution-format/)",
                file=str(path),
            ) from exc
        return None

    @classmethod
    def quiet(cls, name: Path | str) -> DistFile | None:
        """:meth:`parse`, with malformed names treated as no dist (other people's assets)."""
        try:
            return cls.parse(name)
        except InvalidDistName:
            return None

    @property
    def filename(self) -> str:
        return self.path.name

    @property
    def normalized_stem(self) -> str:
        """``{name}-{version}`` as the specifications spell it (name with underscores)."""
        return f"{self.project.replace('-', '_')}-{self.version}"

    @cached_property
    def sha256(self) -> str:
        return self.known_sha256 or sha256_file(self.path)

    @cached_property
    def size(self) -> int:
        return self.path.stat().st_size

    @property
    def platforms(self) -> frozenset[str]:
        return frozenset(tag.platform for tag in self.tags)

    def members(self) -> list[str]:
        """The paths the archive holds: a wheel's as installed, an sdist's relative to its
        ``<name>-<version>/`` folder (as they lie in the project it was built from)."""
        if self.kind == "wheel":
            with zipfile.ZipFile(self.path) as archive:
                return [n for n in archive.namelist() if not n.endswith("/")]
        with tarfile.open(self.path, "r:gz") as archive:
            return [
                m.name.split("/", 1)[1]
                for m in archive.getmembers()
                if not m.isdir() and "/" in m.name
            ]

    # -- integrity ------------------------------------------------------------------------
    def integrity_problem(self) -> Problem | None:
        """Is this a whole archive that says what its name says? (See the module docstring.)

        Also records the file's sha256 (the same pass reads it), so a later
        :attr:`sha256` costs nothing.
        """
        spelled = self._spelling_problem()
        if spelled is not None:
            return spelled
        try:
            if self.kind == "wheel":
                metadata, wheel_file = self._read_wheel()
            else:
                metadata, wheel_file = self._read_sdist(), None
        except (
            OSError,
            EOFError,
            zipfile.BadZipFile,
            tarfile.TarError,
            ValueError,
            zlib.error,
        ) as exc:
            return Problem(self.path, f"{self.filename} is not a readable archive ({exc})", REBUILD)
        source = "METADATA" if self.kind == "wheel" else "PKG-INFO"
        if metadata is None:
            return Problem(self.path, f"{self.filename} holds no {source}", REBUILD)
        raw, _ = parse_email(metadata)
        meta_name, meta_version = raw.get("name"), raw.get("version")
        try:
            agrees = (
                meta_name is not None
                and meta_version is not None
                and canonicalize_name(meta_name) == self.project
                and Version(meta_version) == self.version
            )
        except InvalidVersion:
            agrees = False
        if not agrees:
            return Problem(
                self.path,
                f"{self.filename}'s {source} says {meta_name} {meta_version}, "
                f"not {self.project} {self.version}",
                RENAMED,
            )
        if self.kind == "wheel":
            return self._tag_problem(wheel_file) or self._platform_problem()
        return None

    def _spelling_problem(self) -> Problem | None:
        """The name part normalised (underscores, lower case) and the version canonical."""
        if self.kind == "wheel":
            stem = "-".join(self.filename.split("-")[:2])
        else:
            stem = self.filename.removesuffix(SDIST_SUFFIX)
        if stem != self.normalized_stem:
            return Problem(
                self.path,
                f"{self.filename} spells its name and version {stem!r}; installers and PyPI "
                f"expect the normalised {self.normalized_stem!r}",
                "upgrade the build backend (it writes normalised names) and rebuild; never "
                "rename dists by hand",
            )
        return None

    def _tag_problem(self, wheel_file: bytes | None) -> Problem | None:
        if wheel_file is None:
            return Problem(self.path, f"{self.filename} holds no .dist-info/WHEEL", REBUILD)
        message = email.parser.BytesParser().parsebytes(wheel_file, headersonly=True)
        declared: set[Tag] = set()
        for line in message.get_all("Tag") or []:
            parts = str(line).strip().split("-")
            if len(parts) == 3:
                declared.add(Tag(*parts))
        if declared != set(self.tags):
            said = ", ".join(sorted(str(t) for t in declared)) or "no tags"
            named = ", ".join(sorted(str(t) for t in self.tags))
            return Problem(
                self.path,
                f"{self.filename}'s WHEEL file says {said}, but its name says {named}",
                f"{RENAMED} (a wheel's tags are what it was built for)",
            )
        return None

    def _platform_problem(self) -> Problem | None:
        refused = sorted(p for p in self.platforms if not pypi_accepts_platform(p))
        if not refused:
            return None
        return Problem(
            self.path,
            f"{self.filename} has the platform tag {', '.join(refused)}, which PyPI refuses "
            "(a wheel built for this machine only, not for other Linux systems)",
            "build platform wheels with cibuildwheel (or repair them with auditwheel) so they "
            "carry manylinux/musllinux tags; leave this wheel out of `files`",
        )

    def _read_wheel(self) -> tuple[bytes | None, bytes | None]:
        """(METADATA, WHEEL) of the one ``.dist-info``; every member is decompressed once."""
        with zipfile.ZipFile(self.path) as archive:
            broken = archive.testzip()
            if broken is not None:
                raise ValueError(f"member {broken} is corrupt")
            found: dict[str, bytes] = {}
            for member in archive.namelist():
                parts = member.split("/")
                if (
                    len(parts) == 2
                    and parts[0].endswith(".dist-info")
                    and parts[1] in ("METADATA", "WHEEL")
                ):
                    found[parts[1]] = archive.read(member)
        object.__setattr__(self, "known_sha256", sha256_file(self.path))
        return found.get("METADATA"), found.get("WHEEL")

    def _read_sdist(self) -> bytes | None:
        """PKG-INFO, reading (and hashing) the file once: every tar header is walked, and
        zlib checks each gzip member's CRC and size at its end. Decompression runs in large
        chunks outside the interpreter lock, so files checked in parallel gain."""
        digest = hashlib.sha256()
        found: bytes | None = None
        with self.path.open("rb") as raw:
            reader = _GunzipHashing(raw, digest)
            with tarfile.open(fileobj=reader, mode="r|", bufsize=_CHUNK) as archive:
                for member in archive:
                    parts = member.name.split("/")
                    if member.isfile() and len(parts) == 2 and parts[1] == "PKG-INFO":
                        handle = archive.extractfile(member)
                        found = handle.read() if handle is not None else None
            reader.drain()
        object.__setattr__(self, "known_sha256", digest.hexdigest())
        return found


class _GunzipHashing(io.RawIOBase):
    """The decompressed bytes of a gzip file, read in one pass that feeds every raw byte to
    ``digest``. As :mod:`gzip` reads: several members follow each other, zero padding after
    the last is allowed, a truncated stream is an :class:`EOFError` and a bad CRC, size or
    header a :class:`zlib.error`. Output per call is bounded (no decompression bomb)."""

    def __init__(self, raw: IO[bytes], digest: hashlib._Hash) -> None:
        super().__init__()
        self._raw = raw
        self._digest = digest
        self._inflate: zlib._Decompress | None = None
        self._members = 0
        self._input = b""
        self._ended = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        limit = _CHUNK if size is None or size < 0 else size
        while True:
            if not self._input:
                if self._ended:
                    return b""
                self._input = self._raw.read(_CHUNK)
                if not self._input:
                    self._ended = True
                    if self._inflate is not None:
                        raise EOFError(
                            "compressed file ended before the end-of-stream marker was reached"
                        )
                    if not self._members:
                        raise tarfile.ReadError("not a gzip file (it is empty)")
                    return b""
                self._digest.update(self._input)
            if self._inflate is None:  # a member starts, or zero padding after the last
                if self._members:
                    self._input = self._input.lstrip(b"\0")
                    if not self._input:
                        continue
                if not _GZIP_MAGIC.startswith(self._input[:2]):
                    raise tarfile.ReadError(f"not a gzip file (starts {self._input[:2]!r})")
                self._inflate = zlib.decompressobj(31)
                self._members += 1
            data = self._inflate.decompress(self._input, limit)
            self._input = self._inflate.unconsumed_tail
            if self._inflate.eof:
                self._input = self._inflate.unused_data
                self._inflate = None
            if data:
                return data

    def drain(self) -> None:
        """Read to the end, so every CRC is checked and every byte hashed."""
        while self.read(_CHUNK):
            pass


def dists_of(paths: Iterable[Path]) -> list[DistFile]:
    """The dists among ``paths`` (malformed dist names raise :class:`InvalidDistName`)."""
    return [dist for dist in map(DistFile.parse, paths) if dist is not None]


def require_intact(paths: Sequence[Path], *, action: str) -> list[DistFile]:
    """Every dist among ``paths``, checked; :class:`DistCheckError` names every broken one."""
    dists = dists_of(paths)
    problems = [p for p in (dist.integrity_problem() for dist in dists) if p is not None]
    if problems:
        raise DistCheckError(
            f"refusing to {action} {len(problems)} broken or mislabelled distribution(s): "
            + "; ".join(p.message for p in problems),
            fix=problems[0].fix,
            file=str(problems[0].file),
        )
    return dists


def one_release(dists: Sequence[DistFile]) -> tuple[NormalizedName, Version] | None:
    """The one project and version ``dists`` share; None when there are none.

    Raises :class:`DistCheckError` naming the odd ones out otherwise.
    """
    found = sorted({(d.project, d.version) for d in dists})
    if not found:
        return None
    if len(found) > 1:
        listed = "; ".join(
            f"{project} {version}: "
            + ", ".join(d.filename for d in dists if (d.project, d.version) == (project, version))
            for project, version in found
        )
        raise DistCheckError(
            f"the dists are of {len(found)} projects or versions ({listed})",
            fix="pass one release's dists; empty the output folder before building "
            "(leftovers of an earlier build linger there) or correct `files`",
        )
    return found[0]
