"""Trusted publishing: the job's OIDC token exchanged for a short-lived upload token.

Example::

    minted = exchange(
        "https://upload.pypi.org",
        oidc_token=lambda audience: ambient.fetch(audience),   # the runner's token endpoint
        log=print,
    )
    minted.token     # 'pypi-…' (valid 15 minutes; mask it at once)

As PyPI documents it (docs.pypi.org/trusted-publishers/using-a-publisher/, "The manual
way"): ``GET {index}/_/oidc/audience`` names the audience (``pypi``, ``testpypi``); the
job's OIDC token for that audience is posted as ``{"token": …}`` to
``{index}/_/oidc/mint-token``; the answer is ``{"success": true, "token": …, "expires": …}``
or HTTP 422 with ``{"message": …, "errors": [{"code": …, "description": …}]}``. Each code
(docs.pypi.org/trusted-publishers/troubleshooting/) is explained with its fix, next to the
token's own claims (which are not secret) so the user can compare them with the publisher.

The engine knows no runner: the caller passes ``oidc_token(audience) -> str``. A retry
after a lost answer asks for a fresh OIDC token (PyPI refuses a token whose ``jti`` it has
seen: ``invalid-reuse-token``). :class:`UploadTokens` exchanges again when fewer than five
minutes of the minted token remain (twine's margin), so a long upload never outlives it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from release_actions.pypi.errors import TrustedPublishingError
from release_actions.pypi.retry import REQUEST_TIMEOUT, TransientStatus, describe, retrying

#: The claims shown next to an exchange error: what a trusted publisher is matched on.
SHOWN_CLAIMS = (
    "sub",
    "repository",
    "repository_owner",
    "repository_owner_id",
    "job_workflow_ref",
    "ref",
    "environment",
)
#: Exchange again when fewer seconds than this remain of the minted token.
REFRESH_MARGIN = 300.0
_WORKFLOW_FILE = re.compile(r"\.github/workflows/([^/]+\.ya?ml)(?=@)")


@dataclass(frozen=True)
class MintedToken:
    """An upload token from the exchange, and the OIDC claims it was minted for."""

    token: str = field(repr=False)
    expires: float | None
    audience: str
    claims: Mapping[str, Any] = field(default_factory=dict)


def unverified_claims(token: str) -> dict[str, Any]:
    """A JWT's claims, not verified (the index verifies them; we only show them)."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return {}
    return payload if isinstance(payload, dict) else {}


def workflow_file(claims: Mapping[str, Any]) -> str | None:
    """The workflow file name a GitHub token's ``job_workflow_ref`` names (``release.yml``)."""
    ref = claims.get("job_workflow_ref")
    match = _WORKFLOW_FILE.search(ref) if isinstance(ref, str) else None
    return match.group(1) if match else None


def _raise_if_transient(response: requests.Response, url: str) -> None:
    if response.status_code >= 500 or response.status_code == 429:
        raise TransientStatus(response.status_code, url)


def fetch_audience(base_url: str, *, session: requests.Session) -> str:
    """``GET {base}/_/oidc/audience`` → the audience the index expects."""
    url = f"{base_url}/_/oidc/audience"
    response = session.get(url, timeout=REQUEST_TIMEOUT)
    _raise_if_transient(response, url)
    if response.status_code == 403:
        raise TrustedPublishingError(
            f"{base_url} has trusted publishing turned off ({url} answered 403)",
            fix="pass an API token in `token` (a secret scoped to this project)",
        )
    if response.status_code == 404:
        raise TrustedPublishingError(
            f"{base_url} does not offer trusted publishing ({url} answered 404)",
            fix="pass an API token in `token`; trusted publishing needs PyPI, TestPyPI or "
            "an index implementing PyPI's /_/oidc/ endpoints",
        )
    try:
        audience = response.json()["audience"]
    except (ValueError, KeyError, TypeError):
        audience = None
    if response.status_code != 200 or not isinstance(audience, str) or not audience:
        raise TrustedPublishingError(
            f"{url} answered HTTP {response.status_code} without an audience",
            fix="check `repository-url`; or pass an API token in `token`",
        )
    return audience


