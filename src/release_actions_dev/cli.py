"""The dev commands: ``rehearse`` (the main job) and ``standins`` (try steps by hand).

Example::

    python -m release_actions_dev rehearse --output ./rehearsal --keep
    python -m release_actions_dev standins          # prints `export …` lines; Ctrl-C stops
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from release_actions_dev import rehearse


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m release_actions_dev")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    sub.add_parser("rehearse", help="run a project through the whole chain offline", add_help=False)
    top, rest = parser.parse_known_args(list(argv)[:1])
    args = list(argv)[1:] + rest
    if top.command == "rehearse":
        return rehearse.main(args)
    raise AssertionError(top.command)  # pragma: no cover - argparse refuses other names
