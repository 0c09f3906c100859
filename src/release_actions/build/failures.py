"""What a failed build backend said, read for the user: the cause first, where, and the fix.

A backend's failure is 20-30 lines of output with the cause near the end. This module
finds the cause line (the last exception line or ``error:`` line), points at the line of
``pyproject.toml`` the cause names where there is one, and picks a fix specific to the
cause; the output itself is kept for the log and a fenced block in the job summary.

Example::

    failure = read_failure(["Traceback (most recent call last):", "…",
                            "ModuleNotFoundError: No module named 'setuptools_scm'"],
                           project=Project.load(Path(".")))
    failure.cause   # "ModuleNotFoundError: No module named 'setuptools_scm'"
    failure.fix     # "add the package that provides `setuptools_scm` to `requires` …"
    failure.line    # the line of `requires` in [build-system]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from release_actions.build.project import Project

_EXCEPTION = re.compile(
    r"^(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Exit|Warning)\b:?\s?.*$"
)
_ERROR = re.compile(r"^\s*(?:\*\s*)?(?:error|fatal|ERROR|FATAL)\b[:!].*$", re.IGNORECASE)
_MISSING_MODULE = re.compile(r"No module named '([\w.]+)'")
_PYPROJECT_KEY = re.compile(r"`?\b(project|build-system|tool\.[\w-]+)\.([\w-]+)`?")

#: Causes we recognise: (pattern, fix, table and key of pyproject.toml to point at).
_KNOWN: tuple[tuple[re.Pattern[str], str, tuple[str, str] | None], ...] = (
    (
        re.compile(r"Multiple top-level (?:packages|modules) discovered in a flat-layout"),
        'tell setuptools which package to ship: `[tool.setuptools] packages = ["yourpkg"]`, '
        "or move the package under src/ (the src layout)",
        None,
    ),
    (
        re.compile(r"Unable to determine which files to ship inside the wheel"),
        "tell hatchling which package to ship: `[tool.hatch.build.targets.wheel] "
        'packages = ["src/yourpkg"]`',
        None,
    ),
    (
        re.compile(r"package directory '([^']+)' does not exist"),
        "correct the package list (`packages`/`package-dir` in [tool.setuptools]): the "
        "folder it names is not in the project",
        ("tool.setuptools", "packages"),
    ),
    (
        re.compile(r"command '[^']*(?:gcc|cc|clang|g\+\+|cl\.exe)' failed|compiler.*not found"),
        "install the C compiler the extension needs, or build platform wheels with "
        "cibuildwheel, which brings its own toolchains",
        None,
    ),
    (
        re.compile(
            r"(?:setuptools[-_]scm|hatch[-_]vcs).*(?:unable to detect version|version)"
            r"|LookupError: .*version"
        ),
        "the version comes from git: check out the repository with its tags "
        "(actions/checkout with `fetch-depth: 0`) and build inside the git checkout",
        None,
    ),
)


@dataclass(frozen=True)
class BackendFailure:
    """The cause of a backend failure and how to fix it."""

    cause: str
    fix: str
    #: 1-based line of pyproject.toml the cause names, when it names one.
    line: int | None = None


def cause_line(lines: Sequence[str]) -> str:
    """The line that says what broke: the last exception or ``error:`` line, else the last
    non-empty line."""
    cleaned = [line.rstrip() for line in lines if line.strip()]
    for line in reversed(cleaned):
        stripped = line.strip()
        if _EXCEPTION.match(stripped) or _ERROR.match(stripped):
            return stripped
    return cleaned[-1].strip() if cleaned else "(no output)"


def read_failure(
    lines: Sequence[str], *, project: Project | None, generic_fix: str
) -> BackendFailure:
    """Cause, fix and pyproject.toml line of a failure whose output is ``lines``."""
    cause = cause_line(lines)
    text = "\n".join(lines)
    missing = _MISSING_MODULE.search(cause) or _MISSING_MODULE.search(text)
    if missing is not None:
        module = missing.group(1).split(".")[0]
        return BackendFailure(
            cause,
            f"add the package that provides `{module}` to `requires` in [build-system] of "
            "pyproject.toml (build backends run in an isolated environment with only those)",
            project.pyproject_line("requires", "build-system") if project else None,
        )
    for pattern, fix, pointer in _KNOWN:
        if pattern.search(cause) or pattern.search(text):
            line = project.pyproject_line(pointer[1], pointer[0]) if project and pointer else None
            return BackendFailure(cause, fix, line)
    key = _PYPROJECT_KEY.search(cause)
    if key is not None and project is not None:
        line = project.pyproject_line(key.group(2), key.group(1))
        if line is not None:
            return BackendFailure(
                cause,
                f"correct `{key.group(1)}.{key.group(2)}` in pyproject.toml as the cause says",
                line,
            )
    return BackendFailure(cause, generic_fix)
