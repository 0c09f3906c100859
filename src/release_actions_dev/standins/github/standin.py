"""A running GitHub REST API stand-in: server, state, faults, recorded traffic.

Example::

    from github import Auth, Github
    from release_actions_dev.standins.github import GitHubStandin

    with GitHubStandin(owner="octo", repo="demo", token="t0ken") as gh:
        gh.seed_release(tag_name="v1.0.0", draft=True)
        repo = Github(base_url=gh.api_url, auth=Auth.Token("t0ken")).get_repo("octo/demo")
        print([r.tag_name for r in repo.get_releases()])
        assert not gh.mutating_requests() and not gh.violations

    with GitHubStandin(layout="ghes") as ghes:     # https://HOST/api/v3, /api/uploads
        print(ghes.api_url, ghes.uploads_url)

Layouts, as GitHub serves them: ``"github.com"`` (the default) answers the API on one
loopback port and uploads on another (``api.github.com`` and ``uploads.github.com``);
``"ghes"`` puts the API under ``/api/v3`` and uploads under ``/api/uploads`` of one origin
(``own_uploads_origin=True`` moves the uploads to their own port, as with subdomain
isolation). Releases' ``upload_url`` always points at the uploads host. PyGithub's own
``GitRelease.upload_asset`` refuses an upload URL on the API's host with another port (its
check accepts ``uploads.github.com`` as a sibling of ``api.github.com``, which loopback
cannot spell), so tests that upload with it use the ``"ghes"`` layout.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Literal, Self

from release_actions_dev.standins._server import Lifecycle, LoopbackServer
from release_actions_dev.standins.github.app import (
    Layout,
    RecordedRequest,
    StandinApp,
    Violation,
)
from release_actions_dev.standins.github.faults import FaultPlan
from release_actions_dev.standins.github.state import (
    Asset,
    AssetState,
    MakeLatest,
    Release,
    RepoState,
)

__all__ = ["GitHubStandin", "SpecViolationError"]


class SpecViolationError(AssertionError):
    """Traffic with the stand-in did not conform to GitHub's OpenAPI description."""


