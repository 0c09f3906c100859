"""Identity tokens: the one given, or GitHub's ambient OIDC token, and who they sign as.

Example::

    source = ambient_github_source(on_actions=True, event_name="push", event={},
                                   request_url=url, request_token=request, mask=runner.mask)
    token = source.fetch()                      # masked before it is returned
    identity = SigningIdentity.from_token(token)
    identity.san     # 'https://github.com/octo/example/.github/workflows/release.yml@refs/tags/v1.0.0'
    identity.issuer  # 'https://token.actions.githubusercontent.com'

The ambient token is fetched the way ``sigstore.oidc.detect_credential()`` (through ``id``)
does on GitHub Actions — ``GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=sigstore`` with the
request token as bearer — but from the runner's variables as the runner contract read
them (never from ``os.environ`` directly). Before any request, the three situations in which GitHub gives no
token are told apart: not on GitHub Actions, a pull request from a fork, a job without
``permissions: id-token: write``.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests

from release_actions.signing.errors import IdentityTokenError
from release_actions.signing.issuers import GITHUB_URL
from release_actions.signing.retry import retrying

AUDIENCE = "sigstore"

#: Events whose workflow runs with the fork's (read-only, token-less) permissions;
#: ``pull_request_target`` runs in the base repository and does get a token.
_PR_EVENTS = frozenset({"pull_request", "pull_request_review", "pull_request_review_comment"})


def token_claims(token: str) -> dict[str, Any]:
    """The token's claims, unverified (Fulcio verifies it; we only read who it names)."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise IdentityTokenError(
            "the identity token is not a JWT (three dot-separated parts)",
            fix="pass an OIDC ID token for the audience `sigstore` in `identity-token`",
        )
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        payload = None
    if not isinstance(payload, dict):
        raise IdentityTokenError(
            "the identity token's claims are not a JSON object",
            fix="pass an OIDC ID token for the audience `sigstore` in `identity-token`",
        )
    return payload


@dataclass(frozen=True)
class SigningIdentity:
    """Who a token signs as: the certificate's SAN and OIDC issuer, from the claims.

    GitHub: ``https://github.com/<job_workflow_ref>`` — the *called* workflow for a
    reusable workflow, not the caller. Other issuers: ``email``, else ``sub``.
    """

    san: str
    issuer: str
    expires: float
    repository: str | None = None
    ref: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_token(cls, token: str) -> SigningIdentity:
        claims = token_claims(token)
        issuer = claims.get("iss")
        if not isinstance(issuer, str) or not issuer:
            raise IdentityTokenError(
                "the identity token has no `iss` claim", fix="pass an OIDC ID token"
            )
        job_workflow_ref = claims.get("job_workflow_ref")
        if isinstance(job_workflow_ref, str) and job_workflow_ref:
            san = f"{GITHUB_URL}/{job_workflow_ref}"
        elif isinstance(claims.get("email"), str):
            san = str(claims["email"])
        elif isinstance(claims.get("sub"), str):
            san = str(claims["sub"])
        else:
            raise IdentityTokenError(
                "the identity token names nobody (no `job_workflow_ref`, `email` or `sub`)",
                fix="pass an OIDC ID token",
            )
        exp = claims.get("exp")
        repository, ref = claims.get("repository"), claims.get("ref")
        return cls(
            san=san,
            issuer=issuer,
            expires=float(exp) if isinstance(exp, int | float) else 0.0,
            repository=repository if isinstance(repository, str) else None,
            ref=ref if isinstance(ref, str) else None,
            claims=claims,
        )

    @property
    def is_github(self) -> bool:
        return "job_workflow_ref" in self.claims

    def check_fresh(self, *, given: bool, now: float | None = None) -> None:
        """Refuse a token that has already expired."""
        now = time.time() if now is None else now
        if self.expires and self.expires <= now:
            when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.expires))
            if given:
                raise IdentityTokenError(
                    f"the identity token given in `identity-token` expired at {when}",
                    fix="pass a fresh token (they live minutes), or leave `identity-token` empty "
                    "in GitHub Actions so the ambient token is used and refreshed when it expires",
                )
            raise IdentityTokenError(f"the ambient identity token expired at {when}")


class TokenSource(Protocol):
    """Where identity tokens come from; ``refreshable`` when a new one can be fetched."""

    @property
    def refreshable(self) -> bool: ...

    def fetch(self) -> str: ...


