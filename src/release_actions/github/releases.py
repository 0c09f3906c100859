"""A tag's release on GitHub: finding it among every release (drafts included), and
creating its draft without ever making two.

Example::

    found = find_release(repo, "v1.2.3", policy)   # every page: drafts are not by-tag
    draft = the_draft(found)                        # None, the one draft, or an error
    draft = draft or create_draft(repo, policy, DraftSpec(tag="v1.2.3", ...), log=print)
    release = release_for_upload(repo, "v1.2.3", policy)   # published: one request

GitHub's rules followed here (sources in the stand-ins' FIDELITY.md):

* ``GET /releases/tags/{tag}`` never returns drafts, so finding a draft reads every page of
  ``GET /releases`` — and only a token that may push sees drafts at all, so a 403 on
  create says the token may be why no draft was found;
* drafts and pre-releases cannot be "latest" (422), and GitHub does not remember a draft's
  ``make_latest``: a draft is created *without* ``make_latest`` (PyGithub's
  ``create_git_release`` always sends one, so the POST is made here), and "latest" is
  decided when the draft is published;
* a tag once used by an immutable release cannot be released again, even after that
  release was deleted (GitHub refuses to publish it; the draft itself is accepted).

A ``POST`` that failed may still have created the release, so before trying again the
releases are looked at; two jobs racing may both create a draft, and the younger one is
deleted. That check reads the listing (newest first) only until just past our own draft.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from github.GithubException import GithubException
from github.GitRelease import GitRelease
from github.Repository import Repository

from release_actions.errors import ReleaseStateError
from release_actions.github.client import api_error, error_messages
from release_actions.github.retry import RetryPolicy

#: Drafts are listed only to tokens that may push: said wherever a draft may be missing.
HIDDEN_DRAFTS = (
    "drafts are listed only to a token that may push, so a read-only token sees none "
    "(give the job `permissions: contents: write`)"
)


@dataclass(frozen=True)
class FoundRelease:
    """Every release for one tag: at most one published, any number of drafts."""

    tag: str
    published: GitRelease | None
    drafts: tuple[GitRelease, ...]


def list_releases(repo: Repository, policy: RetryPolicy) -> list[GitRelease]:
    """Every release of the repository, drafts included (every page, 100 per page)."""
    try:
        return policy.call(lambda: list(repo.get_releases()), what="listing the releases")
    except GithubException as exc:
        raise api_error(exc, "listing the repository's releases") from exc


def find_release(repo: Repository, tag: str, policy: RetryPolicy) -> FoundRelease:
    """All releases for ``tag``, drafts included.

    ``GET /releases/tags/{tag}`` never returns drafts, so every page of ``GET /releases``
    is read.
    """
    return releases_for_tag(list_releases(repo, policy), tag)


def releases_for_tag(releases: list[GitRelease], tag: str) -> FoundRelease:
    published: GitRelease | None = None
    drafts: list[GitRelease] = []
    for release in releases:
        if release.tag_name != tag:
            continue
        if release.draft:
            drafts.append(release)
        elif published is None:
            published = release
    return FoundRelease(tag, published, tuple(drafts))


def the_draft(found: FoundRelease) -> GitRelease | None:
    """The one draft for the tag; an error for a published release or two drafts."""
    if found.published is not None:
        raise ReleaseStateError(
            f"release {found.tag} is already published ({found.published.html_url})",
            fix="add files to a published release with the add-wheels-to-release action; "
            "draft-release only prepares drafts",
        )
    if len(found.drafts) > 1:
        ids = ", ".join(str(d.id) for d in found.drafts)
        raise ReleaseStateError(
            f"{len(found.drafts)} draft releases exist for tag {found.tag} (ids {ids})",
            fix="delete the extra drafts on the releases page so one remains, then re-run",
        )
    return found.drafts[0] if found.drafts else None


def the_release(found: FoundRelease) -> GitRelease:
    """The published release for the tag, else its only draft; never creates one."""
    if found.published is not None:
        return found.published
    if len(found.drafts) > 1:
        ids = ", ".join(str(d.id) for d in found.drafts)
        raise ReleaseStateError(
            f"{len(found.drafts)} draft releases exist for tag {found.tag} (ids {ids})",
            fix="delete the extra drafts on the releases page so one remains, then re-run",
        )
    if not found.drafts:
        raise ReleaseStateError(
            f"there is no release (draft or published) for tag {found.tag}; {HIDDEN_DRAFTS}",
            fix="create it first with the draft-release action (add-wheels-to-release never "
            "creates releases), or run with a token that may write releases",
        )
    return found.drafts[0]


def release_for_upload(repo: Repository, tag: str, policy: RetryPolicy) -> GitRelease:
    """The published release for ``tag`` (one request), else its only draft (every page)."""
    try:
        return policy.call(lambda: repo.get_release(tag), what=f"reading release {tag}")
    except GithubException as exc:
        if exc.status != 404:
            raise api_error(exc, f"reading release {tag}") from exc
    return the_release(find_release(repo, tag, policy))


def tag_commit(repo: Repository, tag: str, policy: RetryPolicy) -> str | None:
    """The commit ``tag`` points to on GitHub (annotated tags dereferenced), or None."""

    def resolve() -> str:
        ref = repo.get_git_ref(f"tags/{tag}")
        sha, kind = ref.object.sha, ref.object.type
        for _ in range(5):  # a tag of a tag of … a commit
            if kind != "tag":
                break
            tag_object = repo.get_git_tag(sha)
            sha, kind = tag_object.object.sha, tag_object.object.type
        return sha

    try:
        return policy.call(resolve, what=f"reading tag {tag}")
    except GithubException as exc:
        if exc.status == 404:
            return None
        raise api_error(exc, f"reading tag {tag}") from exc


@dataclass(frozen=True)
class DraftSpec:
    """What a new draft is created with."""

    tag: str
    name: str
    body: str
    prerelease: bool
    target_commitish: str


def _post_draft(repo: Repository, spec: DraftSpec) -> GitRelease:
    """``POST /releases`` for a draft, without ``make_latest`` (see the module docstring)."""
    body = {
        "tag_name": spec.tag,
        "name": spec.name,
        "body": spec.body,
        "draft": True,
        "prerelease": spec.prerelease,
        "target_commitish": spec.target_commitish,
    }
    headers, data = repo.requester.requestJsonAndCheck("POST", f"{repo.url}/releases", input=body)
    return GitRelease(repo.requester, headers, data, completed=True)


def create_error(
    exc: GithubException, tag: str, *, doing: str | None = None
) -> ReleaseStateError | Exception:
    """What a refused create (or generate-notes, also a write) means for this tag, else
    :func:`api_error`."""
    doing = doing or f"creating the draft release for {tag}"
    messages = error_messages(exc)
    if exc.status == 403 and not any("rate limit" in m.lower() for m in messages):
        return ReleaseStateError(
            f"{doing} failed: GitHub answered 403 ({'; '.join(messages) or 'forbidden'}): the "
            f"token may not write releases, and {HIDDEN_DRAFTS}, so a draft for {tag} may "
            "already exist unseen",
            fix="give the job `permissions: contents: write` (or pass a `token` that may write "
            "releases), then re-run",
        )
    if any("used by an immutable release" in m for m in messages):
        return ReleaseStateError(
            f"{doing} failed: tag {tag} was used by an immutable release (since deleted); "
            "GitHub never lets such a tag be released again",
            fix="release a new version under a new tag (e.g. the next patch or a .post1)",
        )
    return api_error(exc, doing)


def _drafts_near(
    repo: Repository, policy: RetryPolicy, release: GitRelease, *, slack: float
) -> list[GitRelease]:
    """Drafts for ``release``'s tag listed before it and just after it.

    GitHub lists releases newest first. A draft our earlier look missed was created after
    that look, so at most ``slack`` seconds (the time since the look, plus the timestamps'
    one-second resolution) before ours: the listing is read until ``release`` and on while
    releases are that recent — one page unless releases are made by the dozen per second.
    """

    def scan() -> list[GitRelease]:
        found: list[GitRelease] = []
        seen = False
        for item in repo.get_releases():
            if seen and item.created_at < release.created_at - timedelta(seconds=slack):
                break
            if item.tag_name == release.tag_name and item.draft:
                found.append(item)
            seen = seen or item.id == release.id
        return found

    try:
        return policy.call(scan, what="looking for a draft created at the same time")
    except GithubException as exc:
        raise api_error(exc, "listing the repository's releases") from exc


def create_draft(
    repo: Repository,
    policy: RetryPolicy,
    spec: DraftSpec,
    *,
    log: Callable[[str], None],
    looked_at: float | None = None,
) -> GitRelease:
    """Create the draft; after a failure that may hide a success, look before retrying.

    ``looked_at``: when (``time.monotonic()``) the releases were last listed and no draft
    was seen (default: now).
    """
    attempts = 0
    started = time.monotonic() if looked_at is None else looked_at

    def create() -> GitRelease:
        nonlocal attempts
        if attempts:
            made = the_draft(find_release(repo, spec.tag, policy))
            if made is not None:
                log(f"the draft for {spec.tag} was created by the failed attempt: using it")
                return made
        attempts += 1
        policy.gate.acquire()
        return _post_draft(repo, spec)

    try:
        release = policy.call(create, what=f"creating the draft release for {spec.tag}")
    except GithubException as exc:
        raise create_error(exc, spec.tag) from exc
    # Two jobs racing can both create a draft: keep the oldest, delete ours if it is not.
    drafts = _drafts_near(repo, policy, release, slack=time.monotonic() - started + 2)
    if len(drafts) > 1:
        oldest = min(drafts, key=lambda d: d.id)
        if oldest.id != release.id:
            log(
                f"another job created draft {oldest.id} at the same time; deleting ours ({release.id})"
            )
            try:
                policy.write(release.delete_release, what=f"deleting draft {release.id}")
            except GithubException as exc:
                raise api_error(exc, f"deleting the duplicate draft {release.id}") from exc
            return oldest
    return release
