"""One run's work on one tag's release: the skeleton every release step shares.

Example::

    with ReleaseSession(target, log=print, doing="adding files to release v1.2.3") as session:
        release = session.release_for("v1.2.3")
        plan = plan_uploads(files, session.assets(release, compare=files), overwrite=False)
        results = session.upload(release, plan, concurrency=16, overwrite=False)

A session holds the client, the one :class:`~release_actions.github.retry.RetryPolicy`
and the write gate shared by every request of the run (a rate limit seen by an upload
paces the next create too). Every method is one or a few requests; a GitHub error that
no method turned into a :class:`~release_actions.errors.ReleaseActionsError` leaves the
session as a :class:`~release_actions.errors.GitHubApiError` saying what the run was doing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from types import TracebackType

from github import Github
from github.GithubException import GithubException
from github.GitRelease import GitRelease
from github.Repository import Repository

from release_actions.github.client import GitHubTarget, api_error
from release_actions.github.plan import AssetResult, LocalFile, Plan, RemoteAsset
from release_actions.github.releases import (
    DraftSpec,
    FoundRelease,
    create_draft,
    create_error,
    find_release,
    release_for_upload,
    tag_commit,
)
from release_actions.github.retry import RetryPolicy, WriteGate
from release_actions.github.upload import Uploader, asset_bytes, asset_sha256

#: Assets without a recorded digest hashed at once (each a streamed download).
HASH_THREADS = 4
#: The most :meth:`ReleaseSession.read` holds in memory (signatures, provenance).
READ_LIMIT = 16 * 1024 * 1024


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
        #: When the releases were last listed (``time.monotonic()``).
        self._looked_at: float | None = None

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
        self._looked_at = time.monotonic()
        return find_release(self.repo, tag, self.policy)

    def release_for(self, tag: str) -> GitRelease:
        """The release files are added to: published (one request), else the only draft."""
        return release_for_upload(self.repo, tag, self.policy)

    def assets(
        self, release: GitRelease, *, compare: Sequence[LocalFile] = ()
    ) -> list[RemoteAsset]:
        """Every asset of ``release`` (⌈N/100⌉ requests: listed items are not completed).

        An asset GitHub recorded no digest for (uploaded before June 2025) that has the
        name and size of one of ``compare`` is downloaded and hashed as it streams, so an
        identical file is recognised as identical rather than called a conflict.
        """
        try:
            listed = self.policy.call(
                lambda: [RemoteAsset.from_asset(a) for a in release.get_assets()],
                what=f"listing the assets of release {release.id}",
            )
        except GithubException as exc:
            raise api_error(exc, f"listing the assets of release {release.tag_name}") from exc
        sizes = {f.name: f.size for f in compare}
        unknown = [
            i
            for i, a in enumerate(listed)
            if a.digest is None and not a.broken and sizes.get(a.name) == a.size
        ]
        if unknown:
            with ThreadPoolExecutor(max_workers=min(HASH_THREADS, len(unknown))) as pool:
                hashed = pool.map(self._hashed, (listed[i] for i in unknown))
                for index, asset in zip(unknown, hashed, strict=True):
                    listed[index] = asset
        return listed

    def sha256(self, asset: RemoteAsset) -> str:
        """The sha256 of ``asset``'s bytes, hashed as they stream from GitHub."""
        return asset_sha256(self.target, asset, policy=self.policy)

    def read(self, asset: RemoteAsset) -> bytes:
        """``asset``'s bytes, for small files (at most :data:`READ_LIMIT`)."""
        return asset_bytes(self.target, asset, policy=self.policy, limit=READ_LIMIT)

    def _hashed(self, asset: RemoteAsset) -> RemoteAsset:
        sha256 = self.sha256(asset)
        self.log(
            f"{asset.name}: GitHub recorded no digest (an upload from before June 2025); "
            f"read its {asset.size:,} bytes: sha256:{sha256}"
        )
        return replace(asset, digest=f"sha256:{sha256}", digest_from="download")

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
            raise create_error(exc, tag, doing=f"generating release notes for {tag}") from exc
        return str(notes.body)

    def create_draft(self, spec: DraftSpec) -> GitRelease:
        return create_draft(self.repo, self.policy, spec, log=self.log, looked_at=self._looked_at)

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
