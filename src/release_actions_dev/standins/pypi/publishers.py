"""PyPI's trusted publishers for GitHub, and how a job's OIDC token is matched to one.

Example::

    publisher = TrustedPublisher("octo/example", "release.yml", projects=("demo",))
    oidc = OidcVerifier(issuer=GITHUB_ISSUER, jwks_url=jwks, audience="pypi")
    claims = oidc.verify(token)                     # raises InvalidToken
    found = find_publisher([publisher], claims)     # raises InvalidPublisher

The rules are warehouse's (github.com/pypi/warehouse, ``warehouse/oidc/models/github.py``
and ``warehouse/oidc/services.py``; docs.pypi.org/trusted-publishers/): the token's
signature, issuer, audience and times are checked against the issuer's JWKS; a publisher
is looked up by the repository (owner and name), ``repository_owner_id`` and the workflow
file named in ``job_workflow_ref``, preferring one constrained to the token's
``environment`` over an unconstrained one; then ``sub``, ``repository``,
``repository_owner``, ``repository_owner_id`` and ``job_workflow_ref`` (=
``<repository>/.github/workflows/<file>@<ref or sha>``) are verified, and ``environment``
when the publisher names one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jwt
from packaging.utils import canonicalize_name

__all__ = ["InvalidPublisher", "InvalidToken", "OidcVerifier", "TrustedPublisher", "find_publisher"]

_WORKFLOW_FILENAME = re.compile(r"([^/]+\.(yml|yaml))(?=@)")


class InvalidToken(Exception):
    """The token does not verify (signature, issuer, audience, expiry)."""


class InvalidPublisher(Exception):
    """A valid token that no trusted publisher matches."""


@dataclass(frozen=True)
class TrustedPublisher:
    """A GitHub trusted publisher registered on ``projects``."""

    repository: str
    workflow: str
    environment: str = ""
    #: The stand-in Sigstore issuer's default ``repository_owner_id`` claim.
    repository_owner_id: str = "583231"
    projects: tuple[str, ...] = ()

    @property
    def owner(self) -> str:
        return self.repository.split("/", 1)[0]

    @property
    def job_workflow_ref(self) -> str:
        return f"{self.repository}/.github/workflows/{self.workflow}"

    def covers(self, project: str) -> bool:
        return canonicalize_name(project) in {canonicalize_name(p) for p in self.projects}


@dataclass(frozen=True)
class OidcVerifier:
    """Verifies tokens of one issuer with its JWKS, for one audience."""

    issuer: str
    jwks_url: str
    audience: str = "pypi"

    def verify(self, token: str) -> dict[str, Any]:
        # fidelity: pypi.oidc-token-verified
        try:
            key = jwt.PyJWKClient(self.jwks_url).get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=["RS256", "ES256"],
                audience=self.audience,
                issuer=self.issuer,
                leeway=30,
                options={"require": ["iss", "iat", "exp", "aud"], "strict_aud": True},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        return claims


def _workflow_file(job_workflow_ref: str) -> str | None:
    match = _WORKFLOW_FILENAME.search(job_workflow_ref)
    return match.group(1) if match else None


def find_publisher(
    publishers: Sequence[TrustedPublisher], claims: Mapping[str, Any]
) -> TrustedPublisher:
    """The publisher ``claims`` match, as warehouse looks it up and verifies it."""
    # fidelity: pypi.publisher-lookup
    repository = str(claims.get("repository") or "")
    owner, _, name = repository.partition("/")
    workflow = _workflow_file(str(claims.get("job_workflow_ref") or ""))
    if not workflow:
        raise InvalidPublisher("Could not job extract workflow filename from OIDC claims")
    candidates = [
        p
        for p in publishers
        if p.repository == f"{owner}/{name}"
        and p.repository_owner_id == str(claims.get("repository_owner_id"))
        and p.workflow == workflow
    ]
    environment = claims.get("environment")
    chosen = None
    if environment:
        chosen = next((p for p in candidates if p.environment == str(environment).lower()), None)
    chosen = chosen or next((p for p in candidates if p.environment == ""), None)
    if chosen is None:
        raise InvalidPublisher("Publisher with matching claims was not found")
    _verify_claims(chosen, claims)
    return chosen


def _verify_claims(publisher: TrustedPublisher, claims: Mapping[str, Any]) -> None:
    for required in ("sub", "repository", "repository_owner", "repository_owner_id"):
        if not claims.get(required):
            raise InvalidPublisher(f"Missing claim {required!r}")
    org, _, rest = str(claims["sub"]).partition(":")
    sub_repo = rest.split(":", 1)[0]
    if f"{org}:{sub_repo}".lower() != f"repo:{publisher.repository}".lower():
        raise InvalidPublisher("Check failed for required claim 'sub'")
    if str(claims["repository"]).lower() != publisher.repository.lower():
        raise InvalidPublisher("Check failed for required claim 'repository'")
    if claims["repository_owner"] != publisher.owner:
        raise InvalidPublisher("Check failed for required claim 'repository_owner'")
    ref, sha = claims.get("ref"), claims.get("sha")
    if not (ref or sha):
        raise InvalidPublisher("The ref and sha claims are empty")
    expected = {f"{publisher.job_workflow_ref}@{r}" for r in (ref, sha) if r}
    if claims.get("job_workflow_ref") not in expected:
        raise InvalidPublisher(
            "The job_workflow_ref claim does not match, expecting one of "
            f"{sorted(expected)!r}, got {claims.get('job_workflow_ref')!r}"
        )
    if publisher.environment:
        # fidelity: pypi.publisher-environment
        environment = claims.get("environment")
        if not environment or str(environment).lower() != publisher.environment.lower():
            raise InvalidPublisher("Check failed for optional claim 'environment'")
