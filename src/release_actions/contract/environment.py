"""The runner's variables, read once, and the workspace every relative path starts from.

GitHub's runner hands a step its context as environment variables (``GITHUB_*``,
``RUNNER_*``, ``ACTIONS_ID_TOKEN_REQUEST_*``); a user's shell may set ``GITHUB_TOKEN`` and
``SOURCE_DATE_EPOCH`` for the CLI. :class:`GitHubEnv` reads every one of them in one place
(:meth:`GitHubEnv.from_environ`, called only by :mod:`release_actions.cli`), so no step
reads ``os.environ`` and tests need no test-only code path. :class:`Workspace` resolves
every workspace-relative path and ``files`` glob.

Example::

    env = GitHubEnv.from_environ({"GITHUB_REF": "refs/tags/v1.2.3", "GITHUB_WORKSPACE": "/w"})
    assert env.pushed_tag == "v1.2.3"
    workspace = Workspace.from_env(env)
    assert workspace.path("dist") == Path("/w/dist")
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from release_actions.contract.files import resolve_files

#: Where a job's OIDC token is asked for, when GitHub gives the job one.
ID_TOKEN_URL = "ACTIONS_ID_TOKEN_REQUEST_URL"  # noqa: S105 -- a variable's name
ID_TOKEN_TOKEN = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"  # noqa: S105 -- a variable's name


@dataclass(frozen=True)
class GitHubEnv:
    """Every variable of the runner (or the user's shell) a step may use, read once.

    Defaults are github.com's; empty strings where the variable is unset.
    """

    actions: bool = False
    api_url: str = "https://api.github.com"
    server_url: str = "https://github.com"
    repository: str = ""
    repository_id: str = ""
    repository_owner_id: str = ""
    ref: str = ""
    ref_name: str = ""
    sha: str = ""
    workflow_ref: str = ""
    event_name: str = ""
    event_path: str = ""
    workspace: str = ""
    run_id: str = ""
    run_attempt: str = ""
    runner_environment: str = ""
    output_file: str = ""
    summary_file: str = ""
    #: The job's OIDC endpoint (``id-token: write``); the request token is a secret.
    id_token_request_url: str = ""
    id_token_request_token: str = field(default="", repr=False)
    #: ``GITHUB_TOKEN`` of the user's shell: the CLI's fallback for a ``token`` input.
    token: str = field(default="", repr=False)
    #: ``SOURCE_DATE_EPOCH``: build-dists' fallback for its ``source-date-epoch`` input.
    source_date_epoch: str = ""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> GitHubEnv:
        def get(name: str, default: str = "") -> str:
            return environ.get(name) or default

        return cls(
            actions=environ.get("GITHUB_ACTIONS") == "true",
            api_url=get("GITHUB_API_URL", cls.api_url),
            server_url=get("GITHUB_SERVER_URL", cls.server_url),
            repository=get("GITHUB_REPOSITORY"),
            repository_id=get("GITHUB_REPOSITORY_ID"),
            repository_owner_id=get("GITHUB_REPOSITORY_OWNER_ID"),
            ref=get("GITHUB_REF"),
            ref_name=get("GITHUB_REF_NAME"),
            sha=get("GITHUB_SHA"),
            workflow_ref=get("GITHUB_WORKFLOW_REF"),
            event_name=get("GITHUB_EVENT_NAME"),
            event_path=get("GITHUB_EVENT_PATH"),
            workspace=get("GITHUB_WORKSPACE"),
            run_id=get("GITHUB_RUN_ID"),
            run_attempt=get("GITHUB_RUN_ATTEMPT"),
            runner_environment=get("RUNNER_ENVIRONMENT"),
            output_file=get("GITHUB_OUTPUT"),
            summary_file=get("GITHUB_STEP_SUMMARY"),
            id_token_request_url=get(ID_TOKEN_URL),
            id_token_request_token=get(ID_TOKEN_TOKEN),
            token=get("GITHUB_TOKEN").strip(),
            source_date_epoch=get("SOURCE_DATE_EPOCH").strip(),
        )

    @property
    def pushed_tag(self) -> str | None:
        """The tag this run is for (``GITHUB_REF`` = ``refs/tags/<tag>``), else None."""
        if self.ref.startswith("refs/tags/"):
            return self.ref.removeprefix("refs/tags/")
        return None

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values to mask before anything is printed."""
        return tuple(s for s in (self.id_token_request_token, self.token) if s)

    @cached_property
    def event_payload(self) -> Mapping[str, Any]:
        """The webhook payload that started the run, or ``{}``."""
        if not self.event_path:
            return {}
        try:
            data = json.loads(Path(self.event_path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def event(self) -> Mapping[str, Any]:
        return self.event_payload

    @property
    def default_branch(self) -> str | None:
        """The repository's default branch as the event payload names it."""
        repo = self.event_payload.get("repository")
        if isinstance(repo, dict) and isinstance(repo.get("default_branch"), str):
            return str(repo["default_branch"])
        return None


@dataclass(frozen=True)
class Workspace:
    """The folder relative input paths start from: ``GITHUB_WORKSPACE``, else the CWD."""

    root: Path

    @classmethod
    def from_env(cls, env: GitHubEnv, *, cwd: Path | None = None) -> Workspace:
        base = cwd if cwd is not None else Path.cwd()
        return cls((base / env.workspace).resolve() if env.workspace else base.resolve())

    def path(self, text: str | Path) -> Path:
        """``text`` as an absolute path: as given when absolute, else under the root."""
        path = Path(text)
        return path if path.is_absolute() else self.root / path

    def optional_path(self, text: str | None) -> Path | None:
        return self.path(text) if text else None

    def files(self, patterns: Sequence[str], *, input_name: str = "files") -> tuple[Path, ...]:
        """The files ``patterns`` (globs, ``!`` excludes) match inside the workspace."""
        return tuple(resolve_files(patterns, root=self.root, input_name=input_name))

    def relative(self, path: str | Path) -> str:
        """``path`` relative to the root when it lies inside it (outputs, annotations)."""
        candidate = Path(path)
        if not candidate.is_absolute():
            return candidate.as_posix()
        try:
            return candidate.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)
