"""A tag's release on GitHub: finding it among every release (drafts included), and
creating its draft without ever making two.

Example::

    found = find_release(repo, "v1.2.3", policy)   # every page: drafts are not by-tag
    draft = the_draft(found)                        # None, the one draft, or an error
    draft = draft or create_draft(repo, policy, DraftSpec(tag="v1.2.3", ...))

GitHub's rules modelled here: ``GET /releases/tags/{tag}`` never returns drafts, so every
page of ``GET /releases`` is read; drafts and pre-releases cannot be "latest", so a draft is
created without ``make_latest`` (that is decided when it is published). A ``POST`` that
failed may still have created the release, so before trying again the releases are looked
at; two jobs racing may both create one, and the younger draft is deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from github.GithubException import GithubException
from github.GitRelease import GitRelease
from github.Repository import Repository

from release_actions.errors import ReleaseStateError
from release_actions.github.client import api_error
from release_actions.github.retry import RetryPolicy


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
            f"there is no release (draft or published) for tag {found.tag}",
            fix="create it first with the draft-release action; add-wheels-to-release never "
            "creates releases",
        )
    return found.drafts[0]


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


def create_draft(
    repo: Repository, policy: RetryPolicy, spec: DraftSpec, *, log: Callable[[str], None]
) -> GitRelease:
    """Create the draft; after a failure that may hide a success, look before retrying."""
    attempts = 0

    def create() -> GitRelease:
        nonlocal attempts
        if attempts:
            made = the_draft(find_release(repo, spec.tag, policy))
            if made is not None:
                log(f"the draft for {spec.tag} was created by the failed attempt: using it")
                return made
        attempts += 1
        policy.gate.acquire()
        return repo.create_git_release(
            spec.tag,
            name=spec.name,
            message=spec.body,
            draft=True,
            prerelease=spec.prerelease,
            target_commitish=spec.target_commitish,
        )

    try:
        release = policy.call(create, what=f"creating the draft release for {spec.tag}")
    except GithubException as exc:
        raise api_error(exc, f"creating the draft release for {spec.tag}") from exc
    # Two jobs racing can both create a draft: keep the oldest, delete ours if it is not.
    found = find_release(repo, spec.tag, policy)
    if len(found.drafts) > 1:
        oldest = min(found.drafts, key=lambda d: d.id)
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
