"""The failures of publishing to a package index, each with the fix.

Example::

    raise FileConflictError(
        "the index already holds demo-1.0-py3-none-any.whl with other bytes",
        fix="build a new version; an index never takes other bytes under a used file name",
        file="dist/demo-1.0-py3-none-any.whl",
    )
"""

from __future__ import annotations

from release_actions.errors import ReleaseActionsError


class PyPIError(ReleaseActionsError):
    """The package index refused, failed, or would refuse what we are about to do."""

    title = "package index"


class IndexReadError(PyPIError):
    """What the index holds cannot be read (its Simple API failed or answered nonsense)."""

    title = "package index unreadable"


class FileConflictError(PyPIError):
    """The index already holds a file of the same name (other bytes, or any when strict)."""

    title = "file already on the index"


class AttestationError(PyPIError):
    """A dist's PEP 740 attestation is missing, unreadable, or attests something else."""

    title = "attestation"


class TrustedPublishingError(PyPIError):
    """No OIDC token, or the index refused to exchange it for an upload token."""

    title = "trusted publishing"


class UploadRefusedError(PyPIError):
    """The index refused an upload (credentials, scope, its own checks) or stayed down."""

    title = "upload refused"
