"""Render each step's ``action.yml`` from its declarations, so the two cannot drift.

``python -m release_actions.metadata`` rewrites ``actions/<step>/action.yml``;
``python -m release_actions.metadata --check`` exits 1 when a committed file differs
(CI runs it, and a test compares both directions through the parsed YAML too).

Example::

    from release_actions.cli import load_step
    print(render(load_step("verify-tag")))
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from release_actions.cli import STEP_MODULES, load_step
from release_actions.runner import InputSpec
from release_actions.step import Step

BRANDING = {"icon": "package", "color": "blue"}
IMAGE = "../../Dockerfile"


def _scalar(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _default(spec: InputSpec) -> str | None:
    if spec.action_default is not None:
        return spec.action_default
    return spec.default


def render(step: Step, *, image: str = IMAGE) -> str:
    lines = [
        "# Generated from the step's declarations by `python -m release_actions.metadata`.",
        f"name: {_scalar('release-actions ' + step.name)}",
        f"description: {_scalar(step.description)}",
        "author: release-actions",
        "branding:",
        *(f"  {k}: {v}" for k, v in BRANDING.items()),
        "inputs:",
    ]
    for spec in step.inputs:
        lines.append(f"  {spec.name}:")
        lines.append(f"    description: {_scalar(spec.description)}")
        lines.append(f"    required: {'true' if spec.required else 'false'}")
        default = _default(spec)
        if default is not None:
            lines.append(f"    default: {_scalar(default)}")
    lines.append("outputs:")
    for out in step.outputs:
        lines.append(f"  {out.name}:")
        lines.append(f"    description: {_scalar(out.description)}")
    lines += [
        "runs:",
        "  using: docker",
        f"  image: {_scalar(image)}",
        "  args:",
        f"    - {step.name}",
        "",
    ]
    return "\n".join(lines)


#: The step the repository's root action.yml runs.
ROOT_STEP = "release"


def action_path(root: Path, step: str) -> Path:
    if step == ROOT_STEP:
        return root / "action.yml"
    return root / "actions" / step / "action.yml"


def image_for(step: str) -> str:
    return "Dockerfile" if step == ROOT_STEP else IMAGE


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m release_actions.metadata")
    parser.add_argument("--root", type=Path, default=Path.cwd())
    parser.add_argument("--check", action="store_true", help="report drift instead of writing")
    args = parser.parse_args(argv)
    drift = []
    for name in STEP_MODULES:
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
        print("out of date (run `python -m release_actions.metadata`):", *drift, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
