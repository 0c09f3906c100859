"""The exceptions every step raises for problems a user can fix.

Each carries the fix and, where one exists, the file and line to annotate. The single
place that turns them into an annotation, a summary line and exit code 1 is
:func:`release_actions.contract.runner.Runner.fail`, called from :mod:`release_actions.cli`.

Example::

    raise VersionMismatchError(
        "tag v1.2.4 names version 1.2.4 but pyproject.toml says 1.2.3",
        fix="bump the version in pyproject.toml or move the tag",
        file="pyproject.toml",
        line=7,
    )
"""

from __future__ import annotations


class ReleaseActionsError(Exception):
    """A failure the user can fix: what went wrong, and how to fix it."""

    title = "release-actions"

    def __init__(
        self,
        message: str,
        *,
        fix: str | None = None,
        file: str | None = None,
        line: int | None = None,
        title: str | None = None,
        details: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.file = file
        self.line = line
        #: Verbatim text behind the message (a backend's last lines of output): shown in
        #: the log and, fenced, in the job summary; never in the one-line annotation.
        self.details = details
        if title is not None:
            self.title = title

    def diagnostics(self) -> str:
        """The message followed by the fix, as one paragraph (one period between them)."""
        message = self.message.rstrip()
        if not self.fix:
            return message
        separator = " " if message.endswith((".", "!", "?", ":")) else ". "
        return f"{message}{separator}Fix: {self.fix.rstrip()}"

    def __str__(self) -> str:
        return self.diagnostics()


class InputError(ReleaseActionsError):
    """An input is missing, malformed, or contradicts another input."""

    title = "invalid input"


class TagError(ReleaseActionsError):
    """The tag is missing, malformed, or does not name the project's version."""

    title = "tag does not match the release"


class VersionMismatchError(TagError):
    """A version location disagrees with the tag."""

    title = "version mismatch"


class GitError(ReleaseActionsError):
    """The git checkout lacks something the step needs (tags, history, branch)."""

    title = "git checkout"


class DirtyTreeError(GitError):
    """The checkout differs from the tagged commit in files the dists would carry."""

    title = "not the tagged commit"


class ProjectError(ReleaseActionsError):
    """The project cannot be read: missing, unreadable or broken configuration."""

    title = "project"


class BuildError(ReleaseActionsError):
    """The build backend failed."""

    title = "build failed"


class DistCheckError(ReleaseActionsError):
    """A built distribution failed a check."""

    title = "distribution check failed"


class GitHubApiError(ReleaseActionsError):
    """GitHub's API refused or failed a request (token, permissions, repository, outage)."""

    title = "GitHub API"


class ReleaseStateError(ReleaseActionsError):
    """The release for the tag is missing, duplicated, published or immutable."""

    title = "release"


class InconsistentReleaseError(ReleaseStateError):
    """A release would hold (or holds) a signature whose claim describes other bytes."""

    title = "release would be inconsistent"


class UploadError(ReleaseActionsError):
    """A file cannot be uploaded as a release asset (size, name, retries exhausted)."""

    title = "upload"


class AssetConflictError(UploadError):
    """An asset of the same name but other content is already on the release."""

    title = "asset conflict"
