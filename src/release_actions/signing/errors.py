"""The failures of signing and verifying, each with the fix.

Example::

    raise IdentityTokenError(
        "GitHub gave this job no OIDC token",
        fix="add `permissions: id-token: write` to the job that runs this step",
    )
"""

from __future__ import annotations

from release_actions.errors import ReleaseActionsError


class IdentityTokenError(ReleaseActionsError):
    """No usable OIDC identity token: missing permission, fork, not on GitHub, expired."""

    title = "no identity token"


class TrustConfigError(ReleaseActionsError):
    """The trust configuration cannot be read or contradicts another input."""

    title = "trust configuration"


class SigningError(ReleaseActionsError):
    """Fulcio or Rekor refused, or a file could not be signed or written."""

    title = "signing failed"


class VerificationFailed(ReleaseActionsError):
    """A file, bundle, provenance or attestation does not verify for the expected identity."""

    title = "verification failed"
