"""The upload plan: what to do with each file, decided before any request that writes.

Example::

    files = local_files([Path("dist/pkg-1.0-py3-none-any.whl")])   # checked and hashed
    plan = plan_uploads(files, existing=release_assets, overwrite=False)  # may raise
    for line in plan.describe():
        print(line)

Every file is hashed and compared with the release's assets by the name GitHub will store
(:func:`~release_actions.github.assetnames.stored_asset_name`), size and sha256 ``digest``
(for an asset from before GitHub recorded digests, the session hashes its bytes first):
identical → skip; different → :class:`AssetConflictError` for *all* conflicts at once unless
``overwrite`` (then delete + upload); a ``starter`` or empty leftover of a broken upload →
delete + upload. GitHub's limits are checked here too, before any write and in a dry run:
files of 0 bytes or of 2 GiB and more, and a release that would hold more than 1,000
assets, are refused, as are dists that are broken or mislabelled and two files that
GitHub would store under one name.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from github.GitReleaseAsset import GitReleaseAsset

from release_actions.dists import DistFile, Problem, sha256_file
from release_actions.errors import AssetConflictError, DistCheckError, UploadError
from release_actions.github.assetnames import stored_asset_name
from release_actions.github.concurrency import MAX_CONCURRENCY


def check_concurrency(concurrency: int) -> None:
    """The bound every uploading step's ``concurrency`` input declares, for direct callers too."""
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise UploadError(
            f"concurrency {concurrency} is outside 1-{MAX_CONCURRENCY}",
            fix=f"choose 1-{MAX_CONCURRENCY}",
        )


#: GitHub: "Each file included in a release must be under 2 GiB" (its answer over the
#: limit says ``size must be less than or equal to 2147483648``; the stricter reading wins).
MAX_ASSET_BYTES = 2 * 1024**3
#: GitHub: "Up to 1000 release assets may be associated with a single release."
MAX_RELEASE_ASSETS = 1000

PlannedAction = Literal["upload", "skip", "replace", "repair"]
#: What happened to each file: ``repaired`` = a broken upload's leftover was replaced.
TakenAction = Literal[
    "uploaded",
    "skipped",
    "replaced",
    "repaired",
    "would-upload",
    "would-replace",
    "would-repair",
]
_TAKEN: dict[PlannedAction, TakenAction] = {
    "upload": "uploaded",
    "skip": "skipped",
    "replace": "replaced",
    "repair": "repaired",
}
_DRY: dict[PlannedAction, TakenAction] = {
    "upload": "would-upload",
    "skip": "skipped",
    "replace": "would-replace",
    "repair": "would-repair",
}


@dataclass(frozen=True)
class LocalFile:
    """A file to upload: its path, the name GitHub will store, size and sha256."""

    path: Path
    name: str
    size: int
    sha256: str

    @property
    def digest(self) -> str:
        return f"sha256:{self.sha256}"


@dataclass(frozen=True)
class RemoteAsset:
    """A release asset as GitHub describes it."""

    id: int
    name: str
    size: int
    digest: str | None
    state: str
    url: str
    api_url: str
    #: ``download``: GitHub recorded no digest; ``digest`` is the hash of the bytes we read.
    digest_from: Literal["github", "download"] = "github"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RemoteAsset:
        return cls(
            id=int(data["id"]),
            name=str(data["name"]),
            size=int(data.get("size") or 0),
            digest=data.get("digest"),
            state=str(data.get("state") or "uploaded"),
            url=str(data.get("browser_download_url") or ""),
            api_url=str(data.get("url") or ""),
        )

    @classmethod
    def from_asset(cls, asset: GitReleaseAsset) -> RemoteAsset:
        """From a listed asset's attributes: reading them needs no request of its own
        (``raw_data`` would make PyGithub fetch each asset again)."""
        return cls(
            id=asset.id,
            name=asset.name,
            size=asset.size or 0,
            digest=asset.digest,
            state=asset.state or "uploaded",
            url=asset.browser_download_url or "",
            api_url=asset.url or "",
        )

    @property
    def broken(self) -> bool:
        """A leftover of an interrupted upload."""
        return self.state != "uploaded" or self.size == 0

    def same_as(self, file: LocalFile) -> bool:
        return (
            not self.broken
            and self.size == file.size
            and self.digest is not None
            and self.digest.lower() == file.digest
        )


