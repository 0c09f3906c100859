"""Extract the subset of GitHub's OpenAPI description that the GitHub stand-in serves.

Example::

    python scripts/extract_github_openapi.py            # npm pack the pinned version
    python scripts/extract_github_openapi.py --tarball octokit-openapi-23.0.2.tgz

Reads ``package/generated/api.github.com.json`` from the pinned ``@octokit/openapi`` npm
tarball (``npm pack`` fetches it), keeps only the operations listed in ``OPERATIONS`` plus
every ``#/components/...`` object they reference (transitively), and writes the result,
unmodified otherwise, to ``src/release_actions_dev/standins/github/spec/github-rest-subset.json``.
The pinned version and the tarball's sha256 go into ``info.x-extracted-from``. The licence
text from the tarball is written to ``spec/NOTICE``. Shims for known spec-vs-reality gaps
are NOT applied here: they are applied at load time, to the validation copy only (see
``release_actions_dev.standins.github.openapi``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

PACKAGE = "@octokit/openapi"
VERSION = "23.0.2"
TARBALL_SHA256 = "71a18407dd5e8464f4e0525daf03deabbe65abd9287d6adc7b5d98f516cd0d0c"
MEMBER = "package/generated/api.github.com.json"
LICENSE_MEMBER = "package/LICENSE"

#: path -> methods served by the stand-in.
OPERATIONS: dict[str, tuple[str, ...]] = {
    "/rate_limit": ("get",),
    "/repos/{owner}/{repo}": ("get",),
    "/repos/{owner}/{repo}/releases": ("get", "post"),
    "/repos/{owner}/{repo}/releases/{release_id}": ("get", "patch", "delete"),
    "/repos/{owner}/{repo}/releases/tags/{tag}": ("get",),
    "/repos/{owner}/{repo}/releases/latest": ("get",),
    "/repos/{owner}/{repo}/immutable-releases": ("get",),
    "/repos/{owner}/{repo}/releases/generate-notes": ("post",),
    "/repos/{owner}/{repo}/releases/{release_id}/assets": ("get", "post"),
    "/repos/{owner}/{repo}/releases/assets/{asset_id}": ("get", "patch", "delete"),
    "/repos/{owner}/{repo}/git/ref/{ref}": ("get",),
    "/repos/{owner}/{repo}/git/matching-refs/{ref}": ("get",),
    "/repos/{owner}/{repo}/git/refs": ("post",),
    "/repos/{owner}/{repo}/git/tags": ("post",),
    "/repos/{owner}/{repo}/git/tags/{tag_sha}": ("get",),
}

ROOT = Path(__file__).resolve().parent.parent
SPEC_DIR = ROOT / "src" / "release_actions_dev" / "standins" / "github" / "spec"


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str):
                found.add(ref)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def subset(full: dict[str, Any], *, sha256: str) -> dict[str, Any]:
    """Return the operations in ``OPERATIONS`` with every component they reference."""
    paths: dict[str, Any] = {}
    for path, methods in OPERATIONS.items():
        item = full["paths"][path]
        kept = {m: item[m] for m in methods}
        if "parameters" in item:
            kept["parameters"] = item["parameters"]
        paths[path] = kept

    components: dict[str, dict[str, Any]] = {}
    pending = _refs(paths)
    seen: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        prefix, kind, name = ref.rsplit("/", 2)
        if prefix != "#/components":
            raise ValueError(f"unsupported $ref {ref!r}")
        obj = full["components"][kind][name]
        components.setdefault(kind, {})[name] = obj
        pending |= _refs(obj) - seen

    info = dict(full["info"])
    info["x-extracted-from"] = {
        "package": PACKAGE,
        "version": VERSION,
        "file": MEMBER.removeprefix("package/"),
        "tarball-sha256": sha256,
        "script": "scripts/extract_github_openapi.py",
    }
    return {
        "openapi": full["openapi"],
        "info": info,
        "servers": full.get("servers", []),
        "paths": paths,
        "components": {
            kind: dict(sorted(objs.items())) for kind, objs in sorted(components.items())
        },
    }


def _npm_pack(dest: Path) -> Path:
    out = subprocess.run(
        ["npm", "pack", f"{PACKAGE}@{VERSION}", "--pack-destination", str(dest)],
        check=True,
        capture_output=True,
        text=True,
    )
    return dest / out.stdout.strip().splitlines()[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tarball", type=Path, help="an already downloaded npm tarball")
    parser.add_argument("--out", type=Path, default=SPEC_DIR)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        tarball: Path = args.tarball or _npm_pack(Path(tmp))
        sha256 = hashlib.sha256(tarball.read_bytes()).hexdigest()
        if sha256 != TARBALL_SHA256:
            raise SystemExit(f"{tarball}: sha256 {sha256} is not the pinned {TARBALL_SHA256}")
        with tarfile.open(tarball) as tar:
            spec_file = tar.extractfile(MEMBER)
            license_file = tar.extractfile(LICENSE_MEMBER)
            if spec_file is None or license_file is None:
                raise SystemExit(f"{tarball}: missing {MEMBER} or {LICENSE_MEMBER}")
            full = json.load(spec_file)
            license_text = license_file.read().decode()

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    result = subset(full, sha256=sha256)
    (out / "github-rest-subset.json").write_text(
        json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    notice = (
        f"github-rest-subset.json is extracted from {PACKAGE}@{VERSION} "
        f"({MEMBER.removeprefix('package/')}),\nhttps://github.com/octokit/openapi, "
        "distributed under the following licence:\n\n"
        f"{license_text.strip()}\n"
    )
    (out / "NOTICE").write_text(notice, encoding="utf-8")
    print(f"wrote {out / 'github-rest-subset.json'}: {len(result['paths'])} paths")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
