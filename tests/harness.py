"""Drive a step the way GitHub's runner does (the package's own rehearsal machinery).

Example::

    result = run_step("verify-tag", {"tag": "v1.2.3"}, workspace=project_dir, tmp=tmp_path)
    assert result.exit_code == 0
    assert result.outputs["version"] == "1.2.3"
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from release_actions_dev import runner
from release_actions_dev.runner import StepRun, parse_outputs

__all__ = ["StepRun", "assert_failed", "parse_outputs", "run_step"]


def run_step(
    step: str,
    inputs: Mapping[str, str],
    *,
    workspace: Path,
    tmp: Path,
    event: Mapping[str, object] | None = None,
    extra_env: Mapping[str, str] | None = None,
    argv: list[str] | None = None,
) -> StepRun:
    """Run ``step`` in this process through the runner contract; fresh file commands each time."""
    files = tmp / f"file_commands-{step}-{len(list(tmp.glob('file_commands-*')))}"
    return runner.run_step(
        step,
        inputs,
        workspace=workspace,
        files=files,
        event=event,
        extra_env=extra_env,
        argv=argv or (),
    )


def assert_failed(result: StepRun, *fragments: str) -> str:
    """Exit 1, exactly one error annotation holding every fragment, no outputs, a summary line.

    Returns the annotation line.
    """
    assert result.exit_code == 1, result.stdout
    errors = result.errors()
    assert len(errors) == 1, result.stdout
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    assert result.outputs == {}
    assert f"### ❌ {result.step} failed" in result.summary
    return errors[0]
