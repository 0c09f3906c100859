"""What every step module exports: its declarations and a thin entry point.

Each step module (``verify_tag``, ``build_dists``, …) has a pure ``run(inputs, …)``
on frozen dataclasses and a ``STEP`` built from this module, whose ``main`` turns the
runner contract's raw inputs into typed ones, calls ``run`` and renders the outputs
and summary. :mod:`release_actions.cli` is the only caller of ``main``.

Example::

    STEP = Step(
        name="hello",
        description="Say hello.",
        inputs=(InputSpec("who", "Whom to greet.", default="world"),),
        outputs=(OutputSpec("greeting", "The greeting."),),
        main=lambda ctx: StepResult({"greeting": f"hello {ctx.inputs.string('who')}"}, ""),
    )
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from release_actions.runner import GitHubEnv, Inputs, InputSpec, OutputSpec, Runner


@dataclass(frozen=True)
class Context:
    """What a step's entry point gets: raw inputs, the runner's variables, the reporter."""

    inputs: Inputs
    github: GitHubEnv
    runner: Runner
    environ: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StepResult:
    """Outputs (name → string) and the Markdown summary of a successful step."""

    outputs: Mapping[str, str]
    summary: str


@dataclass(frozen=True)
class Step:
    name: str
    description: str
    inputs: tuple[InputSpec, ...]
    outputs: tuple[OutputSpec, ...]
    main: Callable[[Context], StepResult]

    def check_outputs(self, outputs: Mapping[str, str]) -> None:
        """Every declared output is set, and nothing undeclared is."""
        declared = {o.name for o in self.outputs}
        if set(outputs) != declared:
            missing = sorted(declared - set(outputs))
            extra = sorted(set(outputs) - declared)
            raise AssertionError(f"{self.name}: outputs missing {missing}, undeclared {extra}")


def bool_output(value: bool) -> str:
    return "true" if value else "false"
