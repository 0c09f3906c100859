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

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from packaging.version import Version

from release_actions.errors import GitHubApiError, InputError, ReleaseStateError, TagError
from release_actions.files import resolve_files
from release_actions.releases import (
    GitHubTarget,
    NotesMode,
    api_error,
    changelog_section,
    detect_changelog,
    dist_identity,
    find_release,
    tag_commit,
    the_draft,
    truncate_body,
    version_of_tag,
)
from release_actions.runner import InputSpec, OutputSpec
from release_actions.step import Context, Step, StepResult
from release_actions.upload import (
    MAX_CONCURRENCY,
    AssetResult,
    Plan,
    Uploader,
    assets_json,
    assets_of,
    check_concurrency,
    dry_run_results,
    local_files,
    plan_uploads,
)

if TYPE_CHECKING:
    from github.GitRelease import GitRelease
    from github.Repository import Repository

TOKEN_INPUT = InputSpec(
    "token",
    "Token that may write releases (`permissions: contents: write`). The CLI reads GITHUB_TOKEN.",
    default="",
    secret=True,
    action_default="${{ github.token }}",
)
TAG_INPUT = InputSpec(
    "tag", "The release's tag. Default: the pushed tag (GITHUB_REF when it is refs/tags/*)."
)
TAG_PREFIX_INPUT = InputSpec(
    "tag-prefix", "Text before the version in the tag (`v` in `v1.2.3`); may be empty.", default="v"
)
OVERWRITE_INPUT = InputSpec(
    "overwrite",
    "Replace assets of the same name whose content differs (default: fail, listing them).",
    default="false",
    kind="boolean",
)
CONCURRENCY_INPUT = InputSpec(
    "concurrency",
    f"Files uploaded at the same time (1-{MAX_CONCURRENCY}).",
    default="4",
    kind="integer",
    minimum=1,
    maximum=MAX_CONCURRENCY,
)
DRY_RUN_INPUT = InputSpec(
    "dry-run",
    "Validate everything and print the plan; change nothing on GitHub.",
    default="false",
    kind="boolean",
)

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

#: Attempts to create the draft (a 5xx may hide a success: each retry looks first).
CREATE_ATTEMPTS = 3


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
    concurrency: int = 4
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
    wrong = []
    for path in paths:
        identity = dist_identity(path.name)
        if identity is not None and identity[1] != version:
            wrong.append(f"{path.name} ({identity[1]})")
    if wrong:
        raise TagError(
            f"tag {tag} names version {version} but these files are another version: {', '.join(wrong)}",
            fix="build the tagged commit (verify-tag, then build-dists), or correct `files`",
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


def _create_retry_wait(exc: Exception, attempt: int) -> float | None:
    """Seconds to wait before looking again and retrying a failed create, or None: give up."""
    from github.GithubException import GithubException  # noqa: PLC0415

    from release_actions.upload import MAX_RATE_LIMIT_WAIT, rate_limit_wait  # noqa: PLC0415

    if attempt >= CREATE_ATTEMPTS:
        return None
    if not isinstance(exc, GithubException) or exc.status >= 500:
        return 0.5 * float(2**attempt)
    if exc.status in {403, 429}:
        data = exc.data if isinstance(exc.data, dict) else {}
        wait_for = rate_limit_wait(
            exc.status, dict(exc.headers or {}), str(data.get("message", ""))
        )
        if wait_for is not None and wait_for <= MAX_RATE_LIMIT_WAIT:
            return wait_for
    return None


def _create_draft(
    repo: Repository,
    inputs: DraftReleaseInputs,
    *,
    target: str,
    notes: _Notes,
    prerelease: bool,
    log: Callable[[str], None],
) -> GitRelease:
    """Create the draft; after a failure that may hide a success, look before retrying."""
    import requests  # noqa: PLC0415
    from github.GithubException import GithubException  # noqa: PLC0415

    body = notes.body or ""
    if notes.generate:
        try:
            generated = repo.generate_release_notes(inputs.tag, target_commitish=target)
        except GithubException as exc:
            raise api_error(exc, f"generating release notes for {inputs.tag}") from exc
        body = generated.body
    body = truncate_body(body)
    release: GitRelease | None = None
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        try:
            release = repo.create_git_release(
                inputs.tag,
                name=inputs.name or inputs.tag,
                message=body,
                draft=True,
                prerelease=prerelease,
                target_commitish=target,
                make_latest="false" if prerelease else "true",
            )
            break
        except (GithubException, requests.RequestException) as exc:
            wait_for = _create_retry_wait(exc, attempt)
            if wait_for is None:
                if isinstance(exc, GithubException):
                    raise api_error(exc, f"creating the draft release for {inputs.tag}") from exc
                raise GitHubApiError(
                    f"creating the draft release for {inputs.tag} failed: {exc}",
                    fix="re-run the job; it finds the draft if GitHub made it",
                ) from exc
            log(f"creating the draft failed ({exc}); looking for it in {wait_for:.0f} s")
            time.sleep(wait_for)
            release = the_draft(find_release(repo, inputs.tag))
            if release is not None:
                break
    if release is None:  # pragma: no cover - the loop either breaks or raises
        raise GitHubApiError(f"could not create the draft release for {inputs.tag}")
    # Two jobs racing can both create a draft: keep the oldest, delete ours if it is not.
    found = find_release(repo, inputs.tag)
    if len(found.drafts) > 1:
        oldest = min(found.drafts, key=lambda d: d.id)
        if oldest.id != release.id:
            log(
                f"another job created draft {oldest.id} at the same time; deleting ours ({release.id})"
            )
            try:
                release.delete_release()
            except GithubException as exc:
                raise api_error(exc, f"deleting the duplicate draft {release.id}") from exc
            return oldest
    return release


def run(
    inputs: DraftReleaseInputs,
    *,
    target: GitHubTarget,
    log: Callable[[str], None] = lambda _: None,
) -> DraftReleaseOutputs:
    """Validate, find or create the draft, upload; see the module docstring."""
    from github.GithubException import GithubException  # noqa: PLC0415

    from release_actions.gitutil import Git  # noqa: PLC0415

    if not inputs.tag:
        raise TagError("no tag given", fix="run on a tag push, or set the `tag` input")
    check_concurrency(inputs.concurrency)
    version = version_of_tag(inputs.tag, inputs.tag_prefix)
    prerelease = _resolve_prerelease(inputs, version)
    _check_dist_versions(inputs.files, version, inputs.tag)
    files = local_files(inputs.files)
    notes = _prepare_notes(inputs, version)

    gh = target.client()
    try:
        repo = gh.get_repo(target.repository)
        draft = the_draft(find_release(repo, inputs.tag))
        existing = assets_of(draft) if draft is not None else []
        plan = plan_uploads(files, existing, overwrite=inputs.overwrite)
        commitish = inputs.target_commitish
        if draft is None and commitish is None:
            git = Git(inputs.workspace)
            local = git.resolve if git.toplevel() is not None else None
            commitish = tag_commit(
                repo, inputs.tag, local=(lambda t: local(f"refs/tags/{t}")) if local else None
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
            )
        created = draft is None
        if draft is None:
            draft = _create_draft(
                repo,
                inputs,
                target=commitish or inputs.tag,
                notes=notes,
                prerelease=prerelease,
                log=log,
            )
            log(f"created draft release {draft.id} for {inputs.tag} at {commitish or inputs.tag}")
        uploader = Uploader.for_release(
            target, draft, concurrency=inputs.concurrency, overwrite=inputs.overwrite, log=log
        )
        results = uploader.execute(plan)
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
        )
    except GithubException as exc:
        raise api_error(exc, f"preparing the draft release for {inputs.tag}") from exc
    finally:
        gh.close()


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
def tag_from(ctx: Context) -> str:
    """The ``tag`` input, else the pushed tag."""
    tag = ctx.inputs.string("tag")
    if tag:
        return tag
    ref = ctx.github.ref
    if ref.startswith("refs/tags/"):
        return ref.removeprefix("refs/tags/")
    started = f" (this run is for {ref})" if ref else ""
    raise TagError(
        f"no tag given{started}", fix="run on a tag push (`on: push: tags`) or set the `tag` input"
    )


