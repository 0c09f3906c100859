"""Predict the name GitHub will store for a release asset, before uploading it.

GitHub renames asset files with "special characters": characters other than ASCII letters,
digits, ``_``, ``-``, ``.`` and ``+`` (``+`` only when sent percent-encoded, as ``%2B``)
become ``.``, runs of periods collapse to one, and leading/trailing periods go. Names with
non-ASCII characters are refused rather than guessed: GitHub transliterates them in an
undocumented way, and Python distribution file names are ASCII anyway.

This is the product's own prediction; the GitHub stand-in models GitHub separately
(``release_actions_dev.standins.github.names``), and a property test compares the two.

Example::

    assert stored_asset_name("my tool~1:2.tar.gz") == "my.tool.1.2.tar.gz"
    assert stored_asset_name("pkg-1.0+local-py3-none-any.whl") == "pkg-1.0+local-py3-none-any.whl"
"""

from __future__ import annotations

import string

from release_actions.errors import InputError

_KEPT = frozenset(string.ascii_letters + string.digits + "_-.+")


def stored_asset_name(name: str) -> str:
    """The name GitHub stores for an upload named ``name`` (sent with ``+`` as ``%2B``)."""
    if not name.isascii():
        raise InputError(
            f"file name {name!r} has non-ASCII characters, which GitHub renames unpredictably",
            fix="rename the file using ASCII letters, digits, '.', '-', '_' and '+'",
        )
    chars: list[str] = []
    for char in name:
        kept = char if char in _KEPT else "."
        if kept == "." and chars and chars[-1] == ".":
            continue
        chars.append(kept)
    stored = "".join(chars).strip(".")
    if not stored:
        raise InputError(
            f"file name {name!r} has nothing GitHub would keep",
            fix="rename the file using ASCII letters, digits, '.', '-', '_' and '+'",
        )
    return stored
