"""Where signatures go, and writing them so that no half-written file is ever left.

Example::

    check_output_dir(Path("signatures"), [Path("dist/a-1.0.tar.gz")])
    atomic_write(Path("signatures/a-1.0.tar.gz.sigstore.json"), bundle.to_json().encode())
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from release_actions.dists import is_dist, require_intact
from release_actions.errors import InputError
from release_actions.signing.errors import SigningError


def check_files(files: Sequence[Path]) -> None:
    """Every file exists, is a non-empty regular file, and names are unique."""
    if not files:
        raise InputError("no files to sign", fix="list the files in `files`")
    seen: dict[str, Path] = {}
    for path in files:
        if not path.is_file():
            raise InputError(f"{path} is not a file", fix="build the files before this step")
        if path.stat().st_size == 0:
            raise InputError(
                f"{path} is empty (0 bytes): a broken build or download",
                fix="rebuild the file, or leave it out of `files`",
                file=str(path),
            )
        if path.name in seen:
            raise InputError(
                f"{seen[path.name]} and {path} have the same name, so their signatures would "
                "overwrite each other",
                fix="sign files with distinct names, or sign each folder in its own step with "
                "its own `output-dir`",
            )
        seen[path.name] = path

    require_intact(files, action="sign")


def check_output_dir(output_dir: Path, files: Sequence[Path]) -> None:
    """Refuse a folder inside a ``dist/`` holding signed files, or a dist's own folder.

    Leftover files next to the dists break a later ``twine upload dist/*``
    (pypa/gh-action-pypi-publish #283, #319).
    """
    out = output_dir.resolve()
    if output_dir.exists() and not output_dir.is_dir():
        raise InputError(
            f"output-dir {output_dir} exists and is not a folder", fix="choose another `output-dir`"
        )
    for path in files:
        parent = path.resolve().parent
        # The nearest folder named dist (not a far ancestor: a checkout may live in one),
        # and a wheel's or sdist's own folder whatever its name.
        nearest = next((d for d in (parent, *parent.parents) if d.name == "dist"), None)
        dist_dirs = [d for d in (nearest, parent if is_dist(path) else None) if d is not None]
        for dist_dir in dist_dirs:
            if out == dist_dir or out.is_relative_to(dist_dir):
                raise InputError(
                    f"output-dir {output_dir} is inside {dist_dir}, which holds the signed file "
                    f"{path.name}: signatures there break `twine upload dist/*`",
                    fix="keep the default `output-dir: signatures`, or any folder outside dist/",
                )


def atomic_write(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder and ``os.replace``: all or nothing.

    No ``fsync``: the replace is atomic for every reader of the workspace, and a runner
    that loses power loses its workspace too (the job is run again), while a sync per file
    costs a batch of hundreds of signatures seconds of waiting.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        Path(tmp).chmod(0o644)
        Path(tmp).replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise SigningError(
            f"could not write {path}: {exc.strerror or exc}",
            fix="check the output folder is writable and the disk not full",
            file=str(path),
        ) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise
