"""Small real Python projects in real git repositories, for tests.

    >>> from pathlib import Path
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> project = make_project(root, "hatch-vcs", tag="v1.2.3")
    >>> (project / "pyproject.toml").is_file()
    True

Every project is a src-layout package (``src/<import_name>/__init__.py``) with a README.md,
committed with fixed author and committer dates so commit ids and SOURCE_DATE_EPOCH are
stable. Git never reads the user's global or system configuration here.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path
from typing import Literal

from packaging.utils import canonicalize_name

Backend = Literal["setuptools", "setuptools-scm", "hatchling", "hatch-vcs", "flit"]

DEFAULT_DATE = "2024-01-02T03:04:05+00:00"
# The committer time of DEFAULT_DATE as a Unix timestamp.
DEFAULT_EPOCH = 1704164645

DEFAULT_README = textwrap.dedent(
    """\
    # Example package

    A small package used by the release-actions tests.

    - it has a list
    - and `code`
    """
)

_BUILD_SYSTEM: dict[Backend, tuple[list[str], str]] = {
    "setuptools": (["setuptools>=77"], "setuptools.build_meta"),
    "setuptools-scm": (["setuptools>=77", "setuptools-scm>=8"], "setuptools.build_meta"),
    "hatchling": (["hatchling>=1.26"], "hatchling.build"),
    "hatch-vcs": (["hatchling>=1.26", "hatch-vcs>=0.4"], "hatchling.build"),
    "flit": (["flit_core>=3.11,<4"], "flit_core.buildapi"),
}


def git_env(date: str = DEFAULT_DATE) -> dict[str, str]:
    """Environment for git commands: fixed identity and dates, no user/system config."""
    return {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Release Tester",
        "GIT_AUTHOR_EMAIL": "tester@example.invalid",
        "GIT_COMMITTER_NAME": "Release Tester",
        "GIT_COMMITTER_EMAIL": "tester@example.invalid",
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
    }


def run_git(repo: Path, *args: str, date: str = DEFAULT_DATE) -> str:
    """Run git in ``repo`` with :func:`git_env`; return its stripped stdout."""
    result = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", *args],
        cwd=repo,
        env=git_env(date),
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


def commit_all(repo: Path, message: str, *, date: str = DEFAULT_DATE) -> str:
    """Stage everything and commit; return the new commit id."""
    run_git(repo, "add", "--all", date=date)
    run_git(repo, "commit", "--quiet", "--allow-empty", "-m", message, date=date)
    return run_git(repo, "rev-parse", "HEAD", date=date)


def tag_head(repo: Path, tag: str, *, date: str = DEFAULT_DATE) -> None:
    """Create an annotated tag on HEAD."""
    run_git(repo, "tag", "--annotate", tag, "-m", f"Release {tag}", date=date)


def _pyproject(backend: Backend, name: str, version: str, import_name: str) -> str:
    requires, build_backend = _BUILD_SYSTEM[backend]
    requires_toml = ", ".join(f'"{r}"' for r in requires)
    dynamic = backend in ("setuptools-scm", "hatch-vcs", "flit")
    version_line = 'dynamic = ["version"]' if dynamic else f'version = "{version}"'
    text = textwrap.dedent(
        f"""\
        [build-system]
        requires = [{requires_toml}]
        build-backend = "{build_backend}"

        [project]
        name = "{name}"
        {version_line}
        description = "An example package for release-actions tests."
        readme = "README.md"
        requires-python = ">=3.9"
        license = "MIT"
        authors = [{{ name = "Release Tester", email = "tester@example.invalid" }}]
        """
    )
    if backend == "setuptools-scm":
        text += "\n[tool.setuptools_scm]\n"
    elif backend == "hatch-vcs":
        text += '\n[tool.hatch.version]\nsource = "vcs"\n'
    elif backend == "flit":
        text += f'\n[tool.flit.module]\nname = "{import_name}"\n'
    return text


def make_project(
    root: Path,
    backend: Backend,
    *,
    name: str = "example-pkg",
    version: str = "1.2.3",
    init_version: str | None = None,
    readme: str = DEFAULT_README,
    git: bool = True,
    tag: str | None = None,
    date: str = DEFAULT_DATE,
    extra_files: dict[str, str] | None = None,
) -> Path:
    """Write a small src-layout project into ``root / name`` and return that directory.

    ``version`` is the static version (setuptools, hatchling) and, for flit, the default
    ``__version__``; the scm backends (setuptools-scm, hatch-vcs) take it from ``tag``.
    ``init_version`` writes ``__version__ = "<init_version>"`` into ``__init__.py`` (flit
    always gets one). With ``git`` the directory becomes a repository with one commit
    dated ``date`` and, when ``tag`` is given, an annotated tag on it.
    ``extra_files`` maps paths relative to the project to contents, written before the
    commit.
    """
    import_name = canonicalize_name(name).replace("-", "_")
    project = root / name
    package = project / "src" / import_name
    package.mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        _pyproject(backend, name, version, import_name), encoding="utf-8"
    )
    (project / "README.md").write_text(readme, encoding="utf-8")
    (project / ".gitignore").write_text("/dist/\n/build/\n*.egg-info/\n", encoding="utf-8")
    if init_version is None and backend == "flit":
        init_version = version
    init = f'"""{name}: an example package."""\n'
    if init_version is not None:
        init += f'\n__version__ = "{init_version}"\n'
    (package / "__init__.py").write_text(init, encoding="utf-8")
    (package / "core.py").write_text(
        'def greet(who: str) -> str:\n    return f"hello {who}"\n', encoding="utf-8"
    )
    tests = project / "tests"
    tests.mkdir()
    (tests / "test_core.py").write_text(
        f"from {import_name}.core import greet\n\n\n"
        "def test_greet() -> None:\n"
        '    assert greet("x") == "hello x"\n',
        encoding="utf-8",
    )
    for relative, content in (extra_files or {}).items():
        target = project / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
    if git:
        run_git(project, "init", "--quiet", "--initial-branch=main", date=date)
        commit_all(project, "Initial commit", date=date)
        if tag is not None:
            tag_head(project, tag, date=date)
    return project
