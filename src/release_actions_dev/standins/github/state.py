"""The GitHub stand-in's state: one repository, its releases, assets, refs and tags.

Example::

    from pathlib import Path
    from release_actions_dev.standins.github.state import RepoState

    state = RepoState(owner="octo", repo="demo", default_branch="main", storage=Path("/tmp/s"))
    draft = state.add_release(tag_name="v1.0.0", draft=True)
    state.add_asset(draft.id, name="demo-1.0.0.tar.gz", data=b"...")
    assert state.find_releases(tag_name="v1.0.0") == [draft]

Asset bytes live in files under ``storage`` (never in memory). Every method takes the state
lock, so tests may read and seed while the server runs.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from release_actions_dev.standins.github.names import github_asset_name

__all__ = ["Asset", "GitRef", "GitTag", "Release", "RepoState", "utcnow"]

AssetState = Literal["uploaded", "starter"]
MakeLatest = Literal["true", "false", "legacy"]


def utcnow() -> datetime:
    """Now, in UTC, to the second (GitHub's timestamps have no fractions)."""
    return datetime.now(UTC).replace(microsecond=0)


def random_sha() -> str:
    """A random 40-hex object id."""
    return secrets.token_hex(20)


@dataclass
class Asset:
    """A release asset. ``path`` holds the bytes (``None`` for an empty/starter asset)."""

    id: int
    release_id: int
    name: str
    label: str | None
    content_type: str
    state: AssetState
    size: int = 0
    sha256: str | None = None
    path: Path | None = None
    download_count: int = 0
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    #: False for an asset uploaded before GitHub recorded digests (June 2025): ``digest``
    #: is then ``null`` although the bytes are there.
    digest_recorded: bool = True
    #: Test hook: merged into this asset's JSON, e.g. to check response validation is real.
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def digest(self) -> str | None:
        """``sha256:<hex>`` like GitHub, for uploaded assets (``None``: not recorded)."""
        # fidelity: gh.asset-digest, gh.digest-null
        if self.sha256 is None or not self.digest_recorded:
            return None
        return f"sha256:{self.sha256}"

    def read_bytes(self) -> bytes:
        """The stored bytes (``b""`` for a starter asset)."""
        return self.path.read_bytes() if self.path is not None else b""


@dataclass
class Release:
    """A release; ``assets`` in upload order."""

    id: int
    tag_name: str
    target_commitish: str
    name: str | None
    body: str | None
    draft: bool
    prerelease: bool
    immutable: bool = False
    created_at: datetime = field(default_factory=utcnow)
    published_at: datetime | None = None
    updated_at: datetime = field(default_factory=utcnow)
    assets: list[Asset] = field(default_factory=list)
    #: Test hook: merged into this release's JSON, e.g. to check response validation is real.
    overrides: dict[str, Any] = field(default_factory=dict)

    def asset_named(self, name: str) -> Asset | None:
        return next((a for a in self.assets if a.name == name), None)


@dataclass
class GitRef:
    """A git reference (``ref`` is fully qualified: ``refs/tags/v1.0.0``)."""

    ref: str
    sha: str
    type: str = "commit"


@dataclass
class GitTag:
    """An annotated tag object."""

    sha: str
    tag: str
    message: str
    object_sha: str
    object_type: str
    tagger_name: str = "Stand-in Tagger"
    tagger_email: str = "tagger@example.invalid"
    tagger_date: datetime = field(default_factory=utcnow)


class RepoState:
    """All mutable state of one stand-in repository (thread-safe)."""

    def __init__(
        self,
        *,
        owner: str,
        repo: str,
        default_branch: str,
        storage: Path,
        immutable_releases: bool = False,
    ) -> None:
        self.owner = owner
        self.repo = repo
        self.default_branch = default_branch
        #: Repository setting "Enable release immutability": releases published from now
        #: on become immutable.
        self.immutable_releases = immutable_releases
        self.storage = storage
        self.lock = threading.RLock()
        self.releases: dict[int, Release] = {}
        self.refs: dict[str, GitRef] = {}
        self.tags: dict[str, GitTag] = {}
        self.latest_release_id: int | None = None
        #: Tags once used by an immutable release: never usable by a published release again,
        #: even after that release is deleted.
        self.burned_tags: set[str] = set()
        self._ids = itertools.count(1)
        self._asset_ids = itertools.count(100_001)
        self.refs[f"refs/heads/{default_branch}"] = GitRef(
            f"refs/heads/{default_branch}", random_sha()
        )

    # -- ids ----------------------------------------------------------------------------
    def next_release_id(self) -> int:
        with self.lock:
            return next(self._ids)

    def next_asset_id(self) -> int:
        with self.lock:
            return next(self._asset_ids)

    # -- releases -----------------------------------------------------------------------
    def add_release(
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
        created_at: datetime | None = None,
    ) -> Release:
        """Seed (or create) a release. Publishing creates the tag ref if missing.

        ``immutable`` defaults to the repository setting for published releases.
        """
        with self.lock:
            now = created_at or utcnow()
            release = Release(
                id=self.next_release_id(),
                tag_name=tag_name,
                target_commitish=target_commitish or self.default_branch,
                name=name,
                body=body,
                draft=draft,
                prerelease=prerelease,
                created_at=now,
                updated_at=now,
            )
            self.releases[release.id] = release
            if not draft:
                self.publish(release, make_latest=make_latest, immutable=immutable)
            elif immutable:
                raise ValueError("a draft release cannot be immutable")
            return release

    def publish(
        self,
        release: Release,
        *,
        make_latest: bool | MakeLatest | None = None,
        immutable: bool | None = None,
    ) -> None:
        """Mark ``release`` published (creating its tag if needed) and maybe latest.

        ``make_latest`` is what the publishing request says; a draft's own ``make_latest``
        is never remembered, so an absent one means "true" unless it is a prerelease.
        """
        with self.lock:
            release.draft = False
            release.published_at = release.published_at or utcnow()
            release.immutable = self.immutable_releases if immutable is None else immutable
            if release.immutable:
                self.burned_tags.add(release.tag_name)  # fidelity: gh.immutable-burned-tag
            tag_ref = f"refs/tags/{release.tag_name}"  # fidelity: gh.draft-no-tag
            if tag_ref not in self.refs:
                self.refs[tag_ref] = GitRef(tag_ref, self.resolve(release.target_commitish))
            # fidelity: gh.make-latest-publish
            if make_latest is None or make_latest is True:
                make_latest = "true"
            elif make_latest is False:
                make_latest = "false"
            if make_latest == "true" and not release.prerelease:
                self.latest_release_id = release.id
            elif make_latest == "legacy" and self.latest_release_id == release.id:
                self.latest_release_id = None

    def resolve(self, commitish: str) -> str:
        """The sha a branch, tag or sha names (unknown names: the default branch head)."""
        with self.lock:
            for candidate in (f"refs/heads/{commitish}", f"refs/tags/{commitish}", commitish):
                ref = self.refs.get(candidate)
                if ref is not None:
                    return ref.sha
            if len(commitish) == 40 and all(c in "0123456789abcdef" for c in commitish):
                return commitish
            return self.refs[f"refs/heads/{self.default_branch}"].sha

    def release(self, release_id: int) -> Release:
        """The release with ``release_id`` (``KeyError`` if none)."""
        with self.lock:
            return self.releases[release_id]

    def releases_newest_first(self) -> list[Release]:
        """All releases (drafts included) in GitHub's list order: newest first."""
        # fidelity: gh.list-order
        with self.lock:
            return sorted(self.releases.values(), key=lambda r: (r.created_at, r.id), reverse=True)

    def find_releases(self, *, tag_name: str) -> list[Release]:
        """Every release (drafts included) for ``tag_name``."""
        with self.lock:
            return [r for r in self.releases_newest_first() if r.tag_name == tag_name]

    def latest_release(self) -> Release | None:
        """What ``/releases/latest`` returns: never a draft or a prerelease."""
        with self.lock:
            chosen = self.releases.get(self.latest_release_id or -1)
            if chosen is not None and not chosen.draft and not chosen.prerelease:
                return chosen
            published = [r for r in self.releases.values() if not r.draft and not r.prerelease]
            return max(
                published, key=lambda r: (r.published_at or r.created_at, r.id), default=None
            )

    def delete_release(self, release_id: int) -> None:
        with self.lock:
            release = self.releases.pop(release_id)
            for asset in release.assets:
                self._discard_file(asset)
            if self.latest_release_id == release_id:
                self.latest_release_id = None

    # -- assets -------------------------------------------------------------------------
    def asset_file(self, asset_id: int) -> Path:
        return self.storage / f"asset-{asset_id}"

    def add_asset(
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
        """Seed an asset (``state="starter"`` leaves an empty leftover like a broken upload).

        ``name`` is stored as GitHub would store it (see ``github_asset_name``);
        ``digest_recorded=False`` makes an asset from before GitHub recorded digests.
        """
        with self.lock:
            release = self.releases[release_id]
            asset = Asset(
                id=self.next_asset_id(),
                release_id=release_id,
                name=github_asset_name(name),
                label=label,
                content_type=content_type,
                state=state,
                digest_recorded=digest_recorded,
            )
            if state == "uploaded":
                payload = data or b""
                asset.path = self.asset_file(asset.id)
                asset.path.write_bytes(payload)
                asset.size = len(payload)
                asset.sha256 = hashlib.sha256(payload).hexdigest()
            release.assets.append(asset)
            return asset

    def iter_assets(self) -> Iterator[Asset]:
        with self.lock:
            assets = [a for r in self.releases.values() for a in r.assets]
        yield from assets

    def asset(self, asset_id: int) -> Asset:
        """The asset with ``asset_id`` (``KeyError`` if none)."""
        with self.lock:
            for asset in self.iter_assets():
                if asset.id == asset_id:
                    return asset
            raise KeyError(asset_id)

    def delete_asset(self, asset_id: int) -> None:
        with self.lock:
            asset = self.asset(asset_id)
            self.releases[asset.release_id].assets.remove(asset)
            self._discard_file(asset)

    @staticmethod
    def _discard_file(asset: Asset) -> None:
        if asset.path is not None:
            asset.path.unlink(missing_ok=True)
            asset.path = None
