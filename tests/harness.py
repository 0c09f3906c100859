"""Drive a step the way GitHub's runner does: ``INPUT_*`` variables, file commands, event file.

Example::

    result = run_step("verify-tag", {"tag": "v1.2.3"}, workspace=project_dir, tmp=tmp_path)
    assert result.exit_code == 0
    assert result.outputs["version"] == "1.2.3"
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from release_actions.cli import main

_HEREDOC = re.compile(
    r"^(?P<name>[^<\n]+)<<(?P<delim>\S+)\n(?P<value>.*?)\n(?P=delim)$", re.M | re.S
)


@dataclass(frozen=True)
class StepRun:
    exit_code: int
    stdout: str
    outputs: dict[str, str]
    summary: str
    output_file: Path
    summary_file: Path

    def errors(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith("::error")]


def parse_outputs(text: str) -> dict[str, str]:
    """Parse the heredoc form of ``$GITHUB_OUTPUT``; every entry must be in that form."""
    found = {m["name"]: m["value"] for m in _HEREDOC.finditer(text)}
    rest = _HEREDOC.sub("", text).strip()
    assert not rest, f"unparsed lines in GITHUB_OUTPUT: {rest!r}"
    return found


@contextmanager
def _chdir(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def action_environ(
    inputs: Mapping[str, str],
    *,
    workspace: Path,
    files: Path,
    event: Mapping[str, object] | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The variables a runner gives a docker action, with our own ``files`` folder."""
    files.mkdir(parents=True, exist_ok=True)
    output_file = files / "github_output"
    summary_file = files / "step_summary"
    event_file = files / "event.json"
    output_file.touch()
    summary_file.touch()
    event_file.write_text(json.dumps(event or {}), encoding="utf-8")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("INPUT_", "GITHUB_", "ACTIONS_", "RUNNER_"))
    }
    env.update(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_STEP_SUMMARY": str(summary_file),
            "GITHUB_EVENT_PATH": str(event_file),
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_REPOSITORY": "octo/example",
            "GITHUB_SERVER_URL": "https://github.com",
        }
    )
    env.update({"INPUT_" + name.upper(): value for name, value in inputs.items()})
    env.update(extra or {})
    return env


def run_step(
    step: str,
    inputs: Mapping[str, str],
    *,
    workspace: Path,
    tmp: Path,
    event: Mapping[str, object] | None = None,
    extra_env: Mapping[str, str] | None = None,
    argv: list[str] | None = None,
    subprocess_cli: bool = False,
) -> StepRun:
    """Run ``step`` in this process (or as the console script) through the runner contract."""
    files = tmp / f"file_commands-{step}-{len(list(tmp.glob('file_commands-*')))}"
    env = action_environ(inputs, workspace=workspace, files=files, event=event, extra=extra_env)
    args = [step, *(argv or [])]
    if subprocess_cli:
        proc = subprocess.run(
            [sys.executable, "-m", "release_actions", *args],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        code, out = proc.returncode, proc.stdout + proc.stderr
    else:
        buffer = io.StringIO()
        with _chdir(workspace), redirect_stdout(buffer):
            code = main(args, environ=env)
        out = buffer.getvalue()
    output_file = Path(env["GITHUB_OUTPUT"])
    summary_file = Path(env["GITHUB_STEP_SUMMARY"])
    return StepRun(
        exit_code=code,
        stdout=out,
        outputs=parse_outputs(output_file.read_text(encoding="utf-8")),
        summary=summary_file.read_text(encoding="utf-8"),
        output_file=output_file,
        summary_file=summary_file,
    )
