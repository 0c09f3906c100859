"""Step name → declaration, and the action.yml files generated from the declarations.

The declarations (:mod:`release_actions.actions.declarations`) import nothing heavy; a
step's module is imported only when it runs, so ``release-actions sign --help`` and
``release-actions verify-tag`` never import sigstore or PyGithub.

``python -m release_actions.registry`` rewrites ``actions/<step>/action.yml`` and the root
``action.yml``; ``--check`` exits 1 when a committed file differs (CI runs it).

Example::

    step = load_step("verify-tag")
    print(render(step))
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from release_actions.actions.declarations import STEPS
from release_actions.contract.action_yml import IMAGE, render
from release_actions.contract.step import Step

__all__ = [
    "ROOT_STEP",
    "STEPS",
    "STEP_SUMMARIES",
    "action_path",
    "image_for",
    "load_step",
    "main",
    "render",
]

#: One line per step for ``release-actions --help`` without importing every step.
STEP_SUMMARIES: dict[str, str] = {
    "verify-tag": "check the tag names exactly the version that will be built",
    "build-dists": "build a reproducible sdist and the wheel from it, and check both",
    "sign": "sign files with Sigstore: bundles, SLSA provenance, PEP 740 attestations",
    "verify": "verify files against their Sigstore bundles and provenance for a repository",
    "draft-release": "find or create the tag's draft release and upload files to it",
    "add-wheels-to-release": "add wheels to an existing release (never creates one)",
    "publish-release": "publish the tag's draft after verifying every dist and its signatures",
    "publish-pypi": "upload dists with their attestations to PyPI or another index",
    "release": "the whole chain in one step (the root action.yml)",
}

#: The step the repository's root action.yml runs.
ROOT_STEP = "release"


def load_step(name: str) -> Step:
    """The step's declaration (its module is imported when it runs)."""
    return STEPS[name]


def image_for(step: str) -> str:
    """The ``image`` of the root action.yml (beside the Dockerfile) or of a step's."""
    return "Dockerfile" if step == ROOT_STEP else IMAGE


def action_path(root: Path, step: str) -> Path:
    if step == ROOT_STEP:
        return root / "action.yml"
    return root / "actions" / step / "action.yml"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m release_actions.registry")
    parser.add_argument("--root", type=Path, default=Path.cwd())
    parser.add_argument("--check", action="store_true", help="report drift instead of writing")
    args = parser.parse_args(argv)
    drift = []
    for name in STEPS:
        path = action_path(args.root, name)
        text = render(load_step(name), image=image_for(name))
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            drift.append(str(path))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if drift:
        print("out of date (run `python -m release_actions.registry`):", *drift, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
