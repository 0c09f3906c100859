"""draft-release: find or create the tag's draft release and upload files to it.

Example::

    target = GitHubTarget(api_url="https://api.github.com", repository="octo/demo", token="ghs_…")
    out = run(
        DraftReleaseInputs(tag="v1.2.3", files=(Path("dist/demo-1.2.3.tar.gz"),),
                           workspace=Path(".")),
        target=target,
        log=print,
    )
    print(out.release_id, out.html_url, [a.action for a in out.assets])

The release is looked for among *all* releases (drafts never appear under
``/releases/tags/{tag}``): one draft → reused as it is, none → created, two drafts or a
published release → error. Notes come from the version's changelog section, else GitHub's
generate-notes endpoint. Everything is validated (files hashed, plan made, notes read)
before the first write, and a re-run converges on the same draft with nothing duplicated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, cast

from github.GitRelease import GitRelease
from packaging.version import Version

from release_actions.actions.common import (
    CONCURRENCY_INPUT,
    DRY_RUN_INPUT,
    OVERWRITE_INPUT,
    TAG_INPUT,
    TAG_PREFIX_INPUT,
    TOKEN_INPUT,
    assets_table,
    consistency_section,
    github_target,
    version_of_tag,
)
from release_actions.build.git import Git
from release_actions.consistency import (
    Consistency,
    ReleaseReader,
    require_consistent_plan,
    require_consistent_release,
)
from release_actions.contract import Context, InputSpec, OutputSpec, Step, StepResult
from release_actions.dists import DistFile
from release_actions.errors import InputError, ReleaseStateError, TagError
from release_actions.github.client import GitHubTarget
from release_actions.github.notes import changelog_section, detect_changelog, truncate_body
from release_actions.github.plan import (
    DEFAULT_CONCURRENCY,
    AssetResult,
    Plan,
    assets_json,
    check_concurrency,
    dry_run_results,
    local_files,
    plan_uploads,
)
from release_actions.github.releases import DraftSpec, the_draft
from release_actions.github.session import ReleaseSession

NotesMode = Literal["auto", "changelog", "generate", "none"]

INPUTS = (
    TOKEN_INPUT,
    TAG_INPUT,
    TAG_PREFIX_INPUT,
    InputSpec("name", "The release's title. Default: the tag."),
    InputSpec(
        "files",
        "Files to attach: globs relative to the workspace, one per line (`!` excludes). "
        "A line matching nothing is an error; empty drafts the release without files.",
        default="",
        kind="lines",
    ),
    InputSpec(
        "notes",
        "Release notes: `changelog` (the version's section of the changelog), `generate` "
        "(GitHub's generated notes), `auto` (changelog, else generated) or `none`.",
        default="auto",
        choices=("auto", "changelog", "generate", "none"),
    ),
    InputSpec("notes-file", "A file whose whole text is the release notes (instead of `notes`)."),
    InputSpec(
        "changelog",
        "The changelog to take notes from. Default: the first of CHANGELOG.md, CHANGES.rst, "
        "CHANGES.md, HISTORY.rst (then CHANGELOG.rst, HISTORY.md, NEWS.md, NEWS.rst).",
    ),
    InputSpec(
        "prerelease",
        "Mark as pre-release: `auto` (when the tag's version is a pre- or dev release), `true`, `false`.",
        default="auto",
        choices=("auto", "true", "false"),
    ),
    InputSpec(
        "target-commitish",
        "Commit (or branch) the release's tag points at if GitHub must create it. "
        "Default: the tag's commit (from the checkout, else from GitHub).",
    ),
    OVERWRITE_INPUT,
    CONCURRENCY_INPUT,
    DRY_RUN_INPUT,
)

OUTPUTS = (
    OutputSpec("release-id", "The draft release's id (empty in a dry run that would create it)."),
    OutputSpec("html-url", "The draft release's page."),
    OutputSpec("upload-url", "The release's upload URL template (for other tools)."),
    OutputSpec(
        "assets",
        "JSON list, one object per file: name, size, digest, state, url, action "
        "(uploaded|skipped|replaced|repaired, or would-… in a dry run).",
    ),
)


@dataclass(frozen=True)
class DraftReleaseInputs:
    tag: str
    files: tuple[Path, ...] = ()
    workspace: Path = Path()
    name: str | None = None
    notes: NotesMode = "auto"
    notes_file: Path | None = None
    changelog: Path | None = None
    tag_prefix: str = "v"
    #: None: from the tag's version.
    prerelease: bool | None = None
    target_commitish: str | None = None
    overwrite: bool = False
    concurrency: int = DEFAULT_CONCURRENCY
    dry_run: bool = False


@dataclass(frozen=True)
class DraftReleaseOutputs:
    tag: str
    release_id: int | None
    html_url: str
    upload_url: str
    assets: tuple[AssetResult, ...]
    created: bool
    prerelease: bool
    notes_source: str
    dry_run: bool = False
    plan: tuple[str, ...] = field(default=())
    #: The release-consistency post-condition (in a dry run: as the plan would leave it).
    consistency: Consistency | None = None


@dataclass(frozen=True)
class _Notes:
    body: str | None
    source: str
    generate: bool = False


def _prepare_notes(inputs: DraftReleaseInputs, version: Version | None) -> _Notes:
    """Notes from the file or the changelog; ``generate=True`` asks GitHub at creation."""
    if inputs.notes_file is not None:
        try:
            text = inputs.notes_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(
                f"cannot read notes-file {inputs.notes_file}: {exc}",
                fix="point `notes-file` at a UTF-8 text file in the workspace",
            ) from exc
        return _Notes(text, f"`{inputs.notes_file.name}`")
    if inputs.notes == "none":
        return _Notes("", "none")
    if inputs.notes == "generate":
        return _Notes(None, "generated by GitHub", generate=True)
    changelog = inputs.changelog
    if changelog is not None and not changelog.is_file():
        raise InputError(f"changelog {changelog} does not exist", fix="correct `changelog`")
    changelog = changelog or detect_changelog(inputs.workspace)
    section = None
    if changelog is not None and version is not None:
        section = changelog_section(changelog, version)
    if section:
        return _Notes(section, f"`{changelog.name}`" if changelog else "changelog")
    if inputs.notes == "changelog":
        where = f"in {changelog.name}" if changelog else "(no CHANGELOG.md, CHANGES.rst, … found)"
        raise InputError(
            f"no section for version {version or inputs.tag} {where}",
            fix="add a `## <version>` (Markdown) or underlined `<version>` (reST) heading, "
            "set `changelog`, or use `notes: auto`",
        )
    return _Notes(None, "generated by GitHub", generate=True)


def _check_dist_versions(paths: Sequence[Path], version: Version | None, tag: str) -> None:
    if version is None:
        return
    wrong = [
        f"{dist.filename} ({dist.version})"
        for dist in map(DistFile.parse, paths)
        if dist is not None and dist.version != version
    ]
    if wrong:
        raise TagError(
            f"tag {tag} names version {version} but these files are another version: {', '.join(wrong)}",
            fix="leftovers of an earlier build are the usual cause: empty the output folder "
            "before building (build-dists' `clean-outdir: true`) or narrow `files`; otherwise "
            "build the tagged commit (verify-tag, then build-dists)",
        )


def _resolve_prerelease(inputs: DraftReleaseInputs, version: Version | None) -> bool:
    if inputs.prerelease is not None:
        return inputs.prerelease
    if version is None:
        raise TagError(
            f"tag {inputs.tag!r} does not name a PEP 440 version after the prefix "
            f"{inputs.tag_prefix!r}, so `prerelease: auto` cannot tell",
            fix="set `prerelease: true` or `false`, or correct `tag-prefix`",
        )
    return version.is_prerelease


def _local_tag_commit(workspace: Path, tag: str) -> str | None:
    """The tag's commit in the checkout, when the workspace is one and has the tag."""
    git = Git(workspace)
    if git.toplevel() is None:
        return None
    return git.resolve(f"refs/tags/{tag}")


