"""Read-only git queries for a checkout that may belong to another uid.

In a container action the workspace is owned by another user and git refuses it
("dubious ownership", actions/runner#2033). Every call passes ``-c safe.directory=<repo>``
instead of editing any global configuration; :func:`safe_directory_env` gives child
processes (build backends running setuptools-scm or hatch-vcs) the same through
``GIT_CONFIG_COUNT``.

Example::

    repo = Git(Path("."))
    sha = repo.commit_of("v1.2.3")
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from release_actions.errors import GitError


def safe_directory_env(path: Path, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``GIT_CONFIG_*`` variables making child git processes trust the repository at ``path``.

    Only the variables are returned (merge them into a child's environment); entries
    already in ``environ`` (default: ``os.environ``) are kept by numbering after them.
    """
    source = os.environ if environ is None else environ
    top = repository_top(path)
    try:
        count = max(int(source.get("GIT_CONFIG_COUNT", "0")), 0)
    except ValueError:
        count = 0
    return {
        "GIT_CONFIG_COUNT": str(count + 1),
        f"GIT_CONFIG_KEY_{count}": "safe.directory",
        f"GIT_CONFIG_VALUE_{count}": str(top),
    }


def repository_top(path: Path) -> Path:
    """The absolute work-tree top holding ``path`` (what ``safe.directory`` must name).

    Found by looking for ``.git`` upwards, because git itself refuses to answer
    ``rev-parse --show-toplevel`` in a repository it does not trust yet.
    """
    absolute = path.resolve()
    return next((p for p in (absolute, *absolute.parents) if (p / ".git").exists()), absolute)


@dataclass(frozen=True)
class Git:
    """A git work tree, queried with ``-c safe.directory`` on every call."""

    path: Path

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        trusted = repository_top(self.path)
        cmd = ["git", "-c", f"safe.directory={trusted}", "-C", str(self.path), *args]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        except FileNotFoundError as exc:
            raise GitError(
                "git is not installed", fix="install git on the runner (or in the image)"
            ) from exc
        if check and proc.returncode != 0:
            raise GitError(
                f"`git {' '.join(args)}` failed: {proc.stderr.strip() or proc.stdout.strip()}"
            )
        return proc

    def out(self, *args: str) -> str:
        return self.run(*args).stdout.strip()

    def toplevel(self) -> Path | None:
        proc = self.run("rev-parse", "--show-toplevel", check=False)
        return Path(proc.stdout.strip()) if proc.returncode == 0 else None

    def resolve(self, rev: str) -> str | None:
        """The commit ``rev`` points to (annotated tags dereferenced), or None."""
        proc = self.run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
        return proc.stdout.strip() if proc.returncode == 0 else None

    def ref_exists(self, ref: str) -> bool:
        return self.run("rev-parse", "--verify", "--quiet", ref, check=False).returncode == 0

    def is_shallow(self) -> bool:
        return self.out("rev-parse", "--is-shallow-repository") == "true"

    def is_ancestor(self, commit: str, of: str) -> bool:
        proc = self.run("merge-base", "--is-ancestor", commit, of, check=False)
        if proc.returncode not in (0, 1):
            raise GitError(f"cannot compare {commit[:12]} with {of}: {proc.stderr.strip()}")
        return proc.returncode == 0

    def committer_time(self, commit: str) -> int:
        return int(self.out("log", "-1", "--format=%ct", commit))

    def is_tracked(self, path: Path) -> bool:
        proc = self.run("ls-files", "--error-unmatch", "--", str(path), check=False)
        return proc.returncode == 0

    def is_ignored(self, path: Path, *, directory: bool = False) -> bool:
        """Whether git ignores ``path`` (which need not exist yet)."""
        target = str(path.resolve()) + ("/" if directory else "")
        return self.run("check-ignore", "--quiet", "--", target, check=False).returncode == 0

    def untracked(self) -> list[str]:
        """Untracked files no ``.gitignore`` ignores, relative to the work tree's top.

        Only ``.gitignore`` files count (not ``.git/info/exclude`` or a global excludes
        file): that is all build backends such as hatchling read when choosing sdist files.
        """
        out = self.run(
            "ls-files", "--others", "--exclude-per-directory=.gitignore", "-z", "--full-name"
        ).stdout
        return [name for name in out.split("\0") if name]

    def others(self) -> set[str]:
        """Every path git does not track under this folder, ignored ones included, relative to
        it; a folder holding only such files is one entry ending in ``/``. (What
        ``git status --ignored`` reports, so equal sets mean an unchanged status.)"""
        out = self.run(
            "ls-files", "--others", "--directory", "--no-empty-directory", "-z", "--", "."
        ).stdout
        return {name for name in out.split("\0") if name}

    def modified(self) -> list[str]:
        """Tracked files under this folder that differ from HEAD (staged or not, deleted
        included), relative to it."""
        out = self.run("diff", "HEAD", "--name-only", "--relative", "-z", "--", ".").stdout
        return sorted(name for name in out.split("\0") if name)

    def untracked_here(self) -> list[str]:
        """Untracked files no ``.gitignore`` ignores, under this folder, relative to it."""
        out = self.run(
            "ls-files", "--others", "--exclude-per-directory=.gitignore", "-z", "--", "."
        ).stdout
        return sorted(name for name in out.split("\0") if name)

    def origin_head(self) -> str | None:
        """The remote's default branch as recorded by clone (``origin/HEAD``), or None."""
        proc = self.run(
            "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD", check=False
        )
        if proc.returncode != 0:
            return None
        name = proc.stdout.strip()
        return name.removeprefix("origin/") or None


@contextlib.contextmanager
def tree_as_found(path: Path, *, keep: Sequence[Path] = ()) -> Iterator[None]:
    """Leave ``git status --ignored`` of ``path`` as it was: whatever untracked file or folder
    appears inside the block (a backend's ``*.egg-info``, ``build/``) is removed after it,
    except under ``keep`` (the output folder). Outside a git checkout, nothing is done."""
    git = Git(path)
    if not path.is_dir() or git.toplevel() is None:
        yield
        return
    before = git.others()
    try:
        yield
    finally:
        kept = [k.resolve() for k in keep]
        for entry in sorted(git.others() - before):
            target = (path / entry.rstrip("/")).resolve()
            if any(
                target == k or target.is_relative_to(k) or k.is_relative_to(target) for k in kept
            ):
                continue
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    target.unlink()
