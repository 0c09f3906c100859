"""The release-consistency invariant: every claim on a release describes the bytes there.

A release holds dists and the files that vouch for them: Sigstore bundles, PEP 740
attestations, SLSA provenance. It is *consistent* when every such claim names a file on the
release and that file's exact sha256 — a bundle for X signs X's bytes, an attestation for X
attests X's bytes, every provenance subject is on the release with the digest the
provenance lists. A dist replaced without its covering files breaks it: to anyone
verifying, the release then looks tampered with.

The steps that write to a release check it twice: on the release as the plan would leave
it, before any write (refusing, naming what must be re-signed), and on the release as
GitHub then holds it, after the writes (the post-condition, reported in the summary).

Example::

    files = [ReleaseFile("pkg-1.0.tar.gz", sha, read), ReleaseFile("pkg-1.0.tar.gz.sigstore.json", None, read2)]
    report = check_consistency(files)
    if not report.ok:
        raise InconsistentReleaseError("; ".join(report.problems), fix=…)
    print("\\n".join(report.table()))
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

from release_actions.dists import is_dist
from release_actions.errors import InconsistentReleaseError
from release_actions.github.plan import LocalFile, Plan, RemoteAsset
from release_actions.signing.claims import Claim, UnreadableClaim, claims_of, is_claim_file


@dataclass(frozen=True)
class ReleaseFile:
    """A file on a release (or about to be): its name, its sha256 if known, its bytes."""

    name: str
    sha256: str | None
    read: Callable[[], bytes] = field(compare=False, repr=False)


@dataclass(frozen=True)
class Coverage:
    """What vouches for one dist: each kind of claim that names its exact bytes."""

    name: str
    sha256: str
    bundle: bool = False
    attestation: bool = False
    provenance: bool = False


@dataclass(frozen=True)
class Consistency:
    """The outcome: problems (empty when consistent) and each dist's coverage."""

    problems: tuple[str, ...]
    dists: tuple[Coverage, ...]
    claims: int
    #: Signature files whose claims describe other bytes (they must be made again).
    stale: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def headline(self) -> str:
        if not self.ok:
            return f"❌ **inconsistent**: {len(self.problems)} claim(s) describe other bytes"
        covered = sum(1 for d in self.dists if d.bundle)
        return (
            f"✅ **consistent**: {self.claims} signature file(s) on the release describe the "
            f"exact bytes there; {covered} of {len(self.dists)} dist(s) signed"
        )

    def table(self) -> list[str]:
        """Markdown rows: each dist and what covers it."""
        if not self.dists:
            return []
        rows = [
            "| dist | sha256 | bundle | attestation | provenance |",
            "| --- | --- | :-: | :-: | :-: |",
        ]
        mark = {True: "✓", False: "—"}
        for dist in self.dists:
            rows.append(
                f"| `{dist.name}` | `{dist.sha256[:16]}…` | {mark[dist.bundle]} | "
                f"{mark[dist.attestation]} | {mark[dist.provenance]} |"
            )
        return rows


def check_consistency(files: Sequence[ReleaseFile]) -> Consistency:
    """Check every claim of every signature file among ``files`` against ``files``."""
    by_name = {f.name: f for f in files}
    digests: dict[str, str] = {}

    def digest(name: str) -> str:
        if name not in digests:
            known = by_name[name].sha256
            digests[name] = known or hashlib.sha256(by_name[name].read()).hexdigest()
        return digests[name]

    problems: list[str] = []
    stale: set[str] = set()
    claims: list[Claim] = []
    sources = 0
    for file in files:
        if not is_claim_file(file.name):
            continue
        sources += 1
        try:
            claims += claims_of(file.name, file.read())
        except UnreadableClaim as exc:
            problems.append(f"{file.name} cannot be read ({exc})")
            stale.add(file.name)
    for claim in claims:
        if claim.subject not in by_name:
            stale.add(claim.source)
            problems.append(
                f"{claim.source} {_verb(claim)} {claim.subject}, which is not on the release"
            )
        elif digest(claim.subject) != claim.sha256:
            stale.add(claim.source)
            problems.append(
                f"{claim.source} {_verb(claim)} {claim.subject} with sha256 {claim.sha256[:16]}…, "
                f"but the release's {claim.subject} is {digest(claim.subject)[:16]}…"
            )
    dists = []
    for name in sorted(n for n in by_name if is_dist(n)):
        mine = [c for c in claims if c.subject == name and c.sha256 == digest(name)]
        kinds = {c.kind for c in mine}
        dists.append(
            Coverage(
                name,
                digest(name),
                bundle="bundle" in kinds,
                attestation="attestation" in kinds,
                provenance="provenance" in kinds,
            )
        )
    return Consistency(tuple(problems), tuple(dists), sources, tuple(sorted(stale)))


