"""What a signing certificate must say: the expected identity, as sigstore policies.

Example::

    expected = ExpectedIdentity.for_github(
        repository="octo/example", workflow=".github/workflows/release.yml", ref="refs/tags/v1.0.0"
    )
    expected.san      # 'https://github.com/octo/example/.github/workflows/release.yml@refs/tags/v1.0.0'
    verifier.verify_artifact(data, bundle, expected.policy())

Built from sigstore's ``policy`` module (``Identity``, ``GitHubWorkflowRepository``,
``GitHubWorkflowRef``); sigstore has no SAN-prefix policy, so :class:`SANPrefix` is ours
and implements its ``VerificationPolicy`` protocol (``verify(cert)`` raising
``VerificationError`` with "got X, expected Y").
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.x509 import (
    Certificate,
    ExtensionNotFound,
    RFC822Name,
    SubjectAlternativeName,
    UniformResourceIdentifier,
)
from sigstore.errors import VerificationError
from sigstore.verify import policy
from sigstore.verify.policy import OIDCIssuer, VerificationPolicy

from release_actions.errors import InputError
from release_actions.signing.issuers import GITHUB_OIDC_ISSUER, GITHUB_URL


def certificate_sans(cert: Certificate) -> list[str]:
    """URI and e-mail SANs of a certificate."""

    try:
        ext = cert.extensions.get_extension_for_class(SubjectAlternativeName).value
    except ExtensionNotFound:
        return []
    return [
        *ext.get_values_for_type(UniformResourceIdentifier),
        *ext.get_values_for_type(RFC822Name),
    ]


@dataclass(frozen=True)
class SANPrefix:
    """Accept a certificate whose URI SAN starts with ``prefix``, from ``issuer``."""

    prefix: str
    issuer: str | None = None

    def verify(self, cert: Certificate) -> None:

        if self.issuer:
            OIDCIssuer(self.issuer).verify(cert)
        sans = certificate_sans(cert)
        if not any(san.startswith(self.prefix) for san in sans):
            got = ", ".join(sans) or "no SAN"
            raise VerificationError(
                f"Certificate's SAN does not match (got {got}, expected one starting with {self.prefix})"
            )


@dataclass(frozen=True)
class ExpectedIdentity:
    """The identity a verifier requires: exact SAN or SAN prefix, issuer, GitHub claims."""

    issuer: str
    san: str | None = None
    san_prefix: str | None = None
    repository: str | None = None
    ref: str | None = None

    @classmethod
    def for_github(
        cls,
        *,
        repository: str,
        workflow: str | None = None,
        ref: str | None = None,
        issuer: str = GITHUB_OIDC_ISSUER,
    ) -> ExpectedIdentity:
        """A release of ``repository``; optionally by ``workflow`` (its path, or
        ``owner/repo/.github/workflows/x.yml`` for a reusable workflow elsewhere) at ``ref``."""
        repository = repository.strip().strip("/")
        if repository.count("/") != 1 or not all(repository.split("/")):
            raise InputError(
                f"repository {repository!r} is not `owner/repo`",
                fix="pass the repository that made the release, e.g. `octo/example`",
            )
        if ref is not None and not ref.startswith("refs/"):
            raise InputError(
                f"ref {ref!r} is not a full ref",
                fix=f"write `refs/tags/{ref}` (or `refs/heads/{ref}` for a branch)",
            )
        if workflow is None:
            return cls(
                issuer=issuer,
                san_prefix=f"{GITHUB_URL}/{repository}/",
                repository=repository,
                ref=ref,
            )
        path = workflow.strip().lstrip("/")
        if "/" not in path:
            path = f".github/workflows/{path}"
        owner_path = path if not path.startswith(".github/") else f"{repository}/{path}"
        if "@" in owner_path:
            raise InputError(
                f"workflow {workflow!r} includes a ref",
                fix="give the ref in the `ref` input, the workflow's path in `workflow`",
            )
        base = f"{GITHUB_URL}/{owner_path}@"
        if ref is None:
            return cls(issuer=issuer, san_prefix=base, repository=repository)
        return cls(issuer=issuer, san=f"{base}{ref}", repository=repository, ref=ref)

    def describe(self) -> str:
        who = self.san if self.san else f"{self.san_prefix}…"
        extra = "".join(
            f", {name} {value}"
            for name, value in (("repository", self.repository), ("ref", self.ref))
            if value
        )
        return f"{who} (issuer {self.issuer}{extra})"

    def policy(self) -> VerificationPolicy:

        children: list[VerificationPolicy] = []
        if self.san is not None:
            children.append(policy.Identity(identity=self.san, issuer=self.issuer))
        else:
            children.append(SANPrefix(self.san_prefix or "", issuer=self.issuer))
        if self.repository:
            children.append(policy.GitHubWorkflowRepository(self.repository))
        if self.ref:
            children.append(policy.GitHubWorkflowRef(self.ref))
        return policy.AllOf(children)
