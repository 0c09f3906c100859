"""An emulation of GitHub's runner for tests and the rehearsal: a step run in this process
exactly as a docker action is run (``INPUT_*`` variables, ``GITHUB_OUTPUT`` and
``GITHUB_STEP_SUMMARY`` files, an event file, ``GITHUB_WORKSPACE``).

Example::

    result = run_step("verify-tag", {"tag": "v1.2.3"}, workspace=repo, files=tmp / "cmds")
    assert result.exit_code == 0 and result.outputs["version"] == "1.2.3"
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from release_actions.cli import main

_HEREDOC = re.compile(
    r"^(?P<name>[^<\n]+)<<(?P<delim>\S+)\n(?P<value>.*?)\n(?P=delim)$", re.MULTILINE | re.DOTALL
)

#: Variables of the developer's own runner that must not leak into a rehearsal.
_RUNNER_PREFIXES = ("INPUT_", "GITHUB_", "ACTIONS_", "RUNNER_")


@dataclass(frozen=True)
class StepRun:
    """What a step left behind: exit code, log, parsed outputs, summary."""

    step: str
    exit_code: int
    stdout: str
    outputs: dict[str, str]
    summary: str
    seconds: float

    def errors(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith("::error")]


def parse_outputs(text: str) -> dict[str, str]:
    """Parse ``$GITHUB_OUTPUT`` written in heredoc form; anything else is an error."""
    found = {m["name"]: m["value"] for m in _HEREDOC.finditer(text)}
    rest = _HEREDOC.sub("", text).strip()
    if rest:
        raise ValueError(f"unparsed lines in GITHUB_OUTPUT: {rest!r}")
    return found


def action_environ(
    inputs: Mapping[str, str],
    *,
    workspace: Path,
    files: Path,
    event: Mapping[str, object] | None = None,
    extra: Mapping[str, str] | None = None,
    base: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The variables GitHub's runner gives a docker action, with file commands in ``files``."""
    files.mkdir(parents=True, exist_ok=True)
    paths = {name: files / name for name in ("github_output", "step_summary", "event.json")}
    paths["github_output"].touch()
    paths["step_summary"].touch()
    paths["event.json"].write_text(json.dumps(event or {}), encoding="utf-8")
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if not k.startswith(_RUNNER_PREFIXES)}
    env.update(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_OUTPUT": str(paths["github_output"]),
            "GITHUB_STEP_SUMMARY": str(paths["step_summary"]),
            "GITHUB_EVENT_PATH": str(paths["event.json"]),
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
    files: Path,
    event: Mapping[str, object] | None = None,
    extra_env: Mapping[str, str] | None = None,
    argv: Sequence[str] = (),
) -> StepRun:
    """Run one step in this process exactly as the action entry point would.

    The step gets the variables :func:`action_environ` makes and nothing of this
    process's own environment or working directory: the CWD stays where it is, so a step
    that resolved a path against the CWD instead of the workspace would fail here.
    """
    env = action_environ(inputs, workspace=workspace, files=files, event=event, extra=extra_env)
    buffer = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(buffer):
        code = main([step, *argv], environ=env, stream=buffer)
    seconds = time.perf_counter() - start
    return StepRun(
        step=step,
        exit_code=code,
        stdout=buffer.getvalue(),
        outputs=parse_outputs(Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8")),
        summary=Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8"),
        seconds=seconds,
    )


#: Variables a newcomer's machine has too: how to reach the package index through TLS.
CERTIFICATE_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "PIP_CERT")


def someone_elses_environ(home: Path, tmp: Path) -> dict[str, str]:
    """Another user's machine: own HOME and TMPDIR, another time zone and locale; nothing of
    this process's environment but PATH and the certificate variables."""
    home.mkdir(parents=True, exist_ok=True)
    tmp.mkdir(parents=True, exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TMPDIR": str(tmp),
        "TZ": "Pacific/Kiritimati",
        "LC_ALL": "C",
        "LANG": "C",
        **{k: v for k in CERTIFICATE_VARIABLES if (v := os.environ.get(k))},
    }


def run_step_elsewhere(
    step: str,
    inputs: Mapping[str, str],
    *,
    workspace: Path,
    files: Path,
    base: Mapping[str, str],
    umask: int = 0o002,
) -> StepRun:
    """Run one step in a process of its own, as another user would: ``base`` is all of its
    environment (see :func:`someone_elses_environ`) and ``umask`` its umask."""
    env = action_environ(inputs, workspace=workspace, files=files, base=base)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "release_actions", step],
        env=env,
        cwd=workspace,
        umask=umask,
        capture_output=True,
        text=True,
        check=False,
    )
    return StepRun(
        step=step,
        exit_code=proc.returncode,
        stdout=proc.stdout + proc.stderr,
        outputs=parse_outputs(Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8")),
        summary=Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8"),
        seconds=time.perf_counter() - start,
    )