@dataclass(frozen=True)
class PlannedAsset:
    file: LocalFile
    action: PlannedAction
    existing: RemoteAsset | None = None
    #: Why, when it is not the action's usual reason.
    note: str = ""


@dataclass(frozen=True)
class Plan:
    """What to do with each file, in the order given."""

    items: tuple[PlannedAsset, ...]

    def count(self, *actions: PlannedAction) -> int:
        return sum(1 for item in self.items if item.action in actions)

    @property
    def writes(self) -> int:
        """Files needing an upload (and maybe a delete first)."""
        return self.count("upload", "replace", "repair")

    def describe(self) -> list[str]:
        lines = []
        for item in self.items:
            why = (
                item.note
                or {
                    "upload": "new",
                    "skip": "identical asset already there",
                    "replace": "differs from the asset there; overwrite",
                    "repair": "leftover of a broken upload",
                }[item.action]
            )
            lines.append(f"{item.action:<8} {item.file.name} ({item.file.size:,} bytes): {why}")
        return lines


@dataclass(frozen=True)
class AssetResult:
    """One file's outcome (the ``assets`` output's items)."""

    name: str
    size: int
    digest: str | None
    state: str
    url: str
    action: TakenAction

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "size": self.size,
            "digest": self.digest,
            "state": self.state,
            "url": self.url,
            "action": self.action,
        }


def taken(action: PlannedAction) -> TakenAction:
    """What a planned action is called once it was carried out."""
    return _TAKEN[action]


def assets_json(results: Sequence[AssetResult]) -> str:
    return json.dumps([r.to_json() for r in results], separators=(",", ":"))


# -- planning (no requests) -----------------------------------------------------------------
#: Files checked and hashed at once (hashing and decompression release the GIL).
CHECK_THREADS = 4


def _check_one(path: Path) -> tuple[int, str, Problem | None]:
    """Size, sha256 and (for a dist) the integrity problem: one read of the file."""
    size = path.stat().st_size
    if size == 0:
        raise UploadError(
            f"{path} is empty (0 bytes); GitHub keeps empty uploads as broken assets",
            fix="build the file again, or leave it out of `files`",
            file=str(path),
        )
    if size >= MAX_ASSET_BYTES:
        raise UploadError(
            f"{path} is {size:,} bytes; each release asset must be under 2 GiB "
            f"({MAX_ASSET_BYTES:,} bytes) on GitHub",
            fix="split the file, or publish it elsewhere and link to it in the notes",
            file=str(path),
        )
    dist = DistFile.parse(path)
    if dist is None:
        return size, sha256_file(path), None
    problem = dist.integrity_problem()
    return size, dist.sha256, problem


def local_files(paths: Sequence[Path]) -> list[LocalFile]:
    """Check, hash and name every file (in parallel); refuse collisions and broken dists."""
    by_name: dict[str, Path] = {}
    names = []
    for path in paths:
        DistFile.parse(path)  # a malformed dist name fails before any hashing
        name = stored_asset_name(path.name)
        if name in by_name:
            raise UploadError(
                f"{by_name[name]} and {path} would both be stored as {name!r} on GitHub",
                fix="rename one of them (GitHub turns characters other than letters, digits, "
                "'.', '-', '_' and '+' into '.')",
            )
        by_name[name] = path
        names.append(name)
    with ThreadPoolExecutor(max_workers=max(1, min(CHECK_THREADS, len(paths)))) as pool:
        checked = list(pool.map(_check_one, paths))
    problems = [problem for _, _, problem in checked if problem is not None]
    if problems:
        raise DistCheckError(
            f"refusing to upload {len(problems)} broken or mislabelled distribution(s): "
            + "; ".join(p.message for p in problems),
            fix=problems[0].fix,
            file=str(problems[0].file),
        )
    return [
        LocalFile(path, name, size, sha256)
        for path, name, (size, sha256, _) in zip(paths, names, checked, strict=True)
    ]