class GitHubStandin(Lifecycle):
    """An honest, stateful stand-in for one GitHub repository's REST API on 127.0.0.1.

    ``token`` gets write access; each of ``read_only_tokens`` may only read (writes answer
    403 "Resource not accessible by integration"); anything else answers 401.
    ``immutable_releases`` is the repository setting: releases published while it is on
    become immutable. ``validate=False`` turns OpenAPI validation off (benchmarks).
    ``layout`` and ``own_uploads_origin``: see the module docstring.
    """

    def __init__(
        self,
        *,
        owner: str = "octo-org",
        repo: str = "demo",
        token: str = "ghs_standin_write_token",  # noqa: S107 - a stand-in's fake token
        read_only_tokens: tuple[str, ...] = ("ghs_standin_read_token",),
        default_branch: str = "main",
        immutable_releases: bool = False,
        validate: bool = True,
        port: int = 0,
        layout: Layout = "github.com",
        own_uploads_origin: bool | None = None,
    ) -> None:
        self._storage = Path(tempfile.mkdtemp(prefix="github-standin-"))
        self.token = token
        self.read_only_tokens = read_only_tokens
        self.state = RepoState(
            owner=owner,
            repo=repo,
            default_branch=default_branch,
            storage=self._storage,
            immutable_releases=immutable_releases,
        )
        self.faults = FaultPlan()
        tokens: dict[str, Literal["write", "read"]] = dict.fromkeys(read_only_tokens, "read")
        tokens[token] = "write"
        self.app = StandinApp(
            state=self.state,
            tokens=tokens,
            faults=self.faults,
            validate=validate,
            layout=layout,
            own_uploads_origin=own_uploads_origin,
        )
        self._server = LoopbackServer(self.app.api_server, port=port)
        self._uploads: LoopbackServer | None = None
        if self.app.own_uploads_origin:
            self._uploads = LoopbackServer(self.app.uploads_server)
        self.app.set_origins(
            api=self._server.url, uploads=self._uploads.url if self._uploads else None
        )
        self._running = False

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> Self:
        if not self._running:
            self._server.start()
            if self._uploads is not None:
                self._uploads.start()
            self._running = True
        return self

    def stop(self) -> None:
        """Stop serving and delete the stored asset bytes."""
        if self._running:
            self._server.stop()
            if self._uploads is not None:
                self._uploads.stop()
            self._running = False
        shutil.rmtree(self._storage, ignore_errors=True)

    # -- addresses ----------------------------------------------------------------------
    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: the API's origin, which also serves the "web" URLs."""
        return self._server.url

    @property
    def api_url(self) -> str:
        """What to pass as PyGithub's ``base_url`` and as ``GITHUB_API_URL``."""
        return self.app.api_url

    @property
    def uploads_url(self) -> str:
        """The uploads host (plus ``/api/uploads`` on GHES): where ``upload_url`` points."""
        return self.app.uploads_url

    @property
    def layout(self) -> Layout:
        return self.app.layout

    @property
    def repository(self) -> str:
        return f"{self.state.owner}/{self.state.repo}"

    def environ(self) -> dict[str, str]:
        """The runner variables that point a product step at this stand-in."""
        return {
            "GITHUB_API_URL": self.api_url,
            "GITHUB_SERVER_URL": self.app.web_url,
            "GITHUB_REPOSITORY": self.repository,
            "GITHUB_REPOSITORY_OWNER": self.state.owner,
        }

    # -- seeding and reading state ----------------------------------------------------------
    def seed_release(
        self,
        *,
        tag_name: str,
        draft: bool = False,
        prerelease: bool = False,
        immutable: bool | None = None,
        name: str | None = None,
        body: str | None = None,
        target_commitish: str | None = None,
        make_latest: bool | MakeLatest | None = None,
    ) -> Release:
        """Create a release directly in the state (no HTTP, not recorded)."""
        return self.state.add_release(
            tag_name=tag_name,
            draft=draft,
            prerelease=prerelease,
            immutable=immutable,
            name=name if name is not None else tag_name,
            body=body,
            target_commitish=target_commitish,
            make_latest=make_latest,
        )

    def seed_asset(
        self,
        release_id: int,
        *,
        name: str,
        data: bytes | None = None,
        label: str | None = None,
        content_type: str = "application/octet-stream",
        state: AssetState = "uploaded",
        digest_recorded: bool = True,
    ) -> Asset:
        """Attach an asset directly (``state="starter"``: a broken upload's leftover;
        ``digest_recorded=False``: uploaded before GitHub recorded digests)."""
        return self.state.add_asset(
            release_id,
            name=name,
            data=data,
            label=label,
            content_type=content_type,
            state=state,
            digest_recorded=digest_recorded,
        )

    def burn_tag(self, tag_name: str) -> None:
        """Mark ``tag_name`` as once used by an immutable release (since deleted)."""
        with self.state.lock:
            self.state.burned_tags.add(tag_name)

    def releases(self) -> list[Release]:
        """Every release, drafts included, newest first (live objects: read under no lock)."""
        return self.state.releases_newest_first()

    def release(self, release_id: int) -> Release:
        return self.state.release(release_id)

    def releases_for_tag(self, tag_name: str) -> list[Release]:
        return self.state.find_releases(tag_name=tag_name)

    def assets(self, release_id: int) -> list[Asset]:
        with self.state.lock:
            return list(self.state.release(release_id).assets)

    # -- recorded traffic -------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order (a copy)."""
        return list(self.app.requests)

    def mutating_requests(self) -> list[RecordedRequest]:
        """Requests other than GET/HEAD/OPTIONS (a dry run must make none)."""
        return [r for r in self.app.requests if r.mutating]

    def requests_for(self, operation_id: str) -> list[RecordedRequest]:
        """Requests routed to one operation (e.g. ``"repos/upload-release-asset"``)."""
        return [r for r in self.app.requests if r.operation_id == operation_id]

    def clear_requests(self) -> None:
        self.app.requests.clear()

    @property
    def violations(self) -> list[Violation]:
        """Spec violations seen so far, requests and responses (a copy)."""
        return list(self.app.violations)

    def clear_violations(self) -> None:
        self.app.violations.clear()

    def violation_report(self) -> str:
        return "\n".join(str(v) for v in self.app.violations)

    def assert_no_violations(self) -> None:
        if self.app.violations:
            count = len(self.app.violations)
            raise SpecViolationError(
                f"{count} OpenAPI violation(s) against the GitHub stand-in:\n"
                + self.violation_report()
            )

    @property
    def validation_overhead(self) -> float:
        """Mean seconds spent validating one request or response."""
        return self.app.validation_seconds / self.app.validations if self.app.validations else 0.0
