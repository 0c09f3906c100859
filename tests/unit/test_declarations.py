"""The steps' declarations: light to import, each naming a module that runs the step."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys

import pytest

from release_actions import chain
from release_actions.actions.declarations import CHAINED_INPUTS, RELEASE_SUB_STEPS, STEPS

#: What a step's module needs and ``--help``, input checks and action.yml never do.
HEAVY = ("sigstore", "github", "twine", "pypi_attestations", "requests", "cryptography", "build")


@pytest.mark.parametrize("argv", [["--version"], ["sign", "--help"], ["publish-pypi", "--help"]])
def test_the_cli_declares_and_checks_without_importing_any_engine(argv: list[str]) -> None:
    script = (
        "import sys\n"
        "from release_actions.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "print(heavy)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip().splitlines()[-1] == "[]", proc.stdout


@pytest.mark.parametrize("name", sorted(STEPS))
def test_each_declaration_names_a_module_with_an_entry_point(name: str) -> None:
    step = STEPS[name]
    module = importlib.import_module(step.module)
    parameters = list(inspect.signature(module.main).parameters)
    assert parameters == ["ctx"], f"{step.module}.main{parameters}"


def test_the_chain_fills_exactly_the_inputs_its_declaration_leaves_out() -> None:
    outputs = {o.name: "x" for s in RELEASE_SUB_STEPS for o in s.outputs}
    for step in RELEASE_SUB_STEPS:
        for dry in (False, True):
            assert set(chain.CHAINED[step.name](outputs, dry)) == CHAINED_INPUTS[step.name]
    assert [s.name for s in chain.SUB_STEPS] == list(CHAINED_INPUTS)
