"""The shared ``files`` input: globs, exclusions, and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from release_actions.contract.files import resolve_files
from release_actions.errors import InputError


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in ["dist/a-1.0.tar.gz", "dist/a-1.0-py3-none-any.whl", "dist/sub/b.whl", "README.md"]:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)
    return tmp_path


def names(paths: list[Path], root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in paths]


def test_globs_sorted_and_deduplicated(tree: Path) -> None:
    got = resolve_files(["dist/*", "dist/*.whl"], root=tree)
    assert names(got, tree) == ["dist/a-1.0-py3-none-any.whl", "dist/a-1.0.tar.gz"]


def test_globstar_and_negation(tree: Path) -> None:
    got = resolve_files(["dist/**/*.whl", "!dist/sub/*"], root=tree)
    assert names(got, tree) == ["dist/a-1.0-py3-none-any.whl"]


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [("dist/*.zip", "matches no file"), ("/etc/passwd", "absolute"), ("../x/*", "'..'")],
)
def test_refusals(tree: Path, pattern: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        resolve_files([pattern], root=tree)


def test_symlink_escaping_the_workspace(
    tree: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "secret.txt"
    outside.write_text("x")
    (tree / "dist" / "link.whl").symlink_to(outside)
    with pytest.raises(InputError, match="outside the workspace"):
        resolve_files(["dist/*.whl"], root=tree)


def test_everything_excluded(tree: Path) -> None:
    with pytest.raises(InputError, match="excludes every file"):
        resolve_files(["dist/*.whl", "!dist/*"], root=tree)


def test_empty_input(tree: Path) -> None:
    with pytest.raises(InputError, match="is empty"):
        resolve_files([], root=tree)
