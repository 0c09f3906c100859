"""``release-actions <step> [--flags]``: every action, as a command.

The container's entry point is the same command (``ENTRYPOINT ["release-actions"]``,
``args: [<step>]``), so the action and the CLI share one code path. Inputs come from
flags, else ``INPUT_*`` variables, else the declared defaults.

Example::

    release-actions verify-tag --tag v1.2.3 --project .
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from release_actions import __version__
from release_actions.contract.environment import GitHubEnv, Workspace
from release_actions.contract.inputs import Inputs
from release_actions.contract.runner import Runner
from release_actions.contract.step import Context, Step
from release_actions.errors import ReleaseActionsError
from release_actions.registry import STEP_SUMMARIES, STEPS, load_step


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="release-actions",
        description="From a pushed tag to a signed GitHub release and PyPI.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="step", metavar="STEP", required=True)
    for name in STEPS:
        sub.add_parser(name, help=STEP_SUMMARIES.get(name, ""), add_help=False)
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


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stream: TextIO | None = None,
) -> int:
    """Run one step; return the exit code. The only place errors become exit codes, and
    (with :func:`entrypoint`) the only reader of ``os.environ``."""
    args = list(sys.argv[1:] if argv is None else argv)
    env = GitHubEnv.from_environ(os.environ if environ is None else environ)
    raw_environ = os.environ if environ is None else environ
    top, rest = _parser().parse_known_args(args[:1])
    step = load_step(top.step)
    parsed = vars(_step_parser(step).parse_args(args[1:] + rest))
    workspace = Workspace.from_env(env, cwd=cwd)
    runner = Runner.from_env(env, workspace.root, stream=stream)
    for secret in env.secrets:
        runner.mask(secret)
    inputs = Inputs.resolve(step.inputs, cli=parsed, environ=raw_environ)
    for spec in step.inputs:
        if spec.secret:
            runner.mask(inputs.raw[spec.name])
    try:
        inputs.check_all()
        result = step.main(Context(inputs, env, runner, workspace))
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