def exchange(
    base_url: str,
    *,
    oidc_token: Callable[[str], str],
    project: str | None = None,
    log: Callable[[str], None] = lambda _: None,
    session: requests.Session | None = None,
) -> MintedToken:
    """Audience, OIDC token, mint: a short-lived upload token, or the refusal explained."""
    own = session is None
    http = session or requests.Session()
    try:
        audience = retrying(
            lambda: fetch_audience(base_url, session=http),
            what=f"asking {base_url} for its OIDC audience",
            log=log,
        )

        def mint() -> MintedToken:
            token = oidc_token(audience)
            response = http.post(
                f"{base_url}/_/oidc/mint-token", json={"token": token}, timeout=REQUEST_TIMEOUT
            )
            _raise_if_transient(response, f"{base_url}/_/oidc/mint-token")
            claims = unverified_claims(token)
            return _minted(response, audience, claims, base_url=base_url, project=project)

        return retrying(mint, what="the trusted-publishing token exchange", log=log)
    except requests.RequestException as exc:
        raise TrustedPublishingError(
            f"the trusted-publishing exchange with {base_url} failed ({describe(exc)})",
            fix="re-run the job; if it persists, check the index's status page",
        ) from exc
    except TransientStatus as exc:
        raise TrustedPublishingError(
            f"the trusted-publishing exchange with {base_url} failed ({exc})",
            fix="re-run the job; if it persists, check the index's status page",
        ) from exc
    finally:
        if own:
            http.close()


def _minted(
    response: requests.Response,
    audience: str,
    claims: Mapping[str, Any],
    *,
    base_url: str,
    project: str | None,
) -> MintedToken:
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code == 200 and isinstance(body, dict):
        token = body.get("token")
        if isinstance(token, str) and token:
            expires = body.get("expires")
            return MintedToken(
                token=token,
                expires=float(expires) if isinstance(expires, int | float) else None,
                audience=audience,
                claims=dict(claims),
            )
    errors = body.get("errors") if isinstance(body, dict) else None
    reasons = [
        (str(e.get("code", "")), str(e.get("description", "")))
        for e in (errors if isinstance(errors, list) else [])
        if isinstance(e, dict)
    ]
    raise _refusal(response.status_code, reasons, claims, base_url=base_url, project=project)


def _refusal(
    status: int,
    reasons: list[tuple[str, str]],
    claims: Mapping[str, Any],
    *,
    base_url: str,
    project: str | None,
) -> TrustedPublishingError:
    said = "; ".join(f"`{code}`: {text}" for code, text in reasons) or f"HTTP {status}"
    shown = ", ".join(f"{name}={claims[name]!r}" for name in SHOWN_CLAIMS if name in claims)
    message = f"{base_url} refused to mint an upload token ({said})"
    if shown:
        message += f"; the job's OIDC token claims {shown}"
    codes = {code for code, _ in reasons}
    workflow = workflow_file(claims) or "<workflow file>"
    repository = str(claims.get("repository") or "<owner>/<repository>")
    environment = claims.get("environment")
    where = f"the project {project!r}" if project else "the project"
    if "invalid-publisher" in codes:
        env_text = (
            f"environment {environment!r} (or none)"
            if environment
            else "no environment (or run the job in the publisher's environment)"
        )
        fix = (
            f"add a trusted publisher to {where} on the index (Manage project → Publishing): "
            f"GitHub, repository {repository}, workflow {workflow}, {env_text}; or correct the "
            "workflow file name or environment so they match the publisher already there "
            "(https://docs.pypi.org/trusted-publishers/adding-a-publisher/)"
        )
    elif "invalid-pending-publisher" in codes:
        fix = (
            f"{where} already exists, so a pending publisher no longer applies: add the "
            "trusted publisher to the project itself (Manage project → Publishing)"
        )
    elif "not-enabled" in codes:
        fix = "the index has trusted publishing turned off: pass an API token in `token`"
    elif "invalid-reuse-token" in codes:
        fix = "re-run the job (each exchange needs a fresh OIDC token)"
    elif "invalid-token" in codes:
        fix = (
            "re-run the job (the OIDC token may have expired); the token must come from "
            "this job's runner for the index's audience"
        )
    else:
        fix = (
            "see https://docs.pypi.org/trusted-publishers/troubleshooting/; or pass an API "
            "token in `token`"
        )
    return TrustedPublishingError(message, fix=fix)


class UploadTokens:
    """The minted upload token for each upload, exchanged anew shortly before it expires.

    ``on_mint`` sees every minted token first (the step masks it there).
    """

    def __init__(
        self,
        base_url: str,
        *,
        oidc_token: Callable[[str], str],
        on_mint: Callable[[MintedToken], None],
        project: str | None = None,
        log: Callable[[str], None] = lambda _: None,
    ) -> None:
        self._base_url = base_url
        self._oidc_token = oidc_token
        self._on_mint = on_mint
        self._project = project
        self._log = log
        self._minted: MintedToken | None = None
        self.exchanges = 0

    def current(self) -> MintedToken:
        minted = self._minted
        if minted is None or (
            minted.expires is not None and minted.expires - time.time() < REFRESH_MARGIN
        ):
            if minted is not None:
                self._log("the upload token expires soon: exchanging a fresh OIDC token")
            minted = exchange(
                self._base_url, oidc_token=self._oidc_token, project=self._project, log=self._log
            )
            self._on_mint(minted)
            self._minted = minted
            self.exchanges += 1
        return minted

    def __call__(self) -> str:
        return self.current().token