def run(
    inputs: DraftReleaseInputs,
    *,
    target: GitHubTarget,
    log: Callable[[str], None] = lambda _: None,
) -> DraftReleaseOutputs:
    """Validate, find or create the draft, upload; see the module docstring."""
    if not inputs.tag:
        raise TagError("no tag given", fix="run on a tag push, or set the `tag` input")
    check_concurrency(inputs.concurrency)
    version = version_of_tag(inputs.tag, inputs.tag_prefix)
    prerelease = _resolve_prerelease(inputs, version)
    _check_dist_versions(inputs.files, version, inputs.tag)
    files = local_files(inputs.files)
    notes = _prepare_notes(inputs, version)

    doing = f"preparing the draft release for {inputs.tag}"
    with ReleaseSession(target, log=log, doing=doing) as session:
        draft = the_draft(session.find(inputs.tag))
        existing = session.assets(draft, compare=files) if draft is not None else []
        plan = plan_uploads(files, existing, overwrite=inputs.overwrite)
        reader = ReleaseReader(files, session.read)
        consistency = require_consistent_plan(existing, plan, reader, tag=inputs.tag)
        commitish = inputs.target_commitish
        if draft is None and commitish is None:
            commitish = _local_tag_commit(inputs.workspace, inputs.tag) or session.tag_commit(
                inputs.tag
            )
            if commitish is None:
                raise ReleaseStateError(
                    f"tag {inputs.tag} is neither in the checkout nor on GitHub",
                    fix="push the tag first (actions/checkout with `fetch-tags: true` to see it), "
                    "or set `target-commitish`",
                )
        _log_plan(log, inputs, draft=draft, plan=plan, notes=notes, prerelease=prerelease)
        if inputs.dry_run:
            return DraftReleaseOutputs(
                tag=inputs.tag,
                release_id=draft.id if draft else None,
                html_url=draft.html_url if draft else "",
                upload_url=draft.upload_url if draft else "",
                assets=tuple(dry_run_results(plan)),
                created=draft is None,
                prerelease=draft.prerelease if draft else prerelease,
                notes_source=notes.source if draft is None else "the existing draft's",
                dry_run=True,
                plan=tuple(plan.describe()),
                consistency=consistency,
            )
        created = draft is None
        if draft is None:
            target_commitish = commitish or inputs.tag
            body = notes.body or ""
            if notes.generate:
                body = session.generate_notes(inputs.tag, target_commitish)
            draft = session.create_draft(
                DraftSpec(
                    tag=inputs.tag,
                    name=inputs.name or inputs.tag,
                    body=truncate_body(body),
                    prerelease=prerelease,
                    target_commitish=target_commitish,
                )
            )
            log(f"created draft release {draft.id} for {inputs.tag} at {target_commitish}")
        results = session.upload(
            draft, plan, concurrency=inputs.concurrency, overwrite=inputs.overwrite
        )
        if plan.writes:
            consistency = require_consistent_release(session.assets(draft), reader, tag=inputs.tag)
        return DraftReleaseOutputs(
            tag=inputs.tag,
            release_id=draft.id,
            html_url=draft.html_url,
            upload_url=draft.upload_url,
            assets=tuple(results),
            created=created,
            prerelease=draft.prerelease,
            notes_source=notes.source if created else "the existing draft's",
            plan=tuple(plan.describe()),
            consistency=consistency,
        )


