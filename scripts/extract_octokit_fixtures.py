"""Extract the release scenarios of ``@octokit/fixtures``: GitHub traffic recorded for real.

Example::

    python scripts/extract_octokit_fixtures.py            # npm pack the pinned version
    python scripts/extract_octokit_fixtures.py --tarball octokit-fixtures-23.1.2.tgz

``@octokit/fixtures`` holds exchanges recorded against api.github.com and
uploads.github.com (with ids, dates and tokens normalised). For each scenario in
``SCENARIOS`` this writes, under ``src/release_actions_dev/standins/github/recorded/``:

* ``<scenario>.json`` — ``normalized-fixture.json`` as published (the exchanges a replay
  compares with), unmodified;
* ``setup.json`` — the state the recording started from, taken from ``raw-fixture.json``:
  the requests the recorder marked ``X-Octokit-Fixture-Ignore`` (creating the release,
  an earlier upload) that the stand-in serves, each with the number of recorded exchanges
  that came before it. Requests outside the stand-in (creating and deleting the temporary
  repository, committing its README) are listed as skipped.

The pinned version and the tarball's sha256 go into ``setup.json``; the licence text from
the tarball is written to ``NOTICE``. ``tests/standins/test_recorded_exchanges.py`` replays
the exchanges against the stand-in.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

PACKAGE = "@octokit/fixtures"
VERSION = "23.1.2"
TARBALL_SHA256 = "5a9b0221d7c18f593dc57b5f292e946e8cadfac2b0d4578b38d7e9bd63836c64"
SCENARIOS = ("release-assets", "release-assets-conflict")
MEMBER = "package/scenarios/api.github.com/{scenario}/{name}"
LICENSE_MEMBER = "package/LICENSE.md"
IGNORE_HEADER = "x-octokit-fixture-ignore"

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "src" / "release_actions_dev" / "standins" / "github" / "recorded"

#: Ignored requests the stand-in serves, by method and path shape (in the temporary repo).
_SETUP_KINDS = (
    ("post", re.compile(r"^/repos/[^/]+/[^/]+/releases$"), "create-release"),
    ("post", re.compile(r"^/repos/[^/]+/[^/]+/releases/\d+/assets\?"), "upload-release-asset"),
)


def _setup(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ignored requests of a raw recording, placed among the kept ones."""
    steps: list[dict[str, Any]] = []
    kept = 0
    for entry in raw:
        if not entry.get("reqheaders", {}).get(IGNORE_HEADER):
            kept += 1
            continue
        method, path = str(entry["method"]).lower(), str(entry["path"])
        kind = next(
            (k for m, pattern, k in _SETUP_KINDS if m == method and pattern.match(path)), None
        )
        step: dict[str, Any] = {"before": kept, "method": method.upper(), "kind": kind or "skipped"}
        if kind == "create-release":
            step["body"] = entry["body"]
        elif kind == "upload-release-asset":
            query = dict(
                part.split("=", 1) for part in path.split("?", 1)[1].split("&") if "=" in part
            )
            step["name"] = query.get("name", "")
            step["label"] = query.get("label") or None
            step["content_type"] = entry.get("reqheaders", {}).get("content-type")
            step["body"] = entry["body"]
        else:
            step["path"] = re.sub(r"tmp-scenario-[\w-]+", "<temporary repository>", path)
        steps.append(step)
    return steps


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
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tarball: Path = args.tarball or _npm_pack(Path(tmp))
        sha256 = hashlib.sha256(tarball.read_bytes()).hexdigest()
        if sha256 != TARBALL_SHA256:
            raise SystemExit(f"{tarball}: sha256 {sha256} is not the pinned {TARBALL_SHA256}")
        setup: dict[str, Any] = {
            "extracted-from": {
                "package": PACKAGE,
                "version": VERSION,
                "tarball-sha256": sha256,
                "script": "scripts/extract_octokit_fixtures.py",
            },
            "scenarios": {},
        }
        with tarfile.open(tarball) as tar:

            def read(member: str) -> bytes:
                handle = tar.extractfile(member)
                if handle is None:
                    raise SystemExit(f"{tarball}: no {member}")
                return handle.read()

            for scenario in SCENARIOS:
                normalized = read(MEMBER.format(scenario=scenario, name="normalized-fixture.json"))
                (out / f"{scenario}.json").write_bytes(normalized)
                raw = json.loads(read(MEMBER.format(scenario=scenario, name="raw-fixture.json")))
                setup["scenarios"][scenario] = _setup(raw)
            license_text = read(LICENSE_MEMBER).decode("utf-8")
    (out / "setup.json").write_text(json.dumps(setup, indent=1) + "\n", encoding="utf-8")
    notice = (
        f"The *.json files here are extracted from {PACKAGE}@{VERSION}\n"
        "(scenarios/api.github.com/<scenario>/normalized-fixture.json, unmodified; setup.json is\n"
        "derived from the scenarios' raw-fixture.json), https://github.com/octokit/fixtures,\n"
        "distributed under the following licence:\n\n"
        f"{license_text.strip()}\n"
    )
    (out / "NOTICE").write_text(notice, encoding="utf-8")
    print(f"wrote {', '.join(f'{s}.json' for s in SCENARIOS)}, setup.json and NOTICE to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
