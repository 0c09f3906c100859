"""Turning a draft into a release: whether it becomes "latest", the repository's immutability.

Example::

    latest = decide_latest("auto", version=Version("1.2.3"), published=[Version("1.2.2")])
    immutable = immutable_releases(repo, policy)     # True, False, or None when unknown
    publish(release, policy, make_latest=latest, discussion_category=None)

GitHub's rules followed here (REST reference, "Update a release"): drafts and pre-releases
cannot be latest (422 "Latest release cannot be draft or prerelease."), so ``make_latest`` is
sent only on the call that publishes, and ``"false"`` for a pre-release; GitHub does not
remember a ``make_latest`` given to a draft. With the repository's immutable releases on,
a published release's assets and tag are frozen ("Immutable releases" docs), so no later
wheels can be added to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from github.GithubException import GithubException
from github.GitRelease import GitRelease
from github.Repository import Repository
from packaging.version import Version

from release_actions.errors import ReleaseStateError
from release_actions.github.client import api_error
from release_actions.github.retry import RetryPolicy

MakeLatest = Literal["auto", "true", "false"]


def decide_latest(
    choice: MakeLatest, *, version: Version | None, published: Sequence[Version]
) -> bool:
    """Whether publishing makes the release "latest".

    ``auto``: only a final release whose version is higher (PEP 440) than every published
    release's. ``true`` on a pre-release is refused: GitHub would answer 422.
    """
    final = version is not None and not version.is_prerelease
    if choice == "true":
        if not final:
            raise ReleaseStateError(
                "`make-latest: true` for a pre-release: GitHub refuses to mark a pre-release "
                "(or a draft) as the latest release",
                fix="leave `make-latest: auto` (a pre-release is never latest), or publish a "
                "final version",
            )
        return True
    if choice == "false" or not final or version is None:
        return False
    return all(version > other for other in published)


def immutable_releases(repo: Repository, policy: RetryPolicy) -> bool | None:
    """Whether the repository's releases are immutable once published (``GET
    /repos/{owner}/{repo}/immutable-releases``: 200 with ``enabled``, 404 when off); None
    when the token may not ask (GitHub Enterprise Server has no such endpoint)."""

    def ask() -> bool:
        _, data = repo.requester.requestJsonAndCheck("GET", f"{repo.url}/immutable-releases")
        return bool(data.get("enabled"))

    try:
        return policy.call(ask, what="reading the repository's immutable-releases setting")
    except GithubException as exc:
        if exc.status == 404:  # "Not Found if immutable releases are not enabled"
            return False
        if exc.status in (401, 403):
            return None
        raise api_error(exc, "reading the repository's immutable-releases setting") from exc


def publish(
    release: GitRelease,
    policy: RetryPolicy,
    *,
    make_latest: bool,
    discussion_category: str | None,
) -> GitRelease:
    """``PATCH`` the draft to published, deciding "latest" in this very call; title, notes
    and pre-release state stay as they are."""

    def patch() -> GitRelease:
        return release.update_release(
            release.name or release.tag_name,
            release.body or "",
            draft=False,
            prerelease=release.prerelease,
            make_latest="true" if make_latest else "false",
            **({"discussion_category_name": discussion_category} if discussion_category else {}),
        )

    try:
        return policy.write(patch, what=f"publishing release {release.tag_name}")
    except GithubException as exc:
        raise api_error(exc, f"publishing release {release.tag_name}") from exc
