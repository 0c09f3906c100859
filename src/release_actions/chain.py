"""The whole chain in one step (`release-actions release`, the root ``action.yml``).

verify-tag → build-dists → sign → draft-release. Each sub-step gets the inputs it declares,
passed through from this step's inputs, except those the chain fills from earlier steps'
outputs (the verified version and SOURCE_DATE_EPOCH feed build-dists; the built dists are
what sign signs; the dists and their signatures are what draft-release uploads).

Example::

    release-actions release --tag v1.2.3 --token "$GITHUB_TOKEN"
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from release_actions.actions.declarations import RELEASE, RELEASE_SUB_STEPS
from release_actions.contract import Context, Inputs, Step, StepResult

Outputs = Mapping[str, str]


def _lines(*values: str) -> str:
    return "\n".join(line for value in values for line in value.splitlines() if line)


#: For each sub-step, the inputs the chain computes from the outputs so far.
CHAINED: dict[str, Callable[[Outputs, bool], dict[str, str]]] = {
    "verify-tag": lambda out, dry: {},
    "build-dists": lambda out, dry: {
        "expected-version": out["version"],
        "source-date-epoch": out["source-date-epoch"],
    },
    "sign": lambda out, dry: {"files": out["dists"]},
    "draft-release": lambda out, dry: {
        "tag": out["tag"],
        # A dry run of sign writes nothing, so only the dists exist to plan uploads with.
        "files": out["dists"]
        if dry
        else _lines(out["dists"], out["bundles"], out["provenance"], out["attestations"]),
    },
}

#: The sub-steps, declared with the chain (:data:`~release_actions.actions.declarations.RELEASE`).
SUB_STEPS: tuple[Step, ...] = RELEASE_SUB_STEPS


def _sub_context(ctx: Context, step: Step, chained: Mapping[str, str]) -> Context:
    values: dict[str, str | None] = {}
    for spec in step.inputs:
        if spec.name in chained:
            values[spec.name] = chained[spec.name]
        elif spec.name in ctx.inputs.given:
            values[spec.name] = ctx.inputs.raw[spec.name]
    inputs = Inputs.resolve(step.inputs, cli=values, environ={})
    return Context(inputs, ctx.github, ctx.runner, ctx.workspace)


def main(ctx: Context) -> StepResult:
    dry = ctx.inputs.boolean("dry-run")
    # Every sub-step's inputs, parsed before the first step runs: a bad draft-release input
    # must not fail after the build and the signatures.
    placeholder = {o.name: "" for o in RELEASE.outputs}
    for step in SUB_STEPS:
        chained = CHAINED[step.name](placeholder, dry)
        _sub_context(ctx, step, chained).inputs.check_all(skip=frozenset(chained))
    outputs: dict[str, str] = {}
    summaries: list[str] = []
    for step in SUB_STEPS:
        result = step.main(_sub_context(ctx, step, CHAINED[step.name](outputs, dry)))
        for name, value in result.outputs.items():
            outputs.setdefault(name, value)
        summaries.append(result.summary)
    return StepResult(outputs, "\n\n".join(summaries))
