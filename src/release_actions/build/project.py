"""What a Python project says about itself: name, version, and where the version is written.

The version comes from the project's real metadata: a static ``[project] version`` is
read directly; a dynamic one (setuptools-scm, hatch-vcs, flit's ``__version__``,
``attr:``) is asked of the build backend through ``build``'s metadata hook in an isolated
environment (uv as the installer where available). Literal ``__version__ = "…"``
assignments are located with their line numbers so a mismatch can be annotated.

Example::

    project = Project.load(Path("."))
    print(project.static_name, project.static_version)  # None when dynamic
    for location in project.version_locations(extra=()):
        print(location.file, location.line, location.version)
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from release_actions.build.git import Git
from release_actions.errors import ProjectError

_TOML_POSITION = re.compile(r"\(at line (\d+), column \d+\)")


@dataclass(frozen=True)
class VersionLocation:
    """A place where the version is written down."""

    file: Path
    line: int | None
    version: str
    what: str


@dataclass(frozen=True)
class Project:
    root: Path
    pyproject: Mapping[str, Any]

    @classmethod
    def load(cls, root: Path) -> Project:
        if not root.exists():
            raise ProjectError(
                f"project directory {root} does not exist",
                fix="set `project` to the folder holding pyproject.toml (relative to the workspace)",
            )
        if not root.is_dir():
            raise ProjectError(
                f"project path {root} is not a directory", fix="point `project` at a folder"
            )
        path = root / "pyproject.toml"
        data: dict[str, Any] = {}
        if path.is_file():
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                match = _TOML_POSITION.search(str(exc))
                raise ProjectError(
                    f"{path} is not valid TOML: {exc}",
                    fix="correct the TOML syntax at the line shown",
                    file=str(path),
                    line=int(match.group(1)) if match else None,
                ) from exc
            except UnicodeDecodeError as exc:
                raise ProjectError(
                    "pyproject.toml is not UTF-8", fix="save it as UTF-8", file=str(path)
                ) from exc
        elif not (root / "setup.py").is_file():
            raise ProjectError(
                f"{root} is not a Python project: it has neither pyproject.toml nor setup.py",
                fix="set `project` to the folder holding pyproject.toml",
            )
        return cls(root, data)

    @property
    def table(self) -> Mapping[str, Any]:
        project = self.pyproject.get("project", {})
        return project if isinstance(project, dict) else {}

    @property
    def static_name(self) -> str | None:
        name = self.table.get("name")
        return name if isinstance(name, str) else None

    @property
    def static_version(self) -> str | None:
        """``[project] version`` when it is static (not listed in ``dynamic``)."""
        version = self.table.get("version")
        dynamic = self.table.get("dynamic", [])
        if isinstance(version, str) and "version" not in dynamic:
            return version
        return None

    def pyproject_line(self, key: str, table: str = "project") -> int | None:
        """Line number (1-based) of ``key = …`` inside ``[table]`` of pyproject.toml."""
        path = self.root / "pyproject.toml"
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            return None
        current = None
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for number, text in enumerate(lines, start=1):
            header = re.match(r"^\s*\[([^\[\]]+)\]\s*(#.*)?$", text)
            if header:
                current = header.group(1).strip()
                continue
            if current == table and pattern.match(text):
                return number
        return None

    def pyproject_table_line(self, table: str) -> int | None:
        """Line number (1-based) of the ``[table]`` header in pyproject.toml."""
        path = self.root / "pyproject.toml"
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            return None
        for number, text in enumerate(lines, start=1):
            header = re.match(r"^\s*\[([^\[\]]+)\]\s*(#.*)?$", text)
            if header and header.group(1).strip() == table:
                return number
        return None

    def package_dirs(self) -> list[Path]:
        """Folders that may hold the import package(s) of this project."""
        names: list[str] = []
        if self.static_name:
            names.append(canonicalize_name(self.static_name).replace("-", "_"))
        flit = self.pyproject.get("tool", {}).get("flit", {}).get("module", {})
        if isinstance(flit, dict) and isinstance(flit.get("name"), str):
            names.append(flit["name"])
        found = []
        for name in dict.fromkeys(names):
            for base in (self.root / "src", self.root):
                candidate = base / Path(*name.split("."))
                if candidate.is_dir():
                    found.append(candidate)
        return found

    def configured_version_files(self) -> list[Path]:
        """Files a backend is configured to read the version from."""
        tool = self.pyproject.get("tool", {})
        files: list[Path] = []
        hatch_path = tool.get("hatch", {}).get("version", {}).get("path")
        if isinstance(hatch_path, str):
            files.append(self.root / hatch_path)
        attr = tool.get("setuptools", {}).get("dynamic", {}).get("version", {})
        if isinstance(attr, dict) and isinstance(attr.get("attr"), str):
            module = attr["attr"].rsplit(".", 1)[0]
            parts = module.split(".")
            for base in (self.root / "src", self.root):
                for candidate in (
                    base / Path(*parts) / "__init__.py",
                    base / Path(*parts).with_suffix(".py"),
                ):
                    if candidate.is_file():
                        files.append(candidate)
        return files

    def version_locations(self, extra: Sequence[Path]) -> list[VersionLocation]:
        """Every place the version is written: pyproject, ``extra`` files, found ``__version__``s.

        ``extra`` files must hold a literal ``__version__``; automatically found files count
        only when git tracks them and their ``__version__`` is a literal.
        """
        locations: list[VersionLocation] = []
        if self.static_version is not None:
            locations.append(
                VersionLocation(
                    self.root / "pyproject.toml",
                    self.pyproject_line("version"),
                    self.static_version,
                    "[project] version",
                )
            )
        seen: set[Path] = set()
        for path in extra:
            resolved = path.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            found = read_dunder_version(path)
            if found is None:
                raise ProjectError(
                    f'{path} has no literal `__version__ = "…"` assignment',
                    fix="list only files that assign __version__ a string literal in `version-files`",
                    file=str(path),
                )
            locations.append(VersionLocation(path, found[1], found[0], "__version__"))
        git = Git(self.root)
        tracked_check = git.toplevel() is not None
        candidates = self.configured_version_files()
        for package in self.package_dirs():
            candidates += [
                package / "__init__.py",
                package / "_version.py",
                package / "__about__.py",
            ]
        for path in candidates:
            if not path.is_file() or path.resolve() in seen:
                continue
            seen.add(path.resolve())
            if tracked_check and not git.is_tracked(path):
                continue
            found = read_dunder_version(path)
            if found is not None:
                locations.append(VersionLocation(path, found[1], found[0], "__version__"))
        return locations


def read_dunder_version(path: Path) -> tuple[str, int] | None:
    """The string literal assigned to a top-level ``__version__`` and its line, or None."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except FileNotFoundError as exc:
        raise ProjectError(
            f"version file {path} does not exist",
            fix="correct the path in `version-files` (relative to the project)",
        ) from exc
    except (SyntaxError, ValueError) as exc:
        raise ProjectError(
            f"{path} is not valid Python: {exc}",
            fix="correct the syntax error",
            file=str(path),
            line=getattr(exc, "lineno", None),
        ) from exc
    for node in tree.body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
            # ``__version__ = version = "1.0"`` (setuptools-scm) and tuples are fine.
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [node.target]
        names = {t.id for t in targets if isinstance(t, ast.Name)}
        if "__version__" in names:
            value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return value.value, node.lineno
            return None
    return None
