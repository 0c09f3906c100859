"""ExpectedIdentity and the SAN-prefix policy, against certificates from the stand-in."""

from __future__ import annotations

import pytest
from sigstore.errors import VerificationError
from sigstore.oidc import IdentityToken

from release_actions.errors import InputError
from release_actions.signing.policy import ExpectedIdentity, SANPrefix
from release_actions_dev.standins.sigstore import SigstoreStandin

pytest_plugins = ["tests.standins.sigstore_conftest"]

RELEASE = "https://github.com/octo/example/.github/workflows/release.yml@refs/tags/v1.0.0"


def test_for_github_builds_the_san_from_repository_workflow_and_ref() -> None:
    exact = ExpectedIdentity.for_github(
        repository="octo/example", workflow="release.yml", ref="refs/tags/v1.0.0"
    )
    assert exact.san == RELEASE
    assert exact.san_prefix is None
    any_ref = ExpectedIdentity.for_github(
        repository="octo/example", workflow=".github/workflows/release.yml"
    )
    assert any_ref.san_prefix == RELEASE.split("@", maxsplit=1)[0] + "@"
    reusable = ExpectedIdentity.for_github(
        repository="octo/example", workflow="octo/shared/.github/workflows/sign.yml"
    )
    assert reusable.san_prefix == "https://github.com/octo/shared/.github/workflows/sign.yml@"
    anything = ExpectedIdentity.for_github(repository="octo/example")
    assert anything.san_prefix == "https://github.com/octo/example/"


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"repository": "example"}, "owner/repo"),
        ({"repository": "octo/example", "ref": "v1.0.0"}, "refs/tags/v1.0.0"),
        ({"repository": "octo/example", "workflow": "release.yml@main"}, "`ref` input"),
    ],
)
def test_for_github_refuses_malformed_inputs(kwargs: dict[str, str], fragment: str) -> None:
    with pytest.raises(InputError) as caught:
        ExpectedIdentity.for_github(**kwargs)
    assert fragment in caught.value.diagnostics()


def test_policies_accept_and_reject_real_certificates(
    shared_sigstore_standin: SigstoreStandin,
) -> None:
    standin = shared_sigstore_standin
    with standin.signing_context().signer(IdentityToken(standin.issue_token())) as signer:
        cert = signer.sign_artifact(b"x").signing_certificate
    issuer = standin.issuer_url
    SANPrefix("https://github.com/octo/example/", issuer=issuer).verify(cert)
    ExpectedIdentity.for_github(repository="octo/example", issuer=issuer).policy().verify(cert)
    ExpectedIdentity.for_github(
        repository="octo/example", workflow="release.yml", ref="refs/tags/v1.0.0", issuer=issuer
    ).policy().verify(cert)
    with pytest.raises(VerificationError, match=r"got .*expected one starting with"):
        SANPrefix("https://github.com/octo/other/", issuer=issuer).verify(cert)
    with pytest.raises(VerificationError):
        SANPrefix("https://github.com/octo/example/", issuer="https://elsewhere").verify(cert)
    # A prefix must not be fooled by a longer repository name.
    with pytest.raises(VerificationError):
        ExpectedIdentity.for_github(repository="octo/exam", issuer=issuer).policy().verify(cert)
