"""Token claims, the identity they sign as, and why GitHub gives no ambient token."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest

from release_actions.contract import GitHubEnv
from release_actions.signing.errors import IdentityTokenError
from release_actions.signing.tokens import SigningIdentity, ambient_github_source, token_claims


def jwt(**claims: object) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'ES256'})}.{part(claims)}.c2ln"


def test_identity_is_the_called_workflow() -> None:
    token = jwt(
        iss="https://token.actions.githubusercontent.com",
        job_workflow_ref="octo/shared/.github/workflows/sign.yml@refs/heads/main",
        workflow_ref="octo/example/.github/workflows/release.yml@refs/tags/v1",
        repository="octo/example",
        ref="refs/tags/v1",
        exp=time.time() + 300,
    )
    identity = SigningIdentity.from_token(token)
    assert (
        identity.san == "https://github.com/octo/shared/.github/workflows/sign.yml@refs/heads/main"
    )
    assert (identity.repository, identity.ref, identity.is_github) == (
        "octo/example",
        "refs/tags/v1",
        True,
    )
    identity.check_fresh(given=True)


def test_other_issuers_sign_as_email_or_sub() -> None:
    email = SigningIdentity.from_token(
        jwt(iss="https://accounts.google.com", email="a@b.c", sub="1")
    )
    assert email.san == "a@b.c"
    assert SigningIdentity.from_token(jwt(iss="https://x", sub="svc")).san == "svc"


def test_expired_given_token_says_the_fix() -> None:
    identity = SigningIdentity.from_token(jwt(iss="https://x", sub="s", exp=time.time() - 1))
    with pytest.raises(IdentityTokenError, match="leave `identity-token` empty"):
        identity.check_fresh(given=True)


@pytest.mark.parametrize(
    "token", ["not-a-jwt", "a.b.c", f"a.{base64.urlsafe_b64encode(b'[1]').decode()}.c"]
)
def test_malformed_tokens(token: str) -> None:
    with pytest.raises(IdentityTokenError):
        token_claims(token)


def test_ambient_source_explains_each_missing_token() -> None:
    def source_for(environ: dict[str, str], event: dict[str, Any], **kwargs: Any) -> Any:
        env = GitHubEnv.from_environ(environ)
        return ambient_github_source(
            on_actions=env.actions, event_name=env.event_name, event=event,
            request_url=env.id_token_request_url, request_token=env.id_token_request_token,
            **kwargs,
        )  # fmt: skip

    with pytest.raises(IdentityTokenError, match="not GitHub Actions"):
        source_for({}, event={})
    with pytest.raises(IdentityTokenError, match="id-token: write"):
        source_for({"GITHUB_ACTIONS": "true"}, event={})
    fork = {"pull_request": {"head": {"repo": {"full_name": "m/x", "fork": True}},
                             "base": {"repo": {"full_name": "o/x"}}}}  # fmt: skip
    env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request"}
    with pytest.raises(IdentityTokenError, match="fork m/x"):
        source_for(env, event=fork)
    masked: list[str] = []
    source = source_for(
        {**env, "GITHUB_EVENT_NAME": "pull_request_target", "ACTIONS_ID_TOKEN_REQUEST_URL": "http://x",
         "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "secret"},
        event=fork, mask=masked.append,
    )  # fmt: skip
    assert source.refreshable  # pull_request_target gets a token
    assert masked == ["secret"]
