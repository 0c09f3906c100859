"""The runner contract: the only module that reads inputs and writes outputs.

Inputs come from CLI flags (``--tag-prefix v``), else from the runner's ``INPUT_<NAME>``
variables (upper-cased, hyphens kept: ``INPUT_TAG-PREFIX``), else from the declared
default — one :class:`InputSpec` serves the action and the CLI. Outputs go to
``$GITHUB_OUTPUT``, the Markdown report to ``$GITHUB_STEP_SUMMARY``, errors become
``::error`` annotations; outside GitHub Actions the same calls print plain text.

Example::

    spec = InputSpec("tag-prefix", "Prefix before the version in the tag.", default="v")
    inputs = Inputs.resolve((spec,), cli={}, environ={"INPUT_TAG-PREFIX": "release-"})
    assert inputs.string("tag-prefix") == "release-"

    runner = Runner.from_environ()
    runner.set_outputs({"version": "1.2.3"})
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

from actions_toolkit.command import issue_command
from actions_toolkit.file_command import prepare_key_value_message

from release_actions.errors import InputError, ReleaseActionsError

InputKind = Literal["string", "boolean", "lines", "integer"]

_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})


@dataclass(frozen=True)
class InputSpec:
    """One input of one step, declared once for action.yml and the CLI."""

    name: str
    description: str
    default: str | None = None
    kind: InputKind = "string"
    required: bool = False
    secret: bool = False
    choices: tuple[str, ...] = ()
    #: The default as action.yml writes it when the runner computes it
    #: (``${{ github.token }}``); the CLI falls back to :attr:`default`.
    action_default: str | None = None
    #: Bounds of an integer input.
    minimum: int | None = None
    maximum: int | None = None

    @property
    def env_name(self) -> str:
        return "INPUT_" + self.name.replace(" ", "_").upper()

    @property
    def flag(self) -> str:
        return "--" + self.name


@dataclass(frozen=True)
class OutputSpec:
    """One output of one step."""

    name: str
    description: str


@dataclass(frozen=True)
class Inputs:
    """Raw input values, resolved once, with strict typed accessors."""

    specs: Mapping[str, InputSpec]
    raw: Mapping[str, str]
    #: Names whose value the user gave (CLI flag or ``INPUT_*``), not the default.
    given: frozenset[str] = frozenset()

    @classmethod
    def resolve(
        cls,
        specs: Sequence[InputSpec],
        *,
        cli: Mapping[str, str | None],
        environ: Mapping[str, str],
    ) -> Inputs:
        raw: dict[str, str] = {}
        given: set[str] = set()
        for spec in specs:
            value = cli.get(spec.name)
            if value is None:
                value = environ.get(spec.env_name)
            if value is not None:
                given.add(spec.name)
            else:
                value = spec.default if spec.default is not None else ""
            raw[spec.name] = value
        return cls({s.name: s for s in specs}, raw, frozenset(given))

    def _spec(self, name: str) -> InputSpec:
        try:
            return self.specs[name]
        except KeyError:
            raise KeyError(f"step declares no input {name!r}") from None

    def string(self, name: str) -> str:
        spec = self._spec(name)
        value = self.raw[name].strip()
        if spec.required and not value:
            raise InputError(
                f"input '{name}' is required but empty",
                fix=f"set `with: {name}: …` in the workflow (or pass {spec.flag})",
            )
        if spec.choices and value not in spec.choices:
            raise InputError(
                f"input '{name}' is {value!r}, expected one of {', '.join(spec.choices)}",
                fix=f"set `{name}` to one of: {', '.join(spec.choices)}",
            )
        return value

    def check_all(self, *, skip: frozenset[str] = frozenset()) -> None:
        """Parse every input (but ``skip``) by its kind, so a bad one fails before any work."""
        for spec in self.specs.values():
            if spec.name in skip:
                continue
            if spec.kind == "boolean":
                self.boolean(spec.name)
            elif spec.kind == "integer":
                if self.raw[spec.name].strip() or spec.required:
                    self.integer(spec.name)
            elif spec.kind == "lines":
                self.lines(spec.name)
            else:
                self.string(spec.name)

    def optional(self, name: str) -> str | None:
        """The trimmed value, or None when empty."""
        return self.string(name) or None

    def boolean(self, name: str) -> bool:
        """YAML 1.2 core-schema booleans only; an empty value takes the default."""
        spec = self._spec(name)
        value = self.raw[name].strip()
        if not value and spec.default is not None:
            value = spec.default
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise InputError(
            f"input '{name}' is {value!r}, which is not a boolean",
            fix=f"write `{name}: true` or `{name}: false` (YAML 1.2: true|True|TRUE|false|False|FALSE)",
        )

    def lines(self, name: str) -> tuple[str, ...]:
        """Non-empty, trimmed lines; ``#`` starts a comment line."""
        out = []
        for line in self.raw[name].splitlines():
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                out.append(stripped)
        spec = self._spec(name)
        if spec.required and not out:
            raise InputError(
                f"input '{name}' is required but empty",
                fix=f"set `with: {name}: …` in the workflow (or pass {spec.flag})",
            )
        return tuple(out)

    def integer(self, name: str) -> int:
        """A whole number within the declared bounds."""
        spec = self._spec(name)
        minimum, maximum = spec.minimum, spec.maximum
        text = self.string(name)
        try:
            value = int(text, 10)
        except ValueError:
            raise InputError(
                f"input '{name}' is {text!r}, which is not a whole number",
                fix=f"write a whole number for `{name}`",
            ) from None
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            bounds = f"{minimum if minimum is not None else '…'} to {maximum if maximum is not None else '…'}"
            raise InputError(
                f"input '{name}' is {value}, outside {bounds}",
                fix=f"choose `{name}` from {bounds}",
            )
        return value


