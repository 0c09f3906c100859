"""``release-actions <step> [--flags]``: every action, as a command.

The container's entry point is the same command (``ENTRYPOINT ["release-actions"]``,
``args: [<step>]``), so the action and the CLI share one code path. Inputs come from
flags, else ``INPUT_*`` variables, else the declared defaults.

Example::

    release-actions verify-tag --tag v1.2.3 --project .
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Mapping, Sequence

from release_actions import __version__
from release_actions.errors import ReleaseActionsError
from release_actions.runner import GitHubEnv, Inputs, Runner
from release_actions.step import Context, Step

#: Step name → module exporting ``STEP``. Modules import lazily so start-up stays quick.
STEP_MODULES: dict[str, str] = {
    "verify-tag": "release_actions.verify_tag",
    "build-dists": "release_actions.build_dists",
    "sign": "release_actions.sign",
    "verify": "release_actions.verify",
    "draft-release": "release_actions.draft_release",
    "add-wheels-to-release": "release_actions.add_wheels",
    "release": "release_actions.release",
}

#: One line per step for ``release-actions --help`` without importing every step.
STEP_SUMMARIES: dict[str, str] = {
    "verify-tag": "check the tag names exactly the version that will be built",
    "build-dists": "build a reproducible sdist and the wheel from it, and check both",
    "sign": "sign files with Sigstore: bundles, SLSA provenance, PEP 740 attestations",
    "verify": "verify files against their Sigstore bundles and provenance for a repository",
    "draft-release": "find or create the tag's draft release and upload files to it",
    "add-wheels-to-release": "add wheels to an existing release (never creates one)",
    "release": "the whole chain in one step (the root action.yml)",
}


def load_step(name: str) -> Step:
    module = importlib.import_module(STEP_MODULES[name])
    step = module.STEP
    if not isinstance(step, Step):
        raise TypeError(f"{STEP_MODULES[name]}.STEP is not a Step")
    return step


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="release-actions",
        description="From a pushed tag to a signed, drafted GitHub release.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="step", metavar="STEP", required=True)
    for name in STEP_MODULES:
        sub.add_parser(name, help=STEP_SUMMARIES.get(name, ""), add_help=False)
    sub.add_parser("rehearse", help="run a project through the whole chain offline", add_help=False)
    return parser


def _step_parser(step: Step) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"release-actions {step.name}",
        description=step.description,
        epilog="Each flag may also be given as the variable INPUT_<NAME> (hyphens kept).",
    )
    for spec in step.inputs:
        default = f" (default: {spec.default!r})" if spec.default is not None else ""
        kwargs: dict[str, object] = {"dest": spec.name, "default": None, "metavar": "VALUE"}
        if spec.kind == "boolean":
            kwargs.update(nargs="?", const="true", metavar="true|false")
        parser.add_argument(spec.flag, help=spec.description + default, **kwargs)  # type: ignore[arg-type]
    return parser


def main(argv: Sequence[str] | None = None, *, environ: Mapping[str, str] | None = None) -> int:
    """Run one step; return the exit code. The only place errors become exit codes."""
    args = list(sys.argv[1:] if argv is None else argv)
    env = os.environ if environ is None else environ
    if args[:1] == ["rehearse"]:
        from release_actions.rehearse import main as rehearse  # noqa: PLC0415

        return rehearse(args[1:])
    top, rest = _parser().parse_known_args(args[:1])
    step = load_step(top.step)
    parsed = vars(_step_parser(step).parse_args(args[1:] + rest))
    runner = Runner.from_environ(env)
    inputs = Inputs.resolve(step.inputs, cli=parsed, environ=env)
    for spec in step.inputs:
        if spec.secret:
            runner.mask(inputs.raw[spec.name])
    try:
        inputs.check_all()
        result = step.main(Context(inputs, GitHubEnv.from_environ(env), runner, env))
        step.check_outputs(result.outputs)
        runner.set_outputs(result.outputs)
        if result.summary:
            runner.summary(result.summary)
    except ReleaseActionsError as error:
        return runner.fail(step.name, error)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        return runner.crash(step.name, exc)
    return 0


def entrypoint() -> None:
    """Console script: the only place that exits."""
    sys.exit(main())