@dataclass(frozen=True)
class GivenToken:
    """The ``identity-token`` input: used as is, cannot be refreshed."""

    token: str

    @property
    def refreshable(self) -> bool:
        return False

    def fetch(self) -> str:
        return self.token


@dataclass(frozen=True)
class AmbientGitHubToken:
    """The GitHub runner's OIDC endpoint: a fresh token on every ``fetch()``, masked at once."""

    url: str
    request_token: str = field(repr=False)
    mask: Callable[[str], None] = lambda _: None
    audience: str = AUDIENCE
    timeout: float = 30.0

    @property
    def refreshable(self) -> bool:
        return True

    def fetch(self) -> str:

        def request() -> requests.Response:
            response = requests.get(
                self.url,
                params={"audience": self.audience},
                headers={"Authorization": f"bearer {self.request_token}"},
                timeout=self.timeout,
            )
            if response.status_code >= 500 or response.status_code == 429:
                response.raise_for_status()
            return response

        try:
            response = retrying(request, what="the GitHub OIDC token request")
        except requests.RequestException as exc:
            raise IdentityTokenError(
                f"the GitHub OIDC token request failed: {type(exc).__name__}",
                fix="re-run the job; if it persists, check https://www.githubstatus.com",
            ) from exc
        if response.status_code != 200:
            raise IdentityTokenError(
                f"the GitHub OIDC token request was refused with HTTP {response.status_code}",
                fix="give the job `permissions: id-token: write` and do not override "
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            )
        try:
            value = response.json()["value"]
        except (ValueError, KeyError, TypeError):
            value = None
        if not isinstance(value, str) or not value:
            raise IdentityTokenError(
                "the GitHub OIDC token endpoint answered without a token",
                fix="re-run the job",
            )
        self.mask(value)
        return value


def ambient_github_source(
    *,
    on_actions: bool,
    event_name: str,
    event: Mapping[str, Any],
    request_url: str,
    request_token: str,
    mask: Callable[[str], None] = lambda _: None,
) -> AmbientGitHubToken:
    """The runner's token endpoint, or an error saying why GitHub gives this job none.

    The arguments are the runner's variables (``GITHUB_ACTIONS``, ``GITHUB_EVENT_NAME``,
    the event payload, ``ACTIONS_ID_TOKEN_REQUEST_URL`` and ``…_TOKEN``).
    """
    if not on_actions:
        raise IdentityTokenError(
            "no identity token: `identity-token` is empty and this is not GitHub Actions, "
            "so there is no ambient OIDC token",
            fix="pass an OIDC token for the audience `sigstore` in `identity-token` "
            "(`--identity-token` on the command line), or run this step in GitHub Actions "
            "with `permissions: id-token: write`",
        )
    fork = _fork_pull_request(event_name, event)
    if fork is not None:
        raise IdentityTokenError(
            f"this run is for a pull request from the fork {fork}: GitHub gives workflows "
            "triggered from forks no OIDC token, so nothing can be signed",
            fix="sign on tag pushes or on branches of the repository itself, and skip this "
            "step for forks: `if: github.event.pull_request.head.repo.fork != true`",
        )
    if not request_url or not request_token:
        missing = (
            "ACTIONS_ID_TOKEN_REQUEST_URL" if not request_url else "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
        )
        raise IdentityTokenError(
            f"GitHub gave this job no OIDC token ({missing} is not set): the job lacks the "
            "`id-token: write` permission",
            fix="add `permissions: id-token: write` (with `contents: write` if the job also "
            "drafts the release) to the job that runs this step",
        )
    mask(request_token)
    return AmbientGitHubToken(url=request_url, request_token=request_token, mask=mask)


def _fork_pull_request(event_name: str, event: Mapping[str, Any]) -> str | None:
    """The fork's ``owner/repo`` when this run is for a pull request from a fork."""
    if event_name not in _PR_EVENTS:
        return None
    pull = event.get("pull_request")
    if not isinstance(pull, dict):
        return None
    head = (pull.get("head") or {}).get("repo") or {}
    base = (pull.get("base") or {}).get("repo") or {}
    head_name = head.get("full_name") if isinstance(head, dict) else None
    base_name = base.get("full_name") if isinstance(base, dict) else None
    if (isinstance(head, dict) and head.get("fork") is True) or (
        head_name and base_name and head_name != base_name
    ):
        return str(head_name or "of another repository")
    return None