def _log_plan(
    log: Callable[[str], None],
    inputs: DraftReleaseInputs,
    *,
    draft: GitRelease | None,
    plan: Plan,
    notes: _Notes,
    prerelease: bool,
) -> None:
    verb = "would " if inputs.dry_run else ""
    if draft is None:
        kind = "pre-release " if prerelease else ""
        log(f"{verb}create a {kind}draft for {inputs.tag}; notes: {notes.source}")
    else:
        log(f"{verb}reuse draft {draft.id} for {inputs.tag} (title and notes left as they are)")
    for line in plan.describe():
        log(f"  {line}")


# -- entry point ----------------------------------------------------------------------------
def main(ctx: Context) -> StepResult:
    inputs = ctx.inputs
    target = github_target(ctx)
    tag = ctx.tag()
    notes_file = inputs.optional("notes-file")
    notes = cast(NotesMode, inputs.string("notes"))
    if notes_file and "notes" in inputs.given and notes != "auto":
        raise InputError(
            f"both `notes-file` and `notes: {notes}` are set", fix="set only one of them"
        )
    prerelease_text = inputs.string("prerelease")
    parsed = DraftReleaseInputs(
        tag=tag,
        files=ctx.files(required=False),
        workspace=ctx.workspace.root,
        name=inputs.optional("name"),
        notes=notes,
        notes_file=ctx.optional_path("notes-file"),
        changelog=ctx.optional_path("changelog"),
        tag_prefix=inputs.raw["tag-prefix"].strip(),
        prerelease=None if prerelease_text == "auto" else prerelease_text == "true",
        target_commitish=inputs.optional("target-commitish"),
        overwrite=inputs.boolean("overwrite"),
        concurrency=inputs.integer("concurrency"),
        dry_run=inputs.boolean("dry-run"),
    )
    with ctx.runner.group(f"draft-release {tag}{' (dry run)' if parsed.dry_run else ''}"):
        out = run(parsed, target=target, log=ctx.runner.info)
    return StepResult(
        {
            "release-id": str(out.release_id) if out.release_id is not None else "",
            "html-url": out.html_url,
            "upload-url": out.upload_url,
            "assets": assets_json(out.assets),
        },
        summary(out),
    )


def summary(out: DraftReleaseOutputs) -> str:
    if out.dry_run:
        what = "would create a new draft" if out.created else f"would reuse draft {out.release_id}"
        head = f"**Dry run** for `{out.tag}`: {what}; nothing was changed on GitHub."
    elif out.created:
        head = f"Created draft release [{out.tag}]({out.html_url}) (id {out.release_id})."
    else:
        head = f"Reused draft release [{out.tag}]({out.html_url}) (id {out.release_id})."
    kind = "pre-release" if out.prerelease else "release"
    return "\n".join(
        [
            "### ✅ draft-release",
            "",
            head,
            f"It is a {kind}; notes: {out.notes_source}.",
            "",
            *consistency_section(out.consistency, dry_run=out.dry_run),
            *assets_table(out.assets),
        ]
    )


STEP = Step(
    name="draft-release",
    description="Find or create the tag's draft GitHub release and upload files to it.",
    inputs=INPUTS,
    outputs=OUTPUTS,
    main=main,
)
