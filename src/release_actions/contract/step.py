"""A step's declaration (:class:`Step`) and what its entry point gets and gives.

A :class:`Step` declares a step's name, inputs and outputs, and names the module whose
``main(ctx: Context) -> StepResult`` runs it. That module is imported only when the step
runs, so ``--help``, input checks and the action.yml files never import sigstore, PyGithub
or twine. The module's ``main`` turns the runner contract's raw inputs into typed ones,
calls the module's pure ``run`` and renders the outputs and summary.

Example::

    HELLO = Step(
        name="hello",
        description="Say hello.",
        module="hello_step",  # defines main(ctx) -> StepResult
        inputs=(InputSpec("who", "Whom to greet.", default="world"),),
        outputs=(OutputSpec("greeting", "The greeting."),),
    )
    result = HELLO.main(ctx)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from release_actions.contract.environment import GitHubEnv, Workspace
from release_actions.contract.inputs import Inputs, InputSpec, OutputSpec
from release_actions.contract.runner import Runner
from release_actions.errors import InputError, TagError


@dataclass(frozen=True)
class Context:
    """What a step's entry point gets: raw inputs, the runner's variables, the workspace
    every relative path starts from, and the reporter. Steps read nothing else."""

    inputs: Inputs
    github: GitHubEnv
    runner: Runner
    workspace: Workspace

    def tag(self, name: str = "tag") -> str:
        """The ``tag`` input, else the pushed tag (``GITHUB_REF`` = ``refs/tags/…``)."""
        tag = self.inputs.string(name)
        if tag:
            return tag
        pushed = self.github.pushed_tag
        if pushed:
            return pushed
        ref = self.github.ref
        started = f" (this run is for {ref})" if ref else ""
        raise TagError(
            f"no tag given{started}",
            fix="run on a tag push (`on: push: tags: ['v*']`) or set the `tag` input",
        )

    def github_token(self, name: str = "token") -> str:
        """The ``token`` input, else ``GITHUB_TOKEN`` (the CLI's way); masked at once."""
        token = self.inputs.optional(name) or self.github.token
        self.runner.mask(token)
        if not token:
            raise InputError(
                "no token to talk to GitHub",
                fix="pass `token` (default `${{ github.token }}`) or set GITHUB_TOKEN",
            )
        return token

    def files(self, name: str = "files", *, required: bool = True) -> tuple[Path, ...]:
        """The ``files`` input's globs resolved inside the workspace (empty when optional)."""
        patterns = self.inputs.lines(name)
        if not patterns and not required:
            return ()
        return self.workspace.files(patterns, input_name=name)

    def path(self, name: str, default: str = ".") -> Path:
        """A path input, absolute: relative values start at the workspace."""
        return self.workspace.path(self.inputs.string(name) or default)

    def optional_path(self, name: str) -> Path | None:
        return self.workspace.optional_path(self.inputs.optional(name))

    def relative(self, path: Path) -> str:
        """How outputs name a path: relative to the workspace when inside it."""
        return self.workspace.relative(path.resolve())


@dataclass(frozen=True)
class StepResult:
    """Outputs (name → string) and the Markdown summary of a successful step."""

    outputs: Mapping[str, str]
    summary: str


@dataclass(frozen=True)
class Step:
    name: str
    description: str
    #: The module whose ``main(ctx)`` runs the step, imported on the first run.
    module: str
    inputs: tuple[InputSpec, ...]
    outputs: tuple[OutputSpec, ...]

    def main(self, ctx: Context) -> StepResult:
        """Import the step's module and run its entry point."""
        entry: Callable[[Context], StepResult] = importlib.import_module(self.module).main
        return entry(ctx)

    def check_outputs(self, outputs: Mapping[str, str]) -> None:
        """Every declared output is set, and nothing undeclared is."""
        declared = {o.name for o in self.outputs}
        if set(outputs) != declared:
            missing = sorted(declared - set(outputs))
            extra = sorted(set(outputs) - declared)
            raise AssertionError(f"{self.name}: outputs missing {missing}, undeclared {extra}")


def bool_output(value: bool) -> str:
    return "true" if value else "false"
