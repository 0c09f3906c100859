"""Local checks before the first request: 1 GiB of sdists (100 x 10 MiB) checked and hashed.

What draft-release and add-wheels-to-release do with their files before they talk to
GitHub (:func:`release_actions.github.plan.local_files`: size, sha256, and the integrity
of each dist, in one read per file, files in parallel). Issue 12 measured 3.6 s for such a
batch with each sdist decompressed twice. Information (no target), median of 3.

    python -m benchmarks.checks
"""

from __future__ import annotations

import io
import os
import tarfile
import tempfile
from pathlib import Path

from benchmarks.common import Figure, median_seconds, print_table
from release_actions.github.plan import local_files

MIB = 1024 * 1024


def make_sdists(folder: Path, count: int, size: int) -> list[Path]:
    """``count`` real sdists (PKG-INFO and one incompressible member of ``size`` bytes)."""
    blob = os.urandom(size)
    paths = []
    for index in range(count):
        name = f"bench_{index:03d}"
        path = folder / f"{name}-1.0.tar.gz"
        members = {
            f"{name}-1.0/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n".encode(),
            f"{name}-1.0/data.bin": index.to_bytes(8, "big") + blob[8:],
        }
        with tarfile.open(path, "w:gz", compresslevel=1) as archive:
            for member, data in members.items():
                info = tarfile.TarInfo(member)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
        paths.append(path)
    return paths


def measure(count: int = 100, size: int = 10 * MIB) -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_sdists(Path(tmp), count, size)
        total = sum(p.stat().st_size for p in paths)
        seconds = median_seconds(lambda: local_files(paths), repeat=3)
    return [
        Figure(
            f"local checks, {count} sdists ({total / 2**30:.2f} GiB)",
            seconds,
            "s",
            "(info)",
            True,
            note="one read per file (sha256, gzip CRC, tar walk, PKG-INFO), files in "
            "parallel; issue 12 measured 3.6 s before",
        )
    ]


if __name__ == "__main__":
    print_table(measure())
