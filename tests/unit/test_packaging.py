"""What ships: the runtime wheel holds the product only (no stand-in, no OpenAPI data, no
dev package); the image's environment is built from it (tests/container checks the image)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_runtime_wheel_holds_the_product_only(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--installer", "uv", "--outdir", str(tmp_path),
         str(ROOT)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    packages = {n.split("/", 1)[0] for n in names}
    assert packages == {"release_actions", "release_actions-0.1.0.dist-info"}
    assert not [n for n in names if "standin" in n or n.endswith((".json", "FIDELITY.md"))]
    assert "release_actions/cli.py" in names
    metadata = zipfile.ZipFile(wheel).read("release_actions-0.1.0.dist-info/METADATA").decode()
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    for server in ("werkzeug", "openapi-core", "rich", "pypiserver", "asn1crypto"):
        assert not any(server in line.lower() for line in requires), server
