"""GitHub releases: the client, finding a tag's release (drafts included), release notes.

Example::

    gh = github_client("ghs_…", api_url="https://api.github.com")
    repo = gh.get_repo("octo/demo")  # lazy: no request
    found = find_release(repo, "v1.2.3")          # lists every page: drafts are not by-tag
    notes = changelog_section(Path("CHANGELOG.md"), Version("1.2.3"))

Throttling, chosen deliberately (PyGithub's defaults wait 0.25 s before every request and
1 s between writes, serialising a 200-file release into minutes):

* reads are not paced (``seconds_between_requests=0``): a run makes a handful (a few
  pages of releases, one asset list); the primary limit (1,000/h for ``GITHUB_TOKEN``)
  is far away, and :class:`~github.GithubRetry` waits for ``X-RateLimit-Reset`` if hit;
* API writes (create/patch a release, delete an asset) are spaced 0.75 s apart — GitHub's
  documented budget of 80 content-creating requests per minute. They are few per run;
* uploads, the bulk of the writes, go through :mod:`release_actions.upload`, which bounds
  concurrency and paces itself adaptively (see there).

``GithubRetry`` retries reads and idempotent writes on 5xx and on rate-limit answers
(honouring ``Retry-After``), with exponential backoff. ``POST`` is *not* retried by
urllib3: a 502 after GitHub created a release must not create a second one, so
:func:`create_draft` re-looks for the release before trying again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from packaging.version import InvalidVersion, Version

from release_actions.errors import GitHubApiError, InputError, ReleaseStateError

if TYPE_CHECKING:
    from github import Github
    from github.GithubException import GithubException
    from github.GitRelease import GitRelease
    from github.Repository import Repository

#: GitHub refuses release bodies longer than this (``body is too long``).
MAX_BODY_CHARS = 125_000
#: Changelog files looked for, in this order, when ``changelog`` is not given.
CHANGELOG_NAMES = (
    "CHANGELOG.md",
    "CHANGES.rst",
    "CHANGES.md",
    "HISTORY.rst",
    "CHANGELOG.rst",
    "HISTORY.md",
    "NEWS.md",
    "NEWS.rst",
)
#: 60 s / 80 content-creating requests per minute (GitHub's documented secondary limit).
SECONDS_BETWEEN_WRITES = 0.75
#: Seconds before a request without an answer fails (PyGithub's default is 15).
TIMEOUT = 60
#: Retries of one API request (5xx, resets, rate limits); backoff 0, 1, 2, 4, 8 s (+ jitter).
API_RETRIES = 5

NotesMode = Literal["auto", "changelog", "generate", "none"]


@dataclass(frozen=True)
class GitHubTarget:
    """Which server and repository to talk to, and with what token."""

    api_url: str
    repository: str
    token: str = field(repr=False)

    def __post_init__(self) -> None:
        owner, _, name = self.repository.partition("/")
        if not owner or not name or "/" in name:
            raise InputError(
                f"GITHUB_REPOSITORY is {self.repository!r}, expected 'owner/name'",
                fix="run in GitHub Actions, or set GITHUB_REPOSITORY=owner/name",
            )
        if not self.token:
            raise InputError(
                "no token to talk to GitHub",
                fix="pass `token` (default `${{ github.token }}`) or set GITHUB_TOKEN",
            )

    def client(self) -> Github:
        return github_client(self.token, api_url=self.api_url)


def github_client(
    token: str, *, api_url: str, paced: bool = True, timeout: int = TIMEOUT
) -> Github:
    """A PyGithub client for ``api_url`` with the throttle and retry policy above.

    ``paced=False`` gives a client for the upload engine's workers: no PyGithub pacing and
    no urllib3 retries (the engine retries and paces uploads itself, and must see every
    failure to clean up after it).
    """
    from github import Auth, Github, GithubRetry  # noqa: PLC0415

    if paced:
        retry: GithubRetry | None = GithubRetry(
            total=API_RETRIES,
            backoff_factor=0.5,
            backoff_jitter=0.5,
            backoff_max=30,
            secondary_rate_wait=60,
            allowed_methods=frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"}),
        )
    else:
        retry = None
    return Github(
        base_url=api_url.rstrip("/"),
        auth=Auth.Token(token),
        per_page=100,
        timeout=timeout,
        retry=retry,
        seconds_between_requests=0.0,
        seconds_between_writes=SECONDS_BETWEEN_WRITES if paced else 0.0,
        user_agent="release-actions",
        lazy=True,
    )


def api_error(exc: GithubException, doing: str) -> GitHubApiError:
    """A user-facing error for a failed API call, with the usual fixes."""
    status = exc.status
    data = exc.data if isinstance(exc.data, dict) else {}
    message = str(data.get("message") or exc.message or "no message")
    fixes = {
        401: "the token is invalid or expired: pass a valid `token` (default `${{ github.token }}`)",
        403: "give the workflow `permissions: contents: write` (or a token that may write releases)",
        404: "check GITHUB_REPOSITORY and that the token can see the repository",
    }
    fix = fixes.get(status, "re-run the job; if it persists, check https://www.githubstatus.com")
    errors = data.get("errors")
    detail = f" ({errors})" if errors else ""
    return GitHubApiError(f"{doing} failed: GitHub answered {status}: {message}{detail}", fix=fix)


# -- finding the release ------------------------------------------------------------------
@dataclass(frozen=True)
class FoundRelease:
    """Every release for one tag: at most one published, any number of drafts."""

    tag: str
    published: GitRelease | None
    drafts: tuple[GitRelease, ...]


def find_release(repo: Repository, tag: str) -> FoundRelease:
    """All releases for ``tag``, drafts included.

    ``GET /releases/tags/{tag}`` never returns drafts, so every page of ``GET /releases``
    (100 per page) is read.
    """
    from github.GithubException import GithubException  # noqa: PLC0415

    published: GitRelease | None = None
    drafts: list[GitRelease] = []
    try:
        for release in repo.get_releases():
            if release.tag_name != tag:
                continue
            if release.draft:
                drafts.append(release)
            elif published is None:
                published = release
    except GithubException as exc:
        raise api_error(exc, "listing the repository's releases") from exc
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


def tag_commit(
    repo: Repository, tag: str, *, local: Callable[[str], str | None] | None = None
) -> str | None:
    """The commit ``tag`` points to: from the local checkout, else from git refs via the API."""
    from github.GithubException import GithubException  # noqa: PLC0415

    if local is not None:
        sha = local(tag)
        if sha:
            return sha
    try:
        ref = repo.get_git_ref(f"tags/{tag}")
        sha, kind = ref.object.sha, ref.object.type
        for _ in range(5):  # a tag of a tag of … a commit
            if kind != "tag":
                break
            tag_object = repo.get_git_tag(sha)
            sha, kind = tag_object.object.sha, tag_object.object.type
    except GithubException as exc:
        if exc.status == 404:
            return None
        raise api_error(exc, f"reading tag {tag}") from exc
    return sha


# -- release notes ------------------------------------------------------------------------
def detect_changelog(root: Path) -> Path | None:
    """The first of :data:`CHANGELOG_NAMES` present in ``root``."""
    for name in CHANGELOG_NAMES:
        candidate = root / name
        if candidate.is_file():
            return candidate
    return None


_VERSION_TOKEN = re.compile(r"(?<![\w.])[vV]?(\d+(?:[.\-_+!]?[A-Za-z0-9]+)*)")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_RST_ADORNMENT = re.compile(r"^([=\-`:'\"~^_*+#<>])\1{2,}\s*$")


def _heading_version(text: str) -> Version | None:
    """The first PEP 440 version named in a heading (``[1.2.3] - 2024-01-02``, ``v1.2.3``)."""
    for match in _VERSION_TOKEN.finditer(text.replace("[", " ").replace("]", " ")):
        token = match.group(1)
        # Trailing dates (``1.2.3-2024-01-02``) are not part of the version.
        for candidate in (token, token.split("-")[0] if "-" in token else None):
            if candidate is None:
                continue
            try:
                return Version(candidate)
            except InvalidVersion:
                continue
    return None


def _markdown_section(lines: list[str], version: Version) -> str | None:
    in_fence = False
    start: int | None = None
    level = 0
    for index, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        if in_fence:
            continue
        heading = _MD_HEADING.match(line)
        if heading is None:
            continue
        depth = len(heading.group(1))
        if start is not None and depth <= level:
            return "\n".join(lines[start:index]).strip()
        if start is None and _heading_version(heading.group(2)) == version:
            start, level = index + 1, depth
    return "\n".join(lines[start:]).strip() if start is not None else None


def _rst_titles(lines: list[str]) -> Iterable[tuple[int, int, str, tuple[str, bool]]]:
    """(first line, body start, title, style) for each reST section title."""
    index = 0
    while index < len(lines) - 1:
        line, below = lines[index], lines[index + 1]
        over = _RST_ADORNMENT.match(line)
        if over and index + 2 < len(lines) and lines[index + 1].strip():
            under = _RST_ADORNMENT.match(lines[index + 2])
            if under and under.group(1) == over.group(1):
                yield index, index + 3, lines[index + 1].strip(), (over.group(1), True)
                index += 3
                continue
        under = _RST_ADORNMENT.match(below)
        if line.strip() and not over and under and len(below.rstrip()) >= len(line.rstrip()):
            yield index, index + 2, line.strip(), (under.group(1), False)
            index += 2
            continue
        index += 1


def _rst_section(lines: list[str], version: Version) -> str | None:
    levels: dict[tuple[str, bool], int] = {}
    start: int | None = None
    level = 0
    for first, body, title, style in _rst_titles(lines):
        depth = levels.setdefault(style, len(levels))
        if start is not None and depth <= level:
            return "\n".join(lines[start:first]).strip()
        if start is None and _heading_version(title) == version:
            start, level = body, depth
    return "\n".join(lines[start:]).strip() if start is not None else None


def changelog_section(path: Path, version: Version) -> str | None:
    """The text under ``version``'s heading in a Markdown or reST changelog, or None.

    Markdown: ``## 1.2.3``, ``## [1.2.3] - 2024-01-02``, ``# Version 1.2.3``; the section
    ends at the next heading of the same or a higher level. reST: titles underlined (or
    over- and underlined) with punctuation, levels in order of first appearance.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read changelog {path}: {exc}", fix="fix `changelog`") from exc
    lines = text.splitlines()
    if path.suffix.lower() in {".rst", ".txt", ""}:
        return _rst_section(lines, version) or _markdown_section(lines, version)
    return _markdown_section(lines, version) or _rst_section(lines, version)


