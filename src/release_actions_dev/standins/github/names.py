"""Predict the name GitHub stores for an uploaded release asset.

Example::

    >>> github_asset_name("pkg-1.0+local-py3-none-any.whl")
    'pkg-1.0+local-py3-none-any.whl'
    >>> github_asset_name("my tool~1:2.tar.gz")
    'my.tool.1.2.tar.gz'

GitHub documents only that it "renames asset filenames that have special characters,
non-alphanumeric characters, and leading or trailing periods". What is implemented here is
taken from observed uploads reported publicly:

* ``A-Z a-z 0-9 _ - .`` are kept; since mid-2018 ``+`` is kept as well *when it reaches
  GitHub as a ``+``*, i.e. percent-encoded as ``%2B`` in ``?name=`` (JMRI/JMRI#5544,
  github/rest-api-description#2968, centreon/centreon-collect#3716). A raw ``+`` in the
  query string decodes to a space, which becomes ``.`` — that is URL decoding, done by the
  server before this function applies, not part of this function.
* every other character (space, ``~``, ``:``, ``(``, ``)``, ``@``, ``!``, ``#``, …)
  becomes ``.`` (softprops/action-gh-release#159, actions/upload-release-asset#57,
  travis-ci/dpl#821);
* a run of such characters and/or periods collapses into one period
  (``"a  b"``, ``"x%%!!y"`` → ``a.b``, ``x.y``; ``"{}~.txt"`` → ``.txt`` in travis-ci/dpl#821);
* letters with diacritics are transliterated to ASCII (``żółw`` → ``zolw``,
  ``ð æ ŋ`` → ``d ae ng``); anything left without an ASCII form becomes ``.``;
* leading and trailing periods are dropped (documented, exact result not published);
  a name left empty becomes ``default`` (an assumption of this stand-in).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["github_asset_name"]

_KEPT = re.compile(r"[^A-Za-z0-9_+\-.]")
_DOTS = re.compile(r"\.{2,}")
# Letters NFKD does not decompose into ASCII (Rails-style transliteration).
_TRANSLITERATE = str.maketrans(
    {
        "ð": "d",
        "Ð": "D",
        "đ": "d",
        "Đ": "D",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "ß": "ss",
        "þ": "th",
        "Þ": "TH",
        "ł": "l",
        "Ł": "L",
        "ŋ": "ng",
        "Ŋ": "NG",
        "\u0131": "i",  # dotless i
    }
)


def github_asset_name(name: str) -> str:
    """Return the asset name GitHub stores for an upload with ``?name=<name>`` (decoded)."""
    ascii_name = unicodedata.normalize("NFKD", name.translate(_TRANSLITERATE))
    ascii_name = "".join(c for c in ascii_name if not unicodedata.combining(c))
    dotted = _DOTS.sub(".", _KEPT.sub(".", ascii_name)).strip(".")
    return dotted or "default"
