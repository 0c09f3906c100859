"""One run's work on one tag's release: the skeleton every release step shares.

Example::

    with ReleaseSession(target, log=print, doing="adding files to release v1.2.3") as session:
        release = the_release(session.find("v1.2.3"))
        plan = plan_uploads(files, session.assets(release), overwrite=False)
        results = session.upload(release, plan, concurrency=4, overwrite=False)

A session holds the client, the one :class:`~release_actions.github.retry.RetryPolicy`
and the write gate shared by every request of the run (a rate limit seen by an upload
paces the next create too). Every method is one or a few requests; a GitHub error that
no method turned into a :class:`~release_actions.errors.ReleaseActionsError` leaves the
session as a :class:`~release_actions.errors.GitHubApiError` saying what the run was doing.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from github import Github
from github.GithubException import GithubException
from github.GitRelease import GitRelease
from github.Repository import Repository

from release_actions.github.client import GitHubTarget, api_error
from release_actions.github.plan import AssetResult, Plan, RemoteAsset
from release_actions.github.releases import (
    DraftSpec,
    FoundRelease,
    create_draft,
    find_release,
    tag_commit,
)
from release_actions.github.retry import RetryPolicy, WriteGate
from release_actions.github.upload import Uploader


class ReleaseSession:
    """A client, a retry policy and a write gate for one run; see the module docstring."""

    def __init__(self, target: GitHubTarget, *, log: Callable[[str], None], doing: str) -> None:
        self.target = target
        self.log = log
        self.doing = doing
        self.gate = WriteGate()
        self.policy = RetryPolicy(log=log, gate=self.gate)
        self._client: Github | None = None
        self._repo: Repository | None = None

    def __enter__(self) -> ReleaseSession:
        self._client = self.target.client()
        self._repo = self._client.get_repo(self.target.repository)  # lazy: no request
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._client is not None:
            self._client.close()
        if isinstance(error, GithubException):
            raise api_error(error, self.doing) from error

    @property
    def repo(self) -> Repository:
        if self._repo is None:
            raise RuntimeError("ReleaseSession used outside its `with` block")
        return self._repo

    def find(self, tag: str) -> FoundRelease:
        """Every release for ``tag``, drafts included."""
        return find_release(self.repo, tag, self.policy)

    def assets(self, release: GitRelease) -> list[RemoteAsset]:
        """Every asset of ``release`` (⌈N/100⌉ requests: listed items are not completed)."""
        try:
            return self.policy.call(
                lambda: [RemoteAsset.from_asset(a) for a in release.get_assets()],
                what=f"listing the assets of release {release.id}",
            )
        except GithubException as exc:
            raise api_error(exc, f"listing the assets of release {release.tag_name}") from exc

    def tag_commit(self, tag: str) -> str | None:
        return tag_commit(self.repo, tag, self.policy)

    def generate_notes(self, tag: str, target_commitish: str) -> str:
        """GitHub's generated notes for ``tag`` (nothing is saved on GitHub)."""
        try:
            notes = self.policy.call(
                lambda: self.repo.generate_release_notes(tag, target_commitish=target_commitish),
                what=f"generating release notes for {tag}",
            )
        except GithubException as exc:
            raise api_error(exc, f"generating release notes for {tag}") from exc
        return str(notes.body)

    def create_draft(self, spec: DraftSpec) -> GitRelease:
        return create_draft(self.repo, self.policy, spec, log=self.log)

    def upload(
        self, release: GitRelease, plan: Plan, *, concurrency: int, overwrite: bool
    ) -> list[AssetResult]:
        """Carry out ``plan`` on ``release`` with the shared engine and this run's gate."""
        uploader = Uploader.for_release(
            self.target,
            release,
            concurrency=concurrency,
            overwrite=overwrite,
            log=self.log,
            gate=self.gate,
        )
        return uploader.execute(plan)
