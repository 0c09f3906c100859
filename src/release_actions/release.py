"""release: the whole chain in one step, for the root ``action.yml``.

Each sub-step gets the inputs it declares, passed through from this step's inputs, plus
what earlier steps produced (verify-tag's version and SOURCE_DATE_EPOCH feed build-dists).

Example::

    release-actions release --tag v1.2.3
"""

from __future__ import annotations

from collections.abc import Mapping

from release_actions import build_dists, verify_tag
from release_actions.runner import Inputs, InputSpec
from release_actions.step import Context, Step, StepResult

#: Inputs of sub-steps that the chain fills itself instead of passing through.
_CHAINED = {"expected-version", "source-date-epoch"}


def _pass_through(*groups: tuple[InputSpec, ...]) -> tuple[InputSpec, ...]:
    seen: dict[str, InputSpec] = {}
    for group in groups:
        for spec in group:
            if spec.name not in _CHAINED:
                seen.setdefault(spec.name, spec)
    return tuple(seen.values())


SUB_STEPS = (verify_tag.STEP, build_dists.STEP)
INPUTS = _pass_through(*(s.inputs for s in SUB_STEPS))
OUTPUTS = (
    *verify_tag.OUTPUTS,
    *(o for o in build_dists.OUTPUTS if o.name not in {o.name for o in verify_tag.OUTPUTS}),
)


def _sub_context(ctx: Context, step: Step, chained: Mapping[str, str]) -> Context:
    values: dict[str, str | None] = {}
    for spec in step.inputs:
        if spec.name in chained:
            values[spec.name] = chained[spec.name]
        elif spec.name in ctx.inputs.given:
            values[spec.name] = ctx.inputs.raw[spec.name]
    inputs = Inputs.resolve(step.inputs, cli=values, environ={})
    return Context(inputs, ctx.github, ctx.runner, ctx.environ)


def main(ctx: Context) -> StepResult:
    outputs: dict[str, str] = {}
    summaries: list[str] = []
    chained: dict[str, str] = {}
    for step in SUB_STEPS:
        result = step.main(_sub_context(ctx, step, chained))
        outputs.update(result.outputs)
        summaries.append(result.summary)
        if step is verify_tag.STEP:
            chained = {
                "expected-version": result.outputs["version"],
                "source-date-epoch": result.outputs["source-date-epoch"],
            }
    return StepResult(outputs, "\n\n".join(summaries))


STEP = Step(
    name="release",
    description="The whole chain in one step: verify the tag, then build and check the dists.",
    inputs=INPUTS,
    outputs=OUTPUTS,
    main=main,
)
