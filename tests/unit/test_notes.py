"""Release notes: changelog sections (Markdown and reST), detection, truncation."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import Version

from release_actions.actions.common import version_of_tag
from release_actions.github.notes import (
    MAX_BODY_CHARS,
    changelog_section,
    detect_changelog,
    truncate_body,
)

KEEP_A_CHANGELOG = """\
# Changelog

## [Unreleased]

- coming

## [1.2.3] - 2024-05-01

### Fixed

- a bug

```
## 9.9.9 inside a code block is not a heading
```

## [1.2.2] - 2024-04-01

- older
"""

CHANGES_RST = """\
Changelog
=========

Version 2.0.0rc1
----------------

Unreleased

-   Big change.

Sub-section
~~~~~~~~~~~

More.

Version 1.9.0
-------------

-   Old.
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_keep_a_changelog_section(tmp_path: Path) -> None:
    path = write(tmp_path, "CHANGELOG.md", KEEP_A_CHANGELOG)
    section = changelog_section(path, Version("1.2.3"))
    assert section is not None
    assert section.startswith("### Fixed\n\n- a bug")
    assert "9.9.9 inside a code block" in section
    assert "older" not in section
    assert changelog_section(path, Version("1.2.2")) == "- older"
    assert changelog_section(path, Version("1.2.4")) is None


@pytest.mark.parametrize(
    "heading",
    [
        "## 1.2.3",
        "## v1.2.3",
        "# Version 1.2.3 (2024-05-01)",
        "## [1.2.3](https://x/compare) - 2024",
    ],
)
def test_markdown_heading_forms(tmp_path: Path, heading: str) -> None:
    path = write(tmp_path, "CHANGES.md", f"{heading}\n\n- it\n\n# 1.2.2\n\n- not it\n")
    assert changelog_section(path, Version("1.2.3")) == "- it"


def test_version_compared_as_pep_440(tmp_path: Path) -> None:
    path = write(tmp_path, "CHANGELOG.md", "## 2.0.0-rc.1\n\n- rc\n")
    assert changelog_section(path, Version("2.0.0rc1")) == "- rc"


def test_rest_section_keeps_subsections(tmp_path: Path) -> None:
    path = write(tmp_path, "CHANGES.rst", CHANGES_RST)
    section = changelog_section(path, Version("2.0.0rc1"))
    assert section == "Unreleased\n\n-   Big change.\n\nSub-section\n~~~~~~~~~~~\n\nMore."
    assert changelog_section(path, Version("1.9.0")) == "-   Old."


def test_rest_overlined_titles(tmp_path: Path) -> None:
    text = "=====\n1.0.0\n=====\n\n- one\n\n=====\n0.9.0\n=====\n\n- zero\n"
    path = write(tmp_path, "HISTORY.rst", text)
    assert changelog_section(path, Version("1.0.0")) == "- one"


def test_detect_changelog_order(tmp_path: Path) -> None:
    assert detect_changelog(tmp_path) is None
    write(tmp_path, "HISTORY.rst", "")
    write(tmp_path, "CHANGES.rst", "")
    assert detect_changelog(tmp_path) == tmp_path / "CHANGES.rst"
    write(tmp_path, "CHANGELOG.md", "")
    assert detect_changelog(tmp_path) == tmp_path / "CHANGELOG.md"


def test_truncate_body() -> None:
    assert truncate_body("short") == "short"
    body = truncate_body("line\n" * 40_000, link="https://example.invalid/CHANGELOG.md")
    assert len(body) <= MAX_BODY_CHARS
    assert body.endswith("See https://example.invalid/CHANGELOG.md for the full notes.*")


def test_version_of_tag() -> None:
    assert version_of_tag("v1.2.3") == Version("1.2.3")
    assert version_of_tag("1.2.3", "") == Version("1.2.3")
    assert version_of_tag("release-2.0", "release-") == Version("2.0")
    assert version_of_tag("nightly") is None
