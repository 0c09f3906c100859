"""The runner contract's reporting half: log lines, groups, outputs, summary, annotations.

Outputs go to ``$GITHUB_OUTPUT``, the Markdown report to ``$GITHUB_STEP_SUMMARY``, errors
become ``::error`` annotations; outside GitHub Actions the same calls print plain text.
This module is the only user of actions-toolkit.

Example::

    env = GitHubEnv.from_environ(os.environ)
    runner = Runner.from_env(env, Workspace.from_env(env).root)
    runner.set_outputs({"version": "1.2.3"})
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TextIO

from actions_toolkit.command import issue_command
from actions_toolkit.file_command import prepare_key_value_message

from release_actions.contract.environment import GitHubEnv
from release_actions.errors import ReleaseActionsError


@dataclass
class Runner:
    """Writes what a step reports: log lines, groups, outputs, summary, annotations.

    In GitHub Actions (``GITHUB_ACTIONS=true``) it speaks workflow commands through
    actions-toolkit; elsewhere it prints plain text. Every string it emits passes
    through :meth:`redact`, so a masked secret never leaves the process.
    """

    actions: bool
    output_file: str | None
    summary_file: str | None
    stream: TextIO = field(default_factory=lambda: sys.stdout)
    secrets: set[str] = field(default_factory=set)
    outputs_written: dict[str, str] = field(default_factory=dict)
    #: Annotation paths are made relative to this folder (GitHub wants repository paths).
    workspace: Path = field(default_factory=Path.cwd)

    @classmethod
    def from_env(cls, env: GitHubEnv, workspace: Path, *, stream: TextIO | None = None) -> Runner:
        return cls(
            actions=env.actions,
            output_file=env.output_file or None,
            summary_file=env.summary_file or None,
            stream=stream if stream is not None else sys.stdout,
            workspace=workspace,
        )

    def relative(self, file: str) -> str:
        """``file`` relative to the workspace when it lies inside it, else unchanged."""
        path = Path(file)
        if not path.is_absolute():
            return file
        try:
            return path.resolve().relative_to(self.workspace.resolve()).as_posix()
        except ValueError:
            return file

    # -- secrets -----------------------------------------------------------------
    def mask(self, secret: str) -> None:
        """Register a secret: masked by the runner's log and redacted from all we write."""
        secret = secret.strip()
        if not secret or secret in self.secrets:
            return
        self.secrets.add(secret)
        if self.actions:
            # Not redacted: the runner must see the value to mask it. (actions_toolkit.core's
            # set_secret is this same command, but importing core costs ~0.1 s of `requests`.)
            with contextlib.redirect_stdout(self.stream):
                issue_command("add-mask", {}, secret)
            self.stream.flush()

    def redact(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    # -- log ---------------------------------------------------------------------
    def _write(self, text: str) -> None:
        self.stream.write(self.redact(text) + "\n")
        self.stream.flush()

    def info(self, message: str) -> None:
        self._write(message)

    def debug(self, message: str) -> None:
        if self.actions:
            self._command("debug", {}, message)

    def warning(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        self._annotate("warning", message, title=None, file=file, line=line)

    def notice(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        self._annotate("notice", message, title=None, file=file, line=line)

    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[None]:
        if self.actions:
            self._command("group", {}, title)
        else:
            self._write(f"── {title}")
        try:
            yield
        finally:
            if self.actions:
                self._command("endgroup", {}, "")

    def _command(self, name: str, props: dict[str, str], message: str) -> None:
        # actions-toolkit escapes data and properties; we redact first.
        clean = {k: self.redact(v) for k, v in props.items()}
        with contextlib.redirect_stdout(self.stream):
            issue_command(name, clean, self.redact(message))
        self.stream.flush()

    def _annotate(
        self,
        kind: Literal["error", "warning", "notice"],
        message: str,
        *,
        title: str | None,
        file: str | None,
        line: int | None,
    ) -> None:
        file = self.relative(file) if file else None
        if self.actions:
            props: dict[str, str] = {}
            if file:
                props["file"] = file
            if line is not None:
                props["line"] = str(line)
            if title:
                props["title"] = title
            self._command(kind, props, message)
            return
        where = f" ({file}{f':{line}' if line is not None else ''})" if file else ""
        heading = f"{title}: " if title else ""
        self._write(f"{kind}: {heading}{message}{where}")

    # -- outputs and summary -----------------------------------------------------------
    def set_outputs(self, outputs: Mapping[str, str]) -> None:
        for name, value in outputs.items():
            clean = self.redact(value)
            self.outputs_written[name] = clean
            if self.output_file:
                with Path(self.output_file).open("a", encoding="utf-8", newline="") as fh:
                    fh.write(prepare_key_value_message(name, clean) + os.linesep)
        if not self.output_file:
            self._write("outputs:")
            for name, value in outputs.items():
                shown = value if "\n" not in value else "\n    " + value.replace("\n", "\n    ")
                self._write(f"  {name}: {shown}")

    def summary(self, markdown: str) -> None:
        text = self.redact(markdown).rstrip("\n") + "\n\n"
        if self.summary_file:
            with Path(self.summary_file).open("a", encoding="utf-8") as fh:
                fh.write(text)
        else:
            self._write(text.rstrip("\n"))

    # -- failure -----------------------------------------------------------------
    def fail(self, step: str, error: ReleaseActionsError) -> int:
        """Report a known failure: annotation, summary section. Returns the exit code."""
        if error.details:
            self._write(error.details.rstrip("\n"))
        self._annotate(
            "error", error.diagnostics(), title=error.title, file=error.file, line=error.line
        )
        where = ""
        if error.file:
            where = f" (`{self.relative(error.file)}{f':{error.line}' if error.line is not None else ''}`)"
        lines = [f"### ❌ {step} failed", "", f"**{error.title}**: {error.message}{where}"]
        if error.fix:
            lines += ["", f"**Fix:** {error.fix}"]
        if error.details:
            lines += [
                "",
                "<details><summary>Output</summary>",
                "",
                *fenced(error.details),
                "",
                "</details>",
            ]
        self.summary("\n".join(lines))
        return 1

    def crash(self, step: str, exc: BaseException) -> int:
        """Report an unexpected failure, keeping its traceback. Returns the exit code."""
        trace = "".join(traceback.format_exception(exc))
        self._write(trace.rstrip("\n"))
        message = f"unexpected error: {type(exc).__name__}: {exc}"
        self._annotate("error", message, title=f"{step} crashed", file=None, line=None)
        self.summary(
            f"### ❌ {step} crashed\n\n`{type(exc).__name__}`: {exc}\n\n"
            "This is a bug in release-actions; the log has the traceback."
        )
        return 1


def fenced(text: str) -> list[str]:
    """``text`` as a Markdown code block whose fence no line of it can close."""
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=2)
    fence = "`" * (longest + 1)
    return [f"{fence}text", *text.rstrip("\n").splitlines(), fence]
