"""Write the README's per-action reference from the action.yml files.

    python scripts/gen_readme.py           # rewrite the section between the markers
    python scripts/gen_readme.py --check   # exit 1 when README.md is out of date

The section lies between ``<!-- reference:start -->`` and ``<!-- reference:end -->``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- reference:start -->", "<!-- reference:end -->"

#: The order of the chain, then the root action.
ORDER = [
    "verify-tag",
    "build-dists",
    "sign",
    "draft-release",
    "add-wheels-to-release",
    "publish-release",
    "publish-pypi",
    "verify",
]

#: Token permissions each action needs in the calling job (beyond actions/checkout's read).
PERMISSIONS = {
    "verify-tag": "none beyond `contents: read` for checkout",
    "build-dists": "none beyond `contents: read` for checkout",
    "sign": "`id-token: write` (the ambient OIDC token Sigstore certifies)",
    "draft-release": "`contents: write` (create the draft, upload assets)",
    "add-wheels-to-release": "`contents: write` (upload assets)",
    "publish-release": "`contents: write` (publish the draft)",
    "publish-pypi": "`id-token: write` for trusted publishing (none with an API token `token`)",
    "verify": "none (it reads files and bundles; `offline: true` needs no network either)",
    "release": "`contents: write` and `id-token: write`",
}


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _section(name: str, path: Path) -> str:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    uses = (
        "org/release-actions@v1" if name == "release" else f"org/release-actions/actions/{name}@v1"
    )
    lines = [
        f"### `{name}`",
        "",
        f"{data['description']} `uses: {uses}` — or `release-actions {name}`.",
        "",
        f"Permissions: {PERMISSIONS[name]}.",
        "",
        "| input | default | description |",
        "| --- | --- | --- |",
    ]
    for key, spec in (data.get("inputs") or {}).items():
        default = spec.get("default")
        shown = "*(required)*" if spec.get("required") else (f"`{default}`" if default else "")
        lines.append(f"| `{key}` | {_cell(shown)} | {_cell(spec['description'])} |")
    lines += ["", "| output | description |", "| --- | --- |"]
    for key, spec in (data.get("outputs") or {}).items():
        lines.append(f"| `{key}` | {_cell(spec['description'])} |")
    return "\n".join(lines)


def render() -> str:
    parts = [_section(name, ROOT / "actions" / name / "action.yml") for name in ORDER]
    parts.append(_section("release", ROOT / "action.yml"))
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    if not rest:
        print(f"README.md has no {START} marker", file=sys.stderr)
        return 1
    new = f"{head}{START}\n\n{render()}\n\n{END}{tail}"
    if new == text:
        return 0
    if args.check:
        print("README.md's action reference is out of date: run python scripts/gen_readme.py")
        return 1
    readme.write_text(new, encoding="utf-8")
    print("wrote README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
