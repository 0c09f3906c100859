"""The GitHub REST client: which server and repository, with what token, and its errors.

Example::

    target = GitHubTarget(api_url="https://api.github.com", repository="octo/demo", token="ghs_…")
    gh = target.client()
    repo = gh.get_repo(target.repository)   # lazy: no request

PyGithub is built with no pacing and no urllib3 retries of its own: every request goes
through :class:`~release_actions.github.retry.RetryPolicy` (one policy for reads, writes
and uploads), and writes are paced only once GitHub has shown a rate limit. ``per_page``
is 100 (GitHub's maximum), so a listing of N items costs ⌈N/100⌉ requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from github import Auth, Github
from github.GithubException import GithubException

from release_actions.errors import GitHubApiError, InputError

#: Seconds before a request without an answer fails (PyGithub's default is 15).
TIMEOUT = 60
#: Items per page of every listing (GitHub's maximum).
PER_PAGE = 100


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

    def client(self, *, timeout: int = TIMEOUT) -> Github:
        return github_client(self.token, api_url=self.api_url, timeout=timeout)


def github_client(token: str, *, api_url: str, timeout: int = TIMEOUT) -> Github:
    """A PyGithub client for ``api_url``: no pacing, no retries of its own (see above)."""
    return Github(
        base_url=api_url.rstrip("/"),
        auth=Auth.Token(token),
        per_page=PER_PAGE,
        timeout=timeout,
        retry=None,
        seconds_between_requests=0.0,
        seconds_between_writes=0.0,
        user_agent="release-actions",
        lazy=True,
    )


def error_messages(exc: GithubException) -> list[str]:
    """GitHub's own words in an error answer: ``message`` and each error's ``message``
    (or ``code`` and ``field`` when it has none)."""
    data = exc.data if isinstance(exc.data, dict) else {}
    messages = [str(data["message"])] if data.get("message") else []
    for error in data.get("errors") or ():
        if isinstance(error, dict):
            text = error.get("message") or " ".join(
                str(error[k]) for k in ("field", "code") if error.get(k)
            )
            messages.append(str(text))
        else:
            messages.append(str(error))
    return messages


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