def _verb(claim: Claim) -> str:
    return {"bundle": "signs", "attestation": "attests", "provenance": "lists"}[claim.kind]


# -- on GitHub: the release as a plan would leave it, and as GitHub then holds it ----------
#: Signature files fetched at once when they are not on disk already.
FETCH_THREADS = 8


class ReleaseReader:
    """The bytes of a release's files, read as cheaply as they can be: from the local file
    with the same sha256 when there is one (a re-run of the same files reads nothing from
    GitHub), else downloaded once (small signature files only) and kept for the run."""

    def __init__(
        self, local: Sequence[LocalFile], read_remote: Callable[[RemoteAsset], bytes]
    ) -> None:
        self._local = {f.sha256: f.path for f in local}
        self._read_remote = read_remote
        self._cache: dict[str, bytes] = {}

    def _digest(self, asset: RemoteAsset) -> str | None:
        return asset.digest.removeprefix("sha256:").lower() if asset.digest else None

    def remote(self, asset: RemoteAsset) -> ReleaseFile:
        digest = self._digest(asset)
        return ReleaseFile(asset.name, digest, partial(self._bytes, asset))

    def local(self, file: LocalFile) -> ReleaseFile:
        return ReleaseFile(file.name, file.sha256, file.path.read_bytes)

    def _bytes(self, asset: RemoteAsset) -> bytes:
        digest = self._digest(asset)
        key = digest or f"asset:{asset.id}"
        if key not in self._cache:
            path = self._local.get(digest or "")
            self._cache[key] = path.read_bytes() if path else self._read_remote(asset)
        return self._cache[key]

    def prefetch(self, assets: Sequence[RemoteAsset]) -> None:
        """Download the signature files among ``assets`` not on disk, in parallel."""
        todo = [
            a
            for a in assets
            if is_claim_file(a.name)
            and (self._digest(a) or "") not in self._local
            and (self._digest(a) or f"asset:{a.id}") not in self._cache
        ]
        if todo:
            with ThreadPoolExecutor(max_workers=min(FETCH_THREADS, len(todo))) as pool:
                list(pool.map(self._bytes, todo))


def planned_release(
    existing: Sequence[RemoteAsset], plan: Plan, reader: ReleaseReader
) -> list[ReleaseFile]:
    """The release as ``plan`` would leave it: the assets it keeps, and the files it uploads
    (a replaced or repaired asset gives way to the local file of its name)."""
    written = {item.file.name: item.file for item in plan.items if item.action != "skip"}
    kept = [a for a in existing if a.name not in written and not a.broken]
    reader.prefetch(kept)
    return [*(reader.remote(a) for a in kept), *(reader.local(f) for f in written.values())]


def require_consistent_plan(
    existing: Sequence[RemoteAsset], plan: Plan, reader: ReleaseReader, *, tag: str
) -> Consistency:
    """Refuse, before any write, a plan that would leave the release inconsistent."""
    report = check_consistency(planned_release(existing, plan, reader))
    if not report.ok:
        replaced = sorted(
            i.file.name
            for i in plan.items
            if i.action in ("replace", "repair") and is_dist(i.file.name)
        )
        cause = f"replacing {', '.join(replaced)} " if replaced else "these files "
        raise InconsistentReleaseError(
            f"{cause}would leave release {tag} inconsistent: {'; '.join(report.problems)}",
            fix=f"sign the new files (sign step) and include their signature files in `files` so "
            f"they replace {', '.join(report.stale)} in the same run; or leave the release as it is",
        )
    return report


def require_consistent_release(
    assets: Sequence[RemoteAsset], reader: ReleaseReader, *, tag: str
) -> Consistency:
    """The post-condition: the release as GitHub holds it after the writes is consistent."""
    reader.prefetch(assets)
    report = check_consistency([reader.remote(a) for a in assets])
    if not report.ok:
        raise InconsistentReleaseError(
            f"release {tag} is inconsistent after the upload: {'; '.join(report.problems)}",
            fix="another job may have changed the release meanwhile: re-run this step (it "
            "converges), and sign again the files whose signatures are named",
        )
    return report
