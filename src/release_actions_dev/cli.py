"""The dev commands: ``rehearse`` (the main job) and ``standins`` (try steps by hand).

Example::

    python -m release_actions_dev rehearse --output ./rehearsal --keep
    python -m release_actions_dev standins     # prints `export …` lines; Ctrl-C stops them

With the stand-ins running, paste the exports into another shell and run single steps
against them, e.g. ``release-actions draft-release --tag v1.0.0 --files 'dist/*'``.
"""

from __future__ import annotations

import argparse
import shlex
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from release_actions_dev import rehearse
from release_actions_dev.standins.github import GitHubStandin
from release_actions_dev.standins.sigstore import GITHUB_ISSUER, SigstoreStandin

#: The write token the hand-run GitHub stand-in accepts (nobody's real token).
STANDIN_TOKEN = "ghs_standin0000000000000000000000000000000"  # noqa: S105


def standins(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m release_actions_dev standins",
        description="Start the GitHub and Sigstore stand-ins on 127.0.0.1 and print the "
        "variables that point release-actions at them; Ctrl-C stops them.",
    )
    parser.add_argument("--owner", default="octo")
    parser.add_argument("--repo", default="example")
    parser.add_argument("--tag", default="v1.0.0", help="the ref the identity token names")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="release-actions-standins-"))
    with (
        GitHubStandin(owner=args.owner, repo=args.repo, token=STANDIN_TOKEN) as github,
        SigstoreStandin(issuer_url=GITHUB_ISSUER, directory=workdir / "sigstore") as sigstore,
    ):
        exports = {
            **github.environ(),
            **sigstore.ambient_env(
                repository=f"{args.owner}/{args.repo}", ref=f"refs/tags/{args.tag}"
            ),
            "GITHUB_TOKEN": STANDIN_TOKEN,
            "GITHUB_REF": f"refs/tags/{args.tag}",
        }
        print("# GitHub stand-in:", github.api_url, "  Sigstore stand-in:", sigstore.url)
        print("# Paste into another shell, then run steps, e.g. release-actions sign ...")
        for name, value in sorted(exports.items()):
            print(f"export {name}={shlex.quote(value)}")
        print(
            f"# sign and verify need: --trust-config {shlex.quote(str(sigstore.trust_config_path))}"
        )
        print("# Ctrl-C stops the stand-ins.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("\nstopped")
    return 0


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m release_actions_dev")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    sub.add_parser("rehearse", help="run a project through the whole chain offline", add_help=False)
    sub.add_parser("standins", help="run both stand-ins and print the exports", add_help=False)
    top, rest = parser.parse_known_args(list(argv)[:1])
    args = list(argv)[1:] + rest
    if top.command == "rehearse":
        return rehearse.main(args)
    return standins(args)
