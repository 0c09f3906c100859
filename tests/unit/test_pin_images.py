"""scripts/pin-images: every action.yml to the prebuilt image by digest, validated, idempotent."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from release_actions import registry as metadata
from release_actions.registry import STEPS, load_step

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "pin-images"
DIGEST = "sha256:" + "0123456789abcdef" * 4
IMAGE = f"docker://ghcr.io/octo-org/release-actions@{DIGEST}"


def load_script() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("pin_images", str(SCRIPT))
    spec = importlib.util.spec_from_loader("pin_images", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


pin_images = load_script()


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The action.yml files of the repository, as on main."""
    shutil.copy(ROOT / "action.yml", tmp_path / "action.yml")
    shutil.copytree(ROOT / "actions", tmp_path / "actions")
    return tmp_path


def actions(root: Path) -> dict[str, dict[str, Any]]:
    return {
        name: yaml.safe_load(metadata.action_path(root, name).read_text(encoding="utf-8"))
        for name in STEPS
    }


def test_pins_every_action_in_the_guarded_composite_form(checkout: Path) -> None:
    changed = pin_images.pin(checkout, "Octo-Org", DIGEST)
    assert len(changed) == len(STEPS)
    for name, action in actions(checkout).items():
        step = load_step(name)
        runs = action["runs"]
        assert runs["using"] == "composite"
        guard, run = runs["steps"]
        assert guard["if"] == "runner.os != 'Linux'"
        assert "::error" in guard["run"]
        assert f"release-actions {name} --help" in guard["run"]
        assert guard["run"].rstrip().endswith("exit 1")
        assert run["uses"] == IMAGE  # owner lower-cased
        assert run["with"]["args"] == name
        assert set(run["with"]) - {"args"} == set(action["inputs"]) == {s.name for s in step.inputs}
        for key, value in run["with"].items():
            if key != "args":
                assert value == f"${{{{ inputs.{key} }}}}"
        for out in step.outputs:
            assert (
                action["outputs"][out.name]["value"] == f"${{{{ steps.run.outputs.{out.name} }}}}"
            )
        # Never an input interpolated into the script.
        assert "inputs." not in guard["run"]


def test_is_idempotent_and_repins(checkout: Path) -> None:
    pin_images.pin(checkout, "octo-org", DIGEST)
    before = {p: p.read_bytes() for p in checkout.rglob("action.yml")}
    assert pin_images.pin(checkout, "octo-org", DIGEST) == []
    assert {p: p.read_bytes() for p in checkout.rglob("action.yml")} == before
    other = "sha256:" + "f" * 64
    assert len(pin_images.pin(checkout, "octo-org", other)) == len(STEPS)
    assert all(a["runs"]["steps"][1]["uses"].endswith(other) for a in actions(checkout).values())


@pytest.mark.parametrize(
    "digest",
    [
        "0123456789abcdef" * 4,  # no algorithm
        "sha256:" + "0" * 63,
        "sha256:" + "A" * 64,
        "sha512:" + "0" * 64,
        "latest",
        "sha256:" + "0" * 64 + "\n",
    ],
)
def test_refuses_malformed_digests(checkout: Path, digest: str) -> None:
    with pytest.raises(pin_images.PinError, match="sha256:<64"):
        pin_images.pin(checkout, "octo-org", digest)
    assert actions(checkout)["verify-tag"]["runs"]["using"] == "docker"  # untouched


@pytest.mark.parametrize(
    "owner", ["", "-octo", "octo-", "oc--to", "octo/org", "o" * 40, "octo org"]
)
def test_refuses_malformed_owners(checkout: Path, owner: str) -> None:
    with pytest.raises(pin_images.PinError, match="owner"):
        pin_images.pin(checkout, owner, DIGEST)


def test_command_line(checkout: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "octo-org", DIGEST, "--root", str(checkout)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"pinned {len(STEPS)} action.yml file(s) to {IMAGE}" in proc.stdout
    again = subprocess.run(
        [sys.executable, str(SCRIPT), "octo-org", DIGEST, "--root", str(checkout)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "already runs" in again.stdout
    bad = subprocess.run(
        [sys.executable, str(SCRIPT), "octo-org", "v1", "--root", str(checkout)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert "scripts/pin-images: digest 'v1'" in bad.stderr


def test_render_refuses_an_unpinned_docker_reference() -> None:
    with pytest.raises(ValueError, match="sha256"):
        metadata.render(
            load_step("verify-tag"), image="docker://ghcr.io/octo-org/release-actions:v1"
        )