def truncate_body(body: str, *, link: str | None = None) -> str:
    """``body`` cut to GitHub's 125,000-character limit, with a note saying so."""
    if len(body) <= MAX_BODY_CHARS:
        return body
    where = f" See {link} for the full notes." if link else ""
    note = (
        f"\n\n…\n\n*Release notes truncated to GitHub's {MAX_BODY_CHARS:,}-character limit.{where}*"
    )
    cut = body[: MAX_BODY_CHARS - len(note)]
    newline = cut.rfind("\n")
    if newline > MAX_BODY_CHARS // 2:
        cut = cut[:newline]
    return cut + note


def version_of_tag(tag: str, prefix: str = "v") -> Version | None:
    """The PEP 440 version a tag names (``v1.2.3`` → 1.2.3), or None."""
    text = tag[len(prefix) :] if prefix and tag.startswith(prefix) else tag
    try:
        return Version(text)
    except InvalidVersion:
        return None


DistKind = Literal["wheel", "sdist"]


def dist_identity(filename: str) -> tuple[str, Version, DistKind] | None:
    """(canonical project name, version, kind) of a wheel or sdist file name, else None.

    Names that look like a distribution but do not parse raise :class:`InputError`.
    """
    from packaging.utils import (  # noqa: PLC0415
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    try:
        if filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
            return str(name), version, "wheel"
        if filename.endswith((".tar.gz", ".zip")):
            name, version = parse_sdist_filename(filename)
            return str(name), version, "sdist"
    except (InvalidWheelFilename, InvalidSdistFilename) as exc:
        raise InputError(
            f"{filename} is not a valid distribution file name: {exc}",
            fix="upload the files exactly as the build produced them "
            "(https://packaging.python.org/specifications/binary-distribution-format/)",
        ) from exc
    return None
