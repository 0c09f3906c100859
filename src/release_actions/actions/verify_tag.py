"""verify-tag: the tag must name exactly the version that will be built.

Example::

    outputs = run(
        VerifyTagInputs(tag="v1.2.3", tag_prefix="v", project=Path("."), version_files=(),
                        require_branch="main", allow_local=False, require_canonical=True),
        log=print,
    )
    assert outputs.version == "1.2.3"
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import InvalidVersion, Version

from release_actions.build.builder import name_and_version
from release_actions.build.git import Git
from release_actions.build.project import Project, VersionLocation
from release_actions.contract import Context, StepResult, bool_output
from release_actions.errors import GitError, TagError, VersionMismatchError


@dataclass(frozen=True)
class VerifyTagInputs:
    tag: str
    tag_prefix: str
    project: Path
    version_files: tuple[Path, ...] = ()
    require_branch: str | None = None
    allow_local: bool = False
    require_canonical: bool = True


@dataclass(frozen=True)
class VerifyTagOutputs:
    version: str
    tag: str
    is_prerelease: bool
    commit_sha: str
    source_date_epoch: int
    name: str
    locations: tuple[VersionLocation, ...] = field(default=())
    branch: str | None = None
    #: Which text checks ran: canonical spelling, no local part; how the tag spells it.
    canonical: bool = True
    public: bool = True
    spelled: str = ""


def parse_tag(tag: str, prefix: str, *, allow_local: bool, require_canonical: bool) -> Version:
    """The version a tag names; every rule about the tag's text, nothing about the project."""
    if not tag:
        raise TagError("no tag given", fix="push a tag, or set the `tag` input")
    if tag.startswith("refs/"):
        raise TagError(
            f"tag {tag!r} is a full ref", fix=f"pass the tag's name: {tag.rsplit('/', 1)[-1]!r}"
        )
    if not tag.startswith(prefix):
        raise TagError(
            f"tag {tag!r} does not start with the prefix {prefix!r}",
            fix=f"tag as {prefix}<version>, or set `tag-prefix` to what your tags use",
        )
    text = tag[len(prefix) :]
    try:
        version = Version(text)
    except InvalidVersion:
        raise TagError(
            f"tag {tag!r} does not name a PEP 440 version ({text!r} is not one)",
            fix=f"tag as {prefix}1.2.3 (see https://peps.python.org/pep-0440/), or correct `tag-prefix`",
        ) from None
    if text.strip() != text or (text.lower().startswith("v") and prefix == ""):
        raise TagError(
            f"tag {tag!r} has a leading 'v' but `tag-prefix` is empty",
            fix="set `tag-prefix: v`",
        )
    if version.local is not None and not allow_local:
        raise TagError(
            f"tag {tag!r} names the local version {version}, which PyPI rejects",
            fix="tag a public version (drop the `+…` part), or set `allow-local: true`",
        )
    if require_canonical and str(version) != text:
        raise TagError(
            f"tag {tag!r} is not in canonical PEP 440 form: the built files will say {version}",
            fix=f"tag as {prefix}{version}, or set `require-canonical: false`",
        )
    return version


def run(
    inputs: VerifyTagInputs, *, log: Callable[[str], None] = lambda _: None
) -> VerifyTagOutputs:
    """Verify the tag against the git checkout and every version location; no side effects."""
    version = parse_tag(
        inputs.tag,
        inputs.tag_prefix,
        allow_local=inputs.allow_local,
        require_canonical=inputs.require_canonical,
    )
    project = Project.load(inputs.project)
    git = Git(inputs.project)
    if git.toplevel() is None:
        raise GitError(
            f"{inputs.project} is not inside a git checkout",
            fix="run actions/checkout before this step",
        )
    commit = git.resolve(f"refs/tags/{inputs.tag}")
    if commit is None:
        raise GitError(
            f"tag {inputs.tag!r} is not in the checkout",
            fix="push the tag first; with actions/checkout use `fetch-depth: 0` (or `fetch-tags: true`)",
        )
    head = git.resolve("HEAD")
    if head != commit:
        raise GitError(
            f"the checkout is at {str(head)[:12]} but tag {inputs.tag} points to {commit[:12]}",
            fix=f"check out the tag (actions/checkout with `ref: {inputs.tag}`) so the build is the tagged commit",
        )
    if inputs.require_branch:
        _check_branch(git, commit, inputs.tag, inputs.require_branch)

    name, meta_version = name_and_version(project, log=log)
    tag_text = inputs.tag[len(inputs.tag_prefix) :]
    extra = tuple(p if p.is_absolute() else inputs.project / p for p in inputs.version_files)
    locations = project.version_locations(extra)
    mismatches = [loc for loc in locations if not _names(loc.version, version)]
    spelled = meta_version == str(version) or (
        not inputs.require_canonical and meta_version == tag_text
    )
    if Version(meta_version) != version or not spelled:
        mismatches.append(_metadata_location(project, meta_version))
    if mismatches:
        first = mismatches[0]
        others = "".join(
            f"; {m.what} in {m.file.name}{f':{m.line}' if m.line else ''} says {m.version}"
            for m in mismatches[1:]
        )
        fix = (
            f"set the version to {version} everywhere and re-tag, or tag the version that is there"
        )
        if first.what == "the version computed from git":
            fix = (
                f"the version comes from git ({first.file.name} configures it): check out the "
                f"tagged commit with its tags (actions/checkout with `ref: {inputs.tag}` and "
                "`fetch-depth: 0`) in a clean tree; other commits and uncommitted changes give "
                "`.devN`/`+local` versions"
            )
        raise VersionMismatchError(
            f"tag {inputs.tag} names version {tag_text} but {first.what} in {first.file.name} "
            f"says {first.version}{others}",
            fix=fix,
            file=str(first.file),
            line=first.line,
        )
    return VerifyTagOutputs(
        # With the canonical check off, the version as the tag (and the project) spell it:
        # build-dists compares the built metadata with this spelling.
        version=str(version) if inputs.require_canonical else tag_text,
        tag=inputs.tag,
        is_prerelease=version.is_prerelease,
        commit_sha=commit,
        source_date_epoch=git.committer_time(commit),
        name=name,
        locations=tuple(locations),
        branch=inputs.require_branch,
        canonical=str(version) == tag_text,
        public=version.local is None,
        spelled=tag_text,
    )


