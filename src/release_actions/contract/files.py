"""Resolve a ``files`` input (globs, one per line) to real files inside the workspace.

Globs use wcmatch: ``**`` crosses folders, a leading ``!`` excludes what earlier lines
matched, and the result is sorted so every run sees the same order. Every match must be a
regular file inside ``root`` (symlinks are followed and must stay inside); a line that
matches nothing is an error, because it means the workflow and the files disagree.

Example::

    files = resolve_files(["dist/*", "!dist/*.tar.gz"], root=Path("."), input_name="files")
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from wcmatch import glob

from release_actions.errors import InputError

_FLAGS = glob.GLOBSTAR | glob.BRACE | glob.DOTGLOB | glob.NODIR


def _check_pattern(pattern: str, input_name: str) -> None:
    bare = pattern.removeprefix("!")
    if Path(bare).is_absolute():
        raise InputError(
            f"`{input_name}` pattern {pattern!r} is an absolute path",
            fix=f"write `{input_name}` relative to the workspace",
        )
    if ".." in Path(bare).parts:
        raise InputError(
            f"`{input_name}` pattern {pattern!r} climbs out of the workspace with '..'",
            fix=f"keep `{input_name}` inside the workspace",
        )


def resolve_files(patterns: Sequence[str], *, root: Path, input_name: str = "files") -> list[Path]:
    """The files ``patterns`` match under ``root``, sorted, without duplicates."""
    if not patterns:
        raise InputError(f"`{input_name}` is empty", fix=f"list the files to use in `{input_name}`")
    root = root.resolve()
    chosen: dict[Path, None] = {}
    for pattern in patterns:
        _check_pattern(pattern, input_name)
        if pattern.startswith("!"):
            excluded = {
                (root / m).resolve()
                for m in glob.glob(pattern[1:], flags=_FLAGS, root_dir=str(root))
            }
            chosen = {p: None for p in chosen if p.resolve() not in excluded}
            continue
        matches = sorted(glob.glob(pattern, flags=_FLAGS, root_dir=str(root)))
        if not matches:
            raise InputError(
                f"`{input_name}` pattern {pattern!r} matches no file under {root}",
                fix="build the files before this step, or correct the pattern",
            )
        for match in matches:
            if ".." in Path(match).parts:  # a brace such as {../x,dist} expanded to '..'
                raise InputError(
                    f"`{input_name}` pattern {pattern!r} reaches {match}, outside the workspace",
                    fix=f"keep `{input_name}` inside the workspace",
                )
            path = root / match
            real = path.resolve()
            if not real.is_relative_to(root):
                raise InputError(
                    f"{match} is a link to {real}, outside the workspace",
                    fix="copy the file into the workspace instead of linking to it",
                )
            if not real.is_file():
                raise InputError(f"{match} is not a regular file", fix="match files only")
            chosen[path] = None
    if not chosen:
        raise InputError(
            f"`{input_name}` excludes every file it matched", fix="loosen the `!` patterns"
        )
    return sorted(chosen, key=lambda p: p.relative_to(root).as_posix())