@dataclass(frozen=True)
class GitHubEnv:
    """The runner's variables, read once (so tests need no test-only code path)."""

    actions: bool
    api_url: str
    server_url: str
    repository: str
    ref: str
    ref_name: str
    sha: str
    workflow_ref: str
    event_name: str
    event_path: str
    workspace: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> GitHubEnv:
        return cls(
            actions=environ.get("GITHUB_ACTIONS") == "true",
            api_url=environ.get("GITHUB_API_URL", "https://api.github.com"),
            server_url=environ.get("GITHUB_SERVER_URL", "https://github.com"),
            repository=environ.get("GITHUB_REPOSITORY", ""),
            ref=environ.get("GITHUB_REF", ""),
            ref_name=environ.get("GITHUB_REF_NAME", ""),
            sha=environ.get("GITHUB_SHA", ""),
            workflow_ref=environ.get("GITHUB_WORKFLOW_REF", ""),
            event_name=environ.get("GITHUB_EVENT_NAME", ""),
            event_path=environ.get("GITHUB_EVENT_PATH", ""),
            workspace=environ.get("GITHUB_WORKSPACE", ""),
        )

    def event(self) -> dict[str, Any]:
        """The webhook payload that started the run, or ``{}``."""
        if not self.event_path:
            return {}
        try:
            data = json.loads(Path(self.event_path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}


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
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Runner:
        env = os.environ if environ is None else environ
        return cls(
            actions=env.get("GITHUB_ACTIONS") == "true",
            output_file=env.get("GITHUB_OUTPUT") or None,
            summary_file=env.get("GITHUB_STEP_SUMMARY") or None,
            workspace=Path(env.get("GITHUB_WORKSPACE") or Path.cwd()),
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
        self._annotate(
            "error", error.diagnostics(), title=error.title, file=error.file, line=error.line
        )
        where = ""
        if error.file:
            where = f" (`{self.relative(error.file)}{f':{error.line}' if error.line is not None else ''}`)"
        lines = [f"### ❌ {step} failed", "", f"**{error.title}**: {error.message}{where}"]
        if error.fix:
            lines += ["", f"**Fix:** {error.fix}"]
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
