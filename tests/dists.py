"""Small, well-formed distributions for tests that sign, verify or upload dists.

sign, draft-release and add-wheels-to-release refuse a ``.whl`` / ``.tar.gz`` that is not a
readable archive whose metadata names what its file name names, so tests write real ones::

    (dist / "demo-1.2.3-py3-none-any.whl").write_bytes(dist_bytes("demo-1.2.3-py3-none-any.whl"))
    other = dist_bytes("demo-1.2.3.tar.gz", payload=b"rebuilt")  # same name, other content

The bytes are deterministic (fixed timestamps), so the same arguments give the same file and
the same sha256; ``payload`` goes into the package's ``__init__.py`` to vary the content.
``metadata_name`` / ``metadata_version`` make a mislabelled dist (the metadata disagrees with
the name the file is given).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import tarfile
import zipfile
from collections.abc import Iterable, Mapping

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename

__all__ = ["dist_bytes", "sdist_bytes", "wheel_bytes"]

#: The earliest time a zip file can hold; tar members keep mtime 0.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def _escaped(name: str) -> str:
    """The project name as wheel and sdist file and folder names spell it."""
    return canonicalize_name(name).replace("-", "_")


def _metadata(name: str, version: str) -> bytes:
    return (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: A test dist\n"
    ).encode()


def _module(name: str, payload: bytes) -> bytes:
    return f'"""{name}."""\n'.encode() + payload


def _record_row(member: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{member},sha256={digest},{len(data)}\n"


def wheel_bytes(
    name: str = "demo",
    version: str = "1.2.3",
    *,
    payload: bytes = b"",
    tags: Iterable[str] = ("py3-none-any",),
    metadata_name: str | None = None,
    metadata_version: str | None = None,
) -> bytes:
    """A small wheel with METADATA, WHEEL and a RECORD that matches its files.

    ``tags`` go into WHEEL (the file name carries them too); ``metadata_name`` and
    ``metadata_version`` replace what METADATA says, for mislabelled-dist cases.
    """
    escaped = _escaped(name)
    dist_info = f"{escaped}-{version}.dist-info"
    chosen = sorted(tags)
    pure = all(tag.endswith("-none-any") for tag in chosen)
    wheel_file = "Wheel-Version: 1.0\nGenerator: tests.dists\n"
    wheel_file += f"Root-Is-Purelib: {'true' if pure else 'false'}\n"
    wheel_file += "".join(f"Tag: {tag}\n" for tag in chosen)
    files = {
        f"{escaped}/__init__.py": _module(name, payload),
        f"{dist_info}/METADATA": _metadata(metadata_name or name, metadata_version or version),
        f"{dist_info}/WHEEL": wheel_file.encode(),
    }
    record = "".join(_record_row(member, data) for member, data in files.items())
    files[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    return _zip(files)


def sdist_bytes(
    name: str = "demo",
    version: str = "1.2.3",
    *,
    payload: bytes = b"",
    metadata_name: str | None = None,
    metadata_version: str | None = None,
) -> bytes:
    """A small sdist: ``<name>-<version>/`` with PKG-INFO, pyproject.toml and the package.

    ``metadata_name`` and ``metadata_version`` replace what PKG-INFO says.
    """
    escaped = _escaped(name)
    top = f"{escaped}-{version}"
    pyproject = (
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\n'
    )
    files = {
        f"{top}/PKG-INFO": _metadata(metadata_name or name, metadata_version or version),
        f"{top}/pyproject.toml": pyproject.encode(),
        f"{top}/src/{escaped}/__init__.py": _module(name, payload),
    }
    return _tar_gz(files)


def dist_bytes(filename: str, payload: bytes = b"") -> bytes:
    """A valid wheel or sdist for ``filename`` (its name, version and tags); ``payload``
    itself for any other file name."""
    if filename.endswith(".whl"):
        name, version, _, tags = parse_wheel_filename(filename)
        return wheel_bytes(
            name, str(version), payload=payload, tags=sorted(str(tag) for tag in tags)
        )
    if filename.endswith(".tar.gz"):
        name, version = parse_sdist_filename(filename)
        return sdist_bytes(name, str(version), payload=payload)
    return payload


def _zip(files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in files.items():
            info = zipfile.ZipInfo(member, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def _tar_gz(files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as compressed,
        tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
        for member, data in files.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