def target_from(ctx: Context) -> GitHubTarget:
    """Server, repository and token from the runner's variables (token masked at once)."""
    token = ctx.inputs.optional("token") or ctx.environ.get("GITHUB_TOKEN", "").strip()
    ctx.runner.mask(token)
    return GitHubTarget(api_url=ctx.github.api_url, repository=ctx.github.repository, token=token)


def workspace_from(ctx: Context) -> Path:
    return Path(ctx.github.workspace or ".")


def files_from(ctx: Context, workspace: Path, *, required: bool) -> tuple[Path, ...]:
    patterns = ctx.inputs.lines("files")
    if not patterns and not required:
        return ()
    return tuple(resolve_files(patterns, root=workspace, input_name="files"))


def main(ctx: Context) -> StepResult:
    inputs = ctx.inputs
    target = target_from(ctx)
    workspace = workspace_from(ctx)
    tag = tag_from(ctx)
    prerelease_text = inputs.string("prerelease")
    notes_file = inputs.optional("notes-file")
    changelog = inputs.optional("changelog")
    notes: Literal["auto", "changelog", "generate", "none"] = inputs.string("notes")  # type: ignore[assignment]
    if notes_file and "notes" in inputs.given and notes != "auto":
        raise InputError(
            f"both `notes-file` and `notes: {notes}` are set", fix="set only one of them"
        )
    parsed = DraftReleaseInputs(
        tag=tag,
        files=files_from(ctx, workspace, required=False),
        workspace=workspace,
        name=inputs.optional("name"),
        notes=notes,
        notes_file=workspace / notes_file if notes_file else None,
        changelog=workspace / changelog if changelog else None,
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


def assets_table(assets: Sequence[AssetResult]) -> list[str]:
    if not assets:
        return ["No files."]
    rows = ["| file | size | sha256 | action |", "| --- | ---: | --- | --- |"]
    for asset in assets:
        digest = (asset.digest or "").removeprefix("sha256:")
        name = f"[`{asset.name}`]({asset.url})" if asset.url else f"`{asset.name}`"
        rows.append(f"| {name} | {asset.size:,} | `{digest[:16]}…` | {asset.action} |")
    if len(assets) > 20:
        return [
            f"<details><summary>{len(assets)} files</summary>",
            "",
            *rows,
            "",
            "</details>",
        ]
    return rows


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