def _names(text: str, version: Version) -> bool:
    """Whether a written version is the tag's (PEP 440 equality)."""
    try:
        return Version(text) == version
    except InvalidVersion:
        return False


#: Tables that make a dynamic version come from git.
_VCS_TABLES = (
    ("tool.setuptools_scm", None),
    ("tool.hatch.version", "source"),
    ("tool.pdm.version", "source"),
)


def _metadata_location(project: Project, meta_version: str) -> VersionLocation:
    """Where the project's metadata version is written, as precisely as it can be told."""
    pyproject = project.root / "pyproject.toml"
    if project.static_version is not None:
        return VersionLocation(
            pyproject, project.pyproject_line("version"), meta_version, "[project] version"
        )
    for table, key in _VCS_TABLES:
        line = (
            project.pyproject_table_line(table)
            if key is None
            else project.pyproject_line(key, table)
        )
        if line is not None:
            return VersionLocation(pyproject, line, meta_version, "the version computed from git")
    return VersionLocation(
        pyproject, project.pyproject_line("dynamic"), meta_version, "the built metadata"
    )


def _check_branch(git: Git, commit: str, tag: str, branch: str) -> None:
    history_fix = "give actions/checkout `fetch-depth: 0` so the branch and its history are fetched"
    for ref in (f"refs/remotes/origin/{branch}", f"refs/heads/{branch}"):
        if git.ref_exists(ref):
            if git.is_ancestor(commit, ref):
                return
            if git.is_shallow():
                raise GitError(
                    f"cannot tell whether tag {tag} is on {branch}: the clone is shallow",
                    fix=history_fix,
                )
            raise GitError(
                f"tag {tag} ({commit[:12]}) is not on branch {branch}",
                fix=f"tag a commit that is on {branch}, or set `require-branch` to the release branch",
            )
    if git.is_shallow():
        raise GitError(
            f"branch {branch} is not in this shallow clone, so tag {tag} cannot be checked against it",
            fix=history_fix,
        )
    raise GitError(f"branch {branch} is not in the checkout", fix=history_fix)


def main(ctx: Context) -> StepResult:
    inputs = ctx.inputs
    tag = ctx.tag()
    project = ctx.path("project")
    if "require-branch" in inputs.given:
        branch = inputs.optional("require-branch")
        if branch is None:
            ctx.runner.notice(
                "not checking that the tag's commit is on a branch: `require-branch` is empty"
            )
    else:
        # The repository's default branch: from the event payload, else ``origin/HEAD``.
        branch = ctx.github.default_branch or Git(project).origin_head()
        if branch is None:
            ctx.runner.warning(
                "could not tell the repository's default branch; not checking the tag is on it "
                "(set `require-branch`)"
            )
    parsed = VerifyTagInputs(
        tag=tag,
        tag_prefix=inputs.raw["tag-prefix"].strip(),
        project=project,
        version_files=tuple(Path(p) for p in inputs.lines("version-files")),
        require_branch=branch,
        allow_local=inputs.boolean("allow-local"),
        require_canonical=inputs.boolean("require-canonical"),
    )
    with ctx.runner.group(f"verify-tag {tag}"):
        out = run(parsed, log=ctx.runner.info)
        ctx.runner.info(f"tag {out.tag} names {out.name} {out.version} at {out.commit_sha[:12]}")
    return StepResult(
        {
            "version": out.version,
            "tag": out.tag,
            "is-prerelease": bool_output(out.is_prerelease),
            "commit-sha": out.commit_sha,
            "source-date-epoch": str(out.source_date_epoch),
        },
        summary(out),
    )


def _code(text: str) -> str:
    """Dunder names as code, so Markdown does not render ``__version__`` as bold."""
    return re.sub(r"(__\w+__)", r"`\1`", text)


def summary(out: VerifyTagOutputs) -> str:
    rows = [
        "### ✅ verify-tag",
        "",
        f"Tag `{out.tag}` names **{out.name} {out.version}**"
        f"{' (pre-release)' if out.is_prerelease else ''} at commit `{out.commit_sha[:12]}`.",
        "",
        "| check | result |",
        "| --- | --- |",
        "| PEP 440 | ✓ |",
        f"| canonical form | {'✓' if out.canonical else f'not required (tag spells `{out.spelled}`)'} |",
        f"| public (no local part) | {'✓' if out.public else 'local allowed (`allow-local`)'} |",
        f"| project metadata | {out.version} |",
    ]
    for location in out.locations:
        where = f"{location.file.name}:{location.line}" if location.line else location.file.name
        rows.append(f"| {_code(location.what)} in `{where}` | {location.version} |")
    rows.append(f"| on branch | {f'`{out.branch}`' if out.branch else 'not checked'} |")
    rows.append(f"| SOURCE_DATE_EPOCH | {out.source_date_epoch} |")
    return "\n".join(rows)
