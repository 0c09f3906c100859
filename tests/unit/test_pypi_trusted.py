"""How each refusal of the trusted-publishing exchange is explained, from PyPI's codes."""

from __future__ import annotations

import base64
import json

import pytest
import requests

from release_actions.pypi.errors import TrustedPublishingError
from release_actions.pypi.trusted import _minted, unverified_claims, workflow_file

CLAIMS = {
    "iss": "https://token.actions.githubusercontent.com",
    "sub": "repo:octo/example:environment:pypi",
    "repository": "octo/example",
    "repository_owner": "octo",
    "repository_owner_id": "583231",
    "job_workflow_ref": "octo/example/.github/workflows/publish.yaml@refs/tags/v1.0",
    "ref": "refs/tags/v1.0",
    "environment": "pypi",
}


def jwt_of(claims: dict[str, str]) -> str:
    part = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"eyJhbGciOiJFUzI1NiJ9.{part}.c2ln"


def answer(status: int, body: object) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    return response


def refusal(code: str, description: str = "…") -> TrustedPublishingError:
    body = {
        "message": "Token request failed",
        "errors": [{"code": code, "description": description}],
    }
    with pytest.raises(TrustedPublishingError) as raised:
        _minted(
            answer(422, body), "pypi", CLAIMS, base_url="https://upload.pypi.org", project="demo"
        )
    return raised.value


def test_claims_and_workflow_file() -> None:
    assert unverified_claims(jwt_of(CLAIMS))["repository"] == "octo/example"
    assert unverified_claims("not a jwt") == {}
    assert workflow_file(CLAIMS) == "publish.yaml"
    assert (
        workflow_file({"job_workflow_ref": "o/r/.github/workflows/a@b.yml@refs/heads/x"})
        == "a@b.yml"
    )


def test_invalid_publisher_names_what_to_register() -> None:
    error = refusal("invalid-publisher", "valid token, but no corresponding publisher (…)")
    assert "`invalid-publisher`: valid token, but no corresponding publisher" in error.message
    assert (
        "job_workflow_ref='octo/example/.github/workflows/publish.yaml@refs/tags/v1.0'"
        in error.message
    )
    assert error.fix is not None
    for fragment in (
        "'demo'",
        "repository octo/example",
        "workflow publish.yaml",
        "environment 'pypi'",
    ):
        assert fragment in error.fix


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("invalid-pending-publisher", "pending publisher"),
        ("not-enabled", "API token"),
        ("invalid-reuse-token", "fresh OIDC token"),
        ("invalid-token", "expired"),
        ("invalid-payload", "troubleshooting"),
    ],
)
def test_every_code_has_its_fix(code: str, fragment: str) -> None:
    error = refusal(code)
    assert f"`{code}`" in error.message
    assert error.fix is not None
    assert fragment in error.fix


def test_a_success_keeps_the_claims() -> None:
    minted = _minted(
        answer(200, {"success": True, "token": "pypi-abc", "expires": 1234}),
        "pypi",
        CLAIMS,
        base_url="https://upload.pypi.org",
        project="demo",
    )
    assert (minted.token, minted.expires, minted.audience) == ("pypi-abc", 1234.0, "pypi")
    assert "pypi-abc" not in repr(minted)