#: Signature files named after the one file they sign.
_SIGNATURE_SUFFIXES = (".sigstore.json", ".sigstore", ".publish.attestation")


def _signs_identical(file: LocalFile, identical: set[str], uploading: set[str]) -> str | None:
    """Why a differing signature asset may stay: it signs a file the release holds unchanged.

    Signing is not reproducible (new certificate, new log entry), so a re-run produces new
    bytes for the same statement. When the signed file on the release is identical to ours,
    the release's signature already covers our file: keep it rather than conflict.
    """
    for suffix in _SIGNATURE_SUFFIXES:
        if file.name.endswith(suffix):
            subject = file.name.removesuffix(suffix)
            if subject in identical:
                return f"the release already holds a signature for the identical {subject}"
            return None
    if file.name.endswith(".intoto.jsonl"):
        dists = {n for n in uploading if n.endswith((".whl", ".tar.gz"))}
        if dists and dists <= identical:
            return "the release already holds provenance for these identical files"
    return None


def plan_uploads(
    files: Sequence[LocalFile], existing: Sequence[RemoteAsset], *, overwrite: bool
) -> Plan:
    """Compare files with the release's assets; raise on any conflict (all listed)."""
    by_name = {asset.name: asset for asset in existing}
    identical = {
        f.name for f in files if (a := by_name.get(f.name)) and not a.broken and a.same_as(f)
    }
    uploading = {f.name for f in files}
    items: list[PlannedAsset] = []
    conflicts: list[str] = []
    for file in files:
        asset = by_name.get(file.name)
        if asset is None:
            items.append(PlannedAsset(file, "upload"))
        elif asset.broken:
            items.append(PlannedAsset(file, "repair", asset))
        elif asset.same_as(file):
            items.append(PlannedAsset(file, "skip", asset))
        elif overwrite:
            items.append(PlannedAsset(file, "replace", asset))
        elif keep := _signs_identical(file, identical, uploading):
            items.append(PlannedAsset(file, "skip", asset, note=keep))
        else:
            if asset.digest is None:
                why = f"{asset.size:,} bytes, no digest recorded (uploaded before GitHub kept digests)"
            else:
                why = f"{asset.size:,} bytes, {asset.digest}"
            conflicts.append(
                f"{file.name}: the release has {why}; the local file is "
                f"{file.size:,} bytes, {file.digest}"
            )
    new = sum(1 for item in items if item.action == "upload")
    if len(existing) + new > MAX_RELEASE_ASSETS:
        raise UploadError(
            f"the release would hold {len(existing) + new:,} assets ({len(existing):,} already "
            f"there, {new:,} new); GitHub allows at most {MAX_RELEASE_ASSETS:,} per release",
            fix="attach fewer files (e.g. bundle them in an archive), or delete assets the "
            "release no longer needs",
        )
    if conflicts:
        raise AssetConflictError(
            f"{len(conflicts)} file(s) differ from assets of the same name already on the "
            f"release: {'; '.join(conflicts)}",
            fix="if the local files are right, set `overwrite: true`; otherwise rebuild from the "
            "tagged commit (a reproducible build gives the same bytes)",
        )
    return Plan(tuple(items))


def dry_run_results(plan: Plan) -> list[AssetResult]:
    return [
        AssetResult(
            name=item.file.name,
            size=item.file.size,
            digest=item.file.digest
            if item.action != "skip"
            else item.existing.digest
            if item.existing
            else None,
            state=item.existing.state if item.action == "skip" and item.existing else "",
            url=item.existing.url if item.action == "skip" and item.existing else "",
            action=_DRY[item.action],
        )
        for item in plan.items
    ]
