"""Release notes: the version's section of the changelog, cut to GitHub's limit.

Example::

    changelog = detect_changelog(Path("."))            # CHANGELOG.md, CHANGES.rst, …
    notes = changelog_section(changelog, Version("1.2.3"))
    body = truncate_body(notes or "")
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from packaging.version import InvalidVersion, Version

from release_actions.errors import InputError

#: GitHub refuses release bodies longer than this (``body is too long``).
MAX_BODY_CHARS = 125_000
#: Changelog files looked for, in this order, when ``changelog`` is not given.
CHANGELOG_NAMES = (
    "CHANGELOG.md",
    "CHANGES.rst",
    "CHANGES.md",
    "HISTORY.rst",
    "CHANGELOG.rst",
    "HISTORY.md",
    "NEWS.md",
    "NEWS.rst",
)


def detect_changelog(root: Path) -> Path | None:
    """The first of :data:`CHANGELOG_NAMES` present in ``root``."""
    for name in CHANGELOG_NAMES:
        candidate = root / name
        if candidate.is_file():
            return candidate
    return None


_VERSION_TOKEN = re.compile(r"(?<![\w.])[vV]?(\d+(?:[.\-_+!]?[A-Za-z0-9]+)*)")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_RST_ADORNMENT = re.compile(r"^([=\-`:'\"~^_*+#<>])\1{2,}\s*$")


def _heading_version(text: str) -> Version | None:
    """The first PEP 440 version named in a heading (``[1.2.3] - 2024-01-02``, ``v1.2.3``)."""
    for match in _VERSION_TOKEN.finditer(text.replace("[", " ").replace("]", " ")):
        token = match.group(1)
        # Trailing dates (``1.2.3-2024-01-02``) are not part of the version.
        for candidate in (token, token.split("-")[0] if "-" in token else None):
            if candidate is None:
                continue
            try:
                return Version(candidate)
            except InvalidVersion:
                continue
    return None


def _markdown_section(lines: list[str], version: Version) -> str | None:
    in_fence = False
    start: int | None = None
    level = 0
    for index, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        if in_fence:
            continue
        heading = _MD_HEADING.match(line)
        if heading is None:
            continue
        depth = len(heading.group(1))
        if start is not None and depth <= level:
            return "\n".join(lines[start:index]).strip()
        if start is None and _heading_version(heading.group(2)) == version:
            start, level = index + 1, depth
    return "\n".join(lines[start:]).strip() if start is not None else None


def _rst_titles(lines: list[str]) -> Iterable[tuple[int, int, str, tuple[str, bool]]]:
    """(first line, body start, title, style) for each reST section title."""
    index = 0
    while index < len(lines) - 1:
        line, below = lines[index], lines[index + 1]
        over = _RST_ADORNMENT.match(line)
        if over and index + 2 < len(lines) and lines[index + 1].strip():
            under = _RST_ADORNMENT.match(lines[index + 2])
            if under and under.group(1) == over.group(1):
                yield index, index + 3, lines[index + 1].strip(), (over.group(1), True)
                index += 3
                continue
        under = _RST_ADORNMENT.match(below)
        if line.strip() and not over and under and len(below.rstrip()) >= len(line.rstrip()):
            yield index, index + 2, line.strip(), (under.group(1), False)
            index += 2
            continue
        index += 1


def _rst_section(lines: list[str], version: Version) -> str | None:
    levels: dict[tuple[str, bool], int] = {}
    start: int | None = None
    level = 0
    for first, body, title, style in _rst_titles(lines):
        depth = levels.setdefault(style, len(levels))
        if start is not None and depth <= level:
            return "\n".join(lines[start:first]).strip()
        if start is None and _heading_version(title) == version:
            start, level = body, depth
    return "\n".join(lines[start:]).strip() if start is not None else None


def changelog_section(path: Path, version: Version) -> str | None:
    """The text under ``version``'s heading in a Markdown or reST changelog, or None.

    Markdown: ``## 1.2.3``, ``## [1.2.3] - 2024-01-02``, ``# Version 1.2.3``; the section
    ends at the next heading of the same or a higher level. reST: titles underlined (or
    over- and underlined) with punctuation, levels in order of first appearance.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read changelog {path}: {exc}", fix="fix `changelog`") from exc
    lines = text.splitlines()
    if path.suffix.lower() in {".rst", ".txt", ""}:
        return _rst_section(lines, version) or _markdown_section(lines, version)
    return _markdown_section(lines, version) or _rst_section(lines, version)


def truncate_body(body: str, *, link: str | None = None) -> str:
    """``body`` cut to GitHub's 125,000-character limit, with a note saying so."""
    if len(body) <= MAX_BODY_CHARS:
        return body
    where = f" See {link} for the full notes." if link else ""
    note = (
        f"\n\n…\n\n*Release notes truncated to GitHub's {MAX_BODY_CHARS:,}-character limit.{where}*"
    )
    cut = body[: MAX_BODY_CHARS - len(note)]
    newline = cut.rfind("\n")
    if newline > MAX_BODY_CHARS // 2:
        cut = cut[:newline]
    return cut + note
