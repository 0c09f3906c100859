"""Every action.yml input is consumed by the code, and every declared input is in action.yml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from release_actions import registry as metadata
from release_actions.registry import STEPS, load_step

ROOT = Path(__file__).resolve().parents[2]


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("name", sorted(STEPS))
def test_inputs_and_outputs_match_both_ways(name: str) -> None:
    step = load_step(name)
    action = load(metadata.action_path(ROOT, name))
    declared_inputs = {spec.name: spec for spec in step.inputs}
    assert set(action["inputs"]) == set(declared_inputs), "inputs differ"
    for key, spec in declared_inputs.items():
        entry = action["inputs"][key]
        assert entry["description"] == spec.description
        assert entry.get("default") == (spec.action_default or spec.default)
        assert entry["required"] is spec.required
    assert set(action["outputs"]) == {o.name for o in step.outputs}, "outputs differ"
    image = metadata.image_for(name)
    assert action["runs"] == {"using": "docker", "image": image, "args": [name]}
    assert (metadata.action_path(ROOT, name).parent / image).resolve() == ROOT / "Dockerfile"


def test_every_step_has_an_action_folder_and_no_stray_ones() -> None:
    folders = {p.parent.name for p in (ROOT / "actions").glob("*/action.yml")}
    assert folders == set(STEPS) - {metadata.ROOT_STEP}
    assert (ROOT / "action.yml").is_file()


def test_committed_files_are_the_rendered_ones() -> None:
    assert metadata.main(["--root", str(ROOT), "--check"]) == 0


def test_no_action_interpolates_inputs_into_scripts() -> None:
    for path in [ROOT / "action.yml", *ROOT.glob("actions/*/action.yml")]:
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                assert not ("run:" in line and "inputs." in line), f"{path}: {line}"


@pytest.mark.parametrize("name", sorted(STEPS))
def test_everything_is_described_and_branded(name: str) -> None:
    action = load(metadata.action_path(ROOT, name))
    assert action["name"] == f"release-actions {name}"
    assert action["description"].strip()
    assert set(action["branding"]) == {"icon", "color"}
    for kind in ("inputs", "outputs"):
        for key, entry in action[kind].items():
            assert entry["description"].strip(), f"{kind}.{key} has no description"


@pytest.mark.parametrize("name", sorted(STEPS))
def test_the_release_form_guards_non_linux_runners_first(name: str) -> None:
    image = "docker://ghcr.io/octo-org/release-actions@sha256:" + "0" * 64
    action = yaml.safe_load(metadata.render(load_step(name), image=image))
    first, run = action["runs"]["steps"]
    assert first["if"] == "runner.os != 'Linux'"
    assert f"::error title=release-actions {name} needs a Linux runner::" in first["run"]
    assert f"pipx run release-actions {name} --help" in first["run"]
    assert "${{" not in first["run"]
    assert run["uses"] == image
