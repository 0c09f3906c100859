"""add-wheels-to-release: upload more files to an existing release, draft or published.

Example::

    target = GitHubTarget(api_url="https://api.github.com", repository="octo/demo", token="ghs_…")
    out = run(
        AddWheelsInputs(tag="v1.2.3", files=(Path("wheelhouse/demo-1.2.3-cp313-cp313-manylinux_2_28_x86_64.whl"),)),
        target=target,
    )
    print(out.uploaded, out.skipped)

It never creates a release (the seed-000 bug: a manual re-run "sometimes created a new
draft") and never changes its draft, pre-release or latest state. Every file must belong
to the release: wheels and sdists of the release's project and the tag's version;
``<file>.sigstore.json`` and ``<dist>.publish.attestation`` of such a file (being uploaded
or already attached); SLSA provenance ``*.intoto.jsonl``. An immutable release is refused
before any upload, unless every file is already there, identical.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import NormalizedName
from packaging.version import Version

from release_actions.actions.common import (
    assets_table,
    consistency_section,
    github_target,
    version_of_tag,
)
from release_actions.consistency import (
    Consistency,
    ReleaseReader,
    require_consistent_plan,
    require_consistent_release,
)
from release_actions.contract import Context, StepResult
from release_actions.dists import DistFile
from release_actions.errors import InputError, ReleaseStateError, TagError
from release_actions.github.client import GitHubTarget
from release_actions.github.concurrency import DEFAULT_CONCURRENCY
from release_actions.github.plan import (
    AssetResult,
    LocalFile,
    RemoteAsset,
    assets_json,
    check_concurrency,
    dry_run_results,
    local_files,
    plan_uploads,
)
from release_actions.github.session import ReleaseSession

_BUNDLE_SUFFIXES = (".sigstore.json", ".publish.attestation")
_PROVENANCE_SUFFIX = ".intoto.jsonl"


@dataclass(frozen=True)
class AddWheelsInputs:
    tag: str
    files: tuple[Path, ...]
    tag_prefix: str = "v"
    overwrite: bool = False
    overwrite_published: bool = False
    concurrency: int = DEFAULT_CONCURRENCY
    dry_run: bool = False


@dataclass(frozen=True)
class AddWheelsOutputs:
    tag: str
    release_id: int
    html_url: str
    draft: bool
    assets: tuple[AssetResult, ...]
    project: str | None
    dry_run: bool = False
    #: The release-consistency post-condition (in a dry run: as the plan would leave it).
    consistency: Consistency | None = None

    @property
    def uploaded(self) -> int:
        return sum(1 for a in self.assets if a.action in {"uploaded", "replaced", "repaired"})

    @property
    def skipped(self) -> int:
        return sum(1 for a in self.assets if a.action == "skipped")


def check_belongs(
    files: Sequence[LocalFile], existing: Sequence[RemoteAsset], *, version: Version, tag: str
) -> NormalizedName | None:
    """Refuse files that are not the release's project at the tag's version.

    Returns the project's canonical name (None when no distribution is involved).
    """
    released: dict[str, NormalizedName] = {}  # stored name → project, for the release's dists
    for asset in existing:
        dist = DistFile.quiet(asset.name)
        if dist is not None:
            released[asset.name] = dist.project
    projects = sorted(set(released.values()))
    project = projects[0] if len(projects) == 1 else None
    problems: list[str] = []
    dists: dict[str, NormalizedName] = dict(released)
    for file in files:
        dist = DistFile.parse(file.path)
        if dist is None:
            continue
        if dist.version != version:
            problems.append(
                f"{file.path.name} is version {dist.version}, the release {tag} is {version}"
            )
        if project is None and projects:
            pass  # a release with several projects' files: only the version is checked
        elif project is None:
            project = dist.project
        elif dist.project != project:
            problems.append(
                f"{file.path.name} is project {dist.project}, the release's files are {project}"
            )
        dists[file.name] = dist.project
    for file in files:
        if DistFile.parse(file.path) is not None or file.name.endswith(_PROVENANCE_SUFFIX):
            continue
        suffix = next((s for s in _BUNDLE_SUFFIXES if file.name.endswith(s)), None)
        if suffix is None:
            problems.append(
                f"{file.path.name} is not a wheel, sdist, signature bundle or provenance file"
            )
            continue
        subject = file.name.removesuffix(suffix)
        if subject in dists or (
            suffix == ".sigstore.json" and subject.endswith(_PROVENANCE_SUFFIX)
        ):
            continue
        problems.append(
            f"{file.path.name} signs {subject}, which is neither among the files nor on the release"
        )
    if problems:
        raise TagError(
            f"{len(problems)} file(s) do not belong to release {tag}: {'; '.join(problems)}",
            fix="build the tagged commit and pass only its files (and their bundles) in `files`",
        )
    return project


def run(
    inputs: AddWheelsInputs,
    *,
    target: GitHubTarget,
    log: Callable[[str], None] = lambda _: None,
) -> AddWheelsOutputs:
    """Validate everything, then upload to the existing release; see the module docstring."""
    if not inputs.tag:
        raise TagError("no tag given", fix="set the `tag` input")
    if not inputs.files:
        raise InputError("`files` is empty", fix="list the files to add in `files`")
    check_concurrency(inputs.concurrency)
    version = version_of_tag(inputs.tag, inputs.tag_prefix)
    if version is None:
        raise TagError(
            f"tag {inputs.tag!r} does not name a PEP 440 version after the prefix {inputs.tag_prefix!r}",
            fix="pass the release's tag (e.g. v1.2.3), or correct `tag-prefix`",
        )
    files = local_files(inputs.files)

    doing = f"adding files to release {inputs.tag}"
    with ReleaseSession(target, log=log, doing=doing) as session:
        release = session.release_for(inputs.tag)
        existing = session.assets(release, compare=files)
        project = check_belongs(files, existing, version=version, tag=inputs.tag)
        plan = plan_uploads(files, existing, overwrite=inputs.overwrite)
        replaced = [i.file.name for i in plan.items if i.action == "replace"]
        if replaced and not release.draft and not inputs.overwrite_published:
            raise ReleaseStateError(
                f"release {inputs.tag} is published, and {len(replaced)} of its assets would be "
                f"replaced with other bytes: {', '.join(replaced)}",
                fix="anyone may have downloaded the published files: publish the change as a "
                "new release (a post-release such as 1.2.3.post1); to replace them anyway, set "
                "`overwrite-published: true` as well as `overwrite: true`",
            )
        reader = ReleaseReader(files, session.read)
        consistency = require_consistent_plan(existing, plan, reader, tag=inputs.tag)
        state = "draft" if release.draft else "published release"
        log(f"{'would add' if inputs.dry_run else 'adding'} to {state} {release.id} ({inputs.tag})")
        for line in plan.describe():
            log(f"  {line}")
        if release.immutable and plan.writes:
            raise ReleaseStateError(
                f"release {inputs.tag} is immutable: GitHub refuses to change its assets "
                f'("Cannot upload assets to an immutable release."; "Cannot delete asset '
                f'from an immutable release"), and {plan.writes} file(s) would need an upload',
                fix="immutable releases cannot change; publish the files in a new release "
                "(a post-release such as 1.2.3.post1)",
            )
        if inputs.dry_run:
            results = dry_run_results(plan)
        else:
            results = session.upload(
                release, plan, concurrency=inputs.concurrency, overwrite=inputs.overwrite
            )
            if plan.writes:
                consistency = require_consistent_release(
                    session.assets(release), reader, tag=inputs.tag
                )
        return AddWheelsOutputs(
            tag=inputs.tag,
            release_id=release.id,
            html_url=release.html_url,
            draft=release.draft,
            assets=tuple(results),
            project=project,
            dry_run=inputs.dry_run,
            consistency=consistency,
        )


def main(ctx: Context) -> StepResult:
    inputs = ctx.inputs
    target = github_target(ctx)
    tag = ctx.tag()
    parsed = AddWheelsInputs(
        tag=tag,
        files=ctx.files(),
        tag_prefix=inputs.raw["tag-prefix"].strip(),
        overwrite=inputs.boolean("overwrite"),
        overwrite_published=inputs.boolean("overwrite-published"),
        concurrency=inputs.integer("concurrency"),
        dry_run=inputs.boolean("dry-run"),
    )
    with ctx.runner.group(f"add-wheels-to-release {tag}{' (dry run)' if parsed.dry_run else ''}"):
        out = run(parsed, target=target, log=ctx.runner.info)
    return StepResult(
        {
            "release-id": str(out.release_id),
            "uploaded": str(out.uploaded),
            "skipped": str(out.skipped),
            "assets": assets_json(out.assets),
        },
        summary(out),
    )


def summary(out: AddWheelsOutputs) -> str:
    kind = "draft" if out.draft else "published release"
    if out.dry_run:
        head = (
            f"**Dry run** for [{out.tag}]({out.html_url}) ({kind}): nothing was changed on GitHub."
        )
    else:
        head = (
            f"[{out.tag}]({out.html_url}) ({kind}, id {out.release_id}): "
            f"{out.uploaded} uploaded, {out.skipped} already there."
        )
    return "\n".join(
        [
            "### ✅ add-wheels-to-release",
            "",
            head,
            "",
            *consistency_section(out.consistency, dry_run=out.dry_run),
            *assets_table(out.assets),
        ]
    )
