"""examples/workflows use only inputs and outputs our action.yml files declare, and pin the rest.

Each ``with:`` key of a step using ``org/release-actions/actions/<step>@v1`` must be an input
of ``actions/<step>/action.yml`` (required ones given), each ``steps.<id>.outputs.<name>``
an output of the action step ``<id>`` runs, each ``needs.<job>.outputs.<name>`` an output of
that job; every other action is pinned by a full commit SHA with a version comment. The same
pinning rule holds for our own workflows.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from release_actions import registry as metadata
from release_actions.registry import STEPS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "workflows").glob("*.yml"))
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
OURS = re.compile(r"^org/release-actions(?:/actions/(?P<step>[a-z-]+))?@v1$")
PINNED = re.compile(r"^\s*-?\s*uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")
STEP_OUTPUT = re.compile(r"steps\.(?P<id>[\w-]+)\.outputs\.(?P<name>[\w-]+)")
NEEDS_OUTPUT = re.compile(r"needs\.(?P<job>[\w-]+)\.outputs\.(?P<name>[\w-]+)")


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def action(step: str | None) -> dict[str, Any]:
    return load(metadata.action_path(ROOT, step or metadata.ROOT_STEP))


def test_there_is_one_example_per_seed() -> None:
    assert [p.stem.split("-")[0] for p in EXAMPLES] == [
        "ajolopy",
        "encode",
        "pallets",
        "pypiserver",
    ]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_inputs_and_outputs_exist(path: Path) -> None:
    workflow = load(path)
    used: set[str] = set()
    for job_name, job in workflow["jobs"].items():
        ids: dict[str, str | None] = {}
        for step in job.get("steps", []):
            match = OURS.match(step.get("uses", ""))
            if not match:
                continue
            name = match["step"]
            assert name is None or name in STEPS, f"{job_name}: no step {name}"
            used.add(name or metadata.ROOT_STEP)
            declared = action(name)["inputs"]
            given = set(step.get("with", {}))
            assert given <= set(declared), f"{job_name}: {name} has no {given - set(declared)}"
            required = {k for k, v in declared.items() if v.get("required") and "default" not in v}
            assert required <= given, f"{job_name}: {name} needs {required - given}"
            if "id" in step:
                ids[step["id"]] = name
        text = yaml.safe_dump(job)
        for ref in STEP_OUTPUT.finditer(text):
            if ref["id"] in ids:
                outputs = action(ids[ref["id"]])["outputs"]
                assert ref["name"] in outputs, f"{job_name}: {ref.group(0)} is not an output"
        for ref in NEEDS_OUTPUT.finditer(text):
            needed = workflow["jobs"][ref["job"]]
            assert ref["name"] in needed.get("outputs", {}), f"{job_name}: {ref.group(0)}"
    assert used, f"{path.name} uses none of our actions"


def test_the_examples_cover_the_chain() -> None:
    used = {
        m["step"]
        for path in EXAMPLES
        for m in re.finditer(r"org/release-actions/actions/(?P<step>[a-z-]+)@v1", path.read_text())
    }
    assert used >= {
        "verify-tag",
        "build-dists",
        "sign",
        "verify",
        "draft-release",
        "add-wheels-to-release",
        "publish-release",
        "publish-pypi",
    }


def test_no_example_hands_releasing_or_publishing_to_another_tool() -> None:
    """Each seed pipeline's release and PyPI steps run on this suite alone (issue #13)."""
    for path in EXAMPLES:
        text = path.read_text(encoding="utf-8")
        for other in ("pypa/gh-action-pypi-publish", "softprops/action-gh-release", "gh release",
                      "twine upload"):  # fmt: skip
            assert other not in text, f"{path.name} still uses {other}"


@pytest.mark.parametrize("path", EXAMPLES + WORKFLOWS, ids=lambda p: p.stem)
def test_third_party_actions_are_pinned_by_sha(path: Path) -> None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if "uses:" not in line or line.lstrip().startswith("#"):
            continue
        target = line.split("uses:", 1)[1].split("#", 1)[0].strip()
        if OURS.match(target) or target.startswith("./"):
            continue
        assert PINNED.match(line), f"{path.name}:{number}: pin by SHA with a version comment"


@pytest.mark.parametrize("path", EXAMPLES + WORKFLOWS, ids=lambda p: p.stem)
def test_no_expression_is_interpolated_into_a_script(path: Path) -> None:
    workflow = load(path)
    for job in workflow["jobs"].values():
        for step in job.get("steps", []):
            assert "${{" not in step.get("run", ""), f"{path.name}: pass it through env:"
