"""build-dists: a reproducible sdist, the wheel built from it, and native checks of both.

Example::

    out = run(BuildDistsInputs(project=Path("."), outdir=Path("dist"), source_date_epoch=1704164645))
    for dist in out.dists:
        print(dist.path.name, dist.size, dist.sha256)
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import InvalidVersion, Version

from release_actions.build.builder import build_dists
from release_actions.build.checks import check_dists
from release_actions.build.git import Git
from release_actions.build.project import Project
from release_actions.contract import Context, StepResult
from release_actions.dists import DistFile, dists_of, is_dist, pypi_accepts_platform
from release_actions.errors import DirtyTreeError, DistCheckError, InputError

#: Zip files cannot hold times before 1980-01-01.
MIN_EPOCH = 315532800


@dataclass(frozen=True)
class BuildDistsInputs:
    project: Path
    outdir: Path
    source_date_epoch: int
    sdist: bool = True
    wheel: bool = True
    expected_version: str | None = None
    config_settings: Mapping[str, str | list[str]] = field(default_factory=dict)
    check: bool = True
    allow_dirty: bool = False
    clean_outdir: bool = False


@dataclass(frozen=True)
class BuildDistsOutputs:
    dists: tuple[DistFile, ...]
    sdist: DistFile | None
    wheels: tuple[DistFile, ...]
    name: str
    version: str
    source_date_epoch: int
    #: Wheels built from the sdist as a check but not kept (platform tags PyPI refuses).
    checked_only: tuple[str, ...] = ()
    #: Dists of other builds found in (or removed from, with ``clean-outdir``) ``outdir``.
    leftovers: tuple[str, ...] = ()
    cleaned: bool = False
    #: Modified or packed untracked files built anyway (``allow-dirty``).
    dirty: tuple[str, ...] = ()

    @property
    def sha256sums(self) -> str:
        return "".join(f"{d.sha256}  {d.filename}\n" for d in self.dists)


def parse_config_settings(lines: tuple[str, ...]) -> dict[str, str | list[str]]:
    settings: dict[str, str | list[str]] = {}
    for line in lines:
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InputError(
                f"config-settings line {line!r} is not `key=value`",
                fix="write one `key=value` per line in `config-settings`",
            )
        value = value.strip()
        if key in settings:
            previous = settings[key]
            settings[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            settings[key] = value
    return settings


def run(
    inputs: BuildDistsInputs, *, log: Callable[[str], None] = lambda _: None
) -> BuildDistsOutputs:
    """Check the tree is the tagged commit, build in a staging folder, check the dists,
    then move them into ``outdir``: all or nothing."""
    if not (inputs.sdist or inputs.wheel):
        raise InputError(
            "both `sdist` and `wheel` are false: nothing to build", fix="set one to true"
        )
    Project.load(inputs.project)  # a missing or broken project fails before any work
    outdir = inputs.outdir
    if outdir.exists() and not outdir.is_dir():
        raise InputError(
            f"outdir {outdir} exists and is not a folder", fix="choose another `outdir`"
        )
    tree = _tree_state(inputs.project)
    modified = tree.modified if tree else []
    if modified and not inputs.allow_dirty:
        raise DirtyTreeError(
            f"{len(modified)} tracked file(s) differ from the checked-out commit: "
            f"{_listing(modified)}; the dists would not be the tagged commit's",
            fix="commit the changes and tag that commit (or discard them: `git checkout -- "
            "<file>`); set `allow-dirty: true` only for a build that is not a release",
            file=str(inputs.project / modified[0]),
        )
    checked_only: list[str] = []
    dirty: list[str] = list(modified)

    def select(files: Sequence[Path]) -> Sequence[Path]:
        dists = dists_of(files)
        packed = _packed_untracked(dists, tree.untracked if tree else [])
        if packed and not inputs.allow_dirty:
            raise DirtyTreeError(
                f"{len(packed)} untracked file(s) would be packed into the dists: "
                f"{_listing(packed)}; a clean checkout of the tag would not have them",
                fix="delete them, add them to .gitignore, or commit them and tag that commit; "
                "set `allow-dirty: true` only for a build that is not a release",
                file=str(inputs.project / packed[0]),
            )
        dirty.extend(packed)
        if inputs.check:
            problems = check_dists(files, expected_version=inputs.expected_version)
            if problems:
                listed = "; ".join(f"{p.file.name}: {p.message}" for p in problems)
                raise DistCheckError(
                    f"{len(problems)} problem(s) in the built files: {listed}",
                    fix=problems[0].fix,
                )
        version = dists[0].version
        if inputs.expected_version is not None and version != Version(inputs.expected_version):
            raise DistCheckError(
                f"built version {version} is not the expected {inputs.expected_version}",
                fix="build the tagged commit, or pass verify-tag's `version` output as "
                "`expected-version`",
            )
        kept = []
        for dist in dists:
            refused = sorted(p for p in dist.platforms if not pypi_accepts_platform(p))
            if refused:
                log(f"{dist.filename}: PyPI refuses {', '.join(refused)}; built as a check only")
                checked_only.append(dist.filename)
            else:
                kept.append(dist.path)
        return kept

    built = build_dists(
        inputs.project,
        outdir,
        sdist=inputs.sdist,
        wheel=inputs.wheel,
        source_date_epoch=inputs.source_date_epoch,
        config_settings=inputs.config_settings,
        log=log,
        select=select,
    )
    leftovers = _other_dists(outdir, keep={p.name for p in built.files})
    if inputs.clean_outdir:
        for name in leftovers:
            (outdir / name).unlink(missing_ok=True)
            log(f"removed {name}, a dist of an earlier build")
    dists = tuple(dists_of(built.files))
    if not dists:
        raise DistCheckError(
            "nothing is left to publish: every built file was a check only",
            fix="build platform wheels with cibuildwheel, and keep `sdist: true`",
        )
    first = dists[0]
    return BuildDistsOutputs(
        dists=dists,
        sdist=next((d for d in dists if d.kind == "sdist"), None),
        wheels=tuple(d for d in dists if d.kind == "wheel"),
        name=str(first.project),
        version=str(first.version),
        source_date_epoch=inputs.source_date_epoch,
        checked_only=tuple(checked_only),
        leftovers=tuple(leftovers),
        cleaned=inputs.clean_outdir,
        dirty=tuple(dict.fromkeys(dirty)),
    )


@dataclass(frozen=True)
class _TreeState:
    modified: list[str]
    untracked: list[str]


def _tree_state(project: Path) -> _TreeState | None:
    """Modified tracked files and unignored untracked files of the project, relative to it;
    None outside a git checkout (nothing to compare with)."""
    git = Git(project)
    if git.toplevel() is None:
        return None
    return _TreeState(git.modified(), git.untracked_here())


#: Paths a backend writes into the sdist itself: never the user's untracked files.
_GENERATED = re.compile(r"(^|/)[^/]+\.egg-info/|^PKG-INFO$|^setup\.cfg$")


def _packed_untracked(dists: Sequence[DistFile], untracked: Sequence[str]) -> list[str]:
    """Untracked files that an sdist packs (or, without an sdist, every untracked file:
    a wheel built from the tree may pack any of them)."""
    if not untracked:
        return []
    sdist = next((d for d in dists if d.kind == "sdist"), None)
    if sdist is None:
        return sorted(untracked)
    packed = {m for m in sdist.members() if not _GENERATED.search(m)}
    return sorted(name for name in untracked if name in packed)


def _other_dists(outdir: Path, *, keep: set[str]) -> list[str]:
    """Wheels and sdists in ``outdir`` that this build did not put there (``keep``)."""
    return sorted(
        p.name for p in outdir.iterdir() if p.is_file() and is_dist(p) and p.name not in keep
    )


def _listing(names: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(names[:limit])
    return f"{shown} and {len(names) - limit} more" if len(names) > limit else shown


def _source_date_epoch(text: str | None, fallback: str, project: Path) -> int:
    """The input, else ``$SOURCE_DATE_EPOCH`` (``fallback``), else HEAD's committer time."""
    text = text or fallback or None
    if text is None:
        return Git(project).committer_time("HEAD") if project.is_dir() else MIN_EPOCH
    try:
        epoch = int(text, 10)
    except ValueError:
        raise InputError(
            f"source-date-epoch {text!r} is not a whole number of seconds",
            fix="pass verify-tag's `source-date-epoch` output",
        ) from None
    if epoch < MIN_EPOCH:
        raise InputError(
            f"source-date-epoch {epoch} is before 1980, which zip files cannot store",
            fix="pass verify-tag's `source-date-epoch` output",
        )
    return epoch


def _warn_outdir_not_ignored(ctx: Context, project: Path, outdir: Path) -> None:
    """Backends that pack every untracked, unignored file would pack old dists next time."""
    git = Git(project)
    if not project.is_dir() or git.toplevel() is None:
        return
    if outdir.resolve().is_relative_to(project.resolve()) and not git.is_ignored(
        outdir, directory=True
    ):
        ctx.runner.warning(
            f"outdir {ctx.relative(outdir)} is inside the project and git does not ignore it; "
            "backends such as hatchling pack unignored files into the next sdist: add it to "
            ".gitignore"
        )


def main(ctx: Context) -> StepResult:
    inputs = ctx.inputs
    project = ctx.path("project")
    expected = inputs.optional("expected-version")
    if expected is not None:
        try:
            Version(expected)
        except InvalidVersion:
            raise InputError(
                f"expected-version {expected!r} is not a PEP 440 version",
                fix="pass verify-tag's `version` output, e.g. `${{ steps.tag.outputs.version }}`",
            ) from None
    epoch = _source_date_epoch(
        inputs.optional("source-date-epoch"), ctx.github.source_date_epoch, project
    )
    parsed = BuildDistsInputs(
        project=project,
        outdir=ctx.path("outdir", "dist"),
        source_date_epoch=epoch,
        sdist=inputs.boolean("sdist"),
        wheel=inputs.boolean("wheel"),
        expected_version=expected,
        config_settings=parse_config_settings(inputs.lines("config-settings")),
        check=inputs.boolean("check"),
        allow_dirty=inputs.boolean("allow-dirty"),
        clean_outdir=inputs.boolean("clean-outdir"),
    )
    _warn_outdir_not_ignored(ctx, project, parsed.outdir)
    with ctx.runner.group(f"build-dists {ctx.relative(project)}"):
        out = run(parsed, log=ctx.runner.info)
    for name in out.checked_only:
        ctx.runner.notice(
            f"{name} was built from the sdist as a check and not kept: PyPI refuses its "
            "platform tag; platform wheels come from cibuildwheel (manylinux/musllinux)"
        )
    if out.leftovers and not out.cleaned:
        ctx.runner.warning(
            f"{ctx.relative(parsed.outdir)} also holds {len(out.leftovers)} dist(s) of another "
            f"build: {', '.join(out.leftovers)}; a later `dist/*` would pick them up: remove "
            "them, or set `clean-outdir: true`"
        )
    if out.dirty:
        ctx.runner.warning(
            f"built with `allow-dirty: true` from a tree that is not the tagged commit: "
            f"{', '.join(out.dirty[:10])}"
        )
    rel = ctx.relative
    return StepResult(
        {
            "dists": "\n".join(rel(d.path) for d in out.dists),
            "sdist": rel(out.sdist.path) if out.sdist else "",
            "wheels": "\n".join(rel(d.path) for d in out.wheels),
            "sha256sums": out.sha256sums,
            "hashes": base64.b64encode(out.sha256sums.encode()).decode(),
            "name": out.name,
            "version": out.version,
        },
        summary(out),
    )


def summary(out: BuildDistsOutputs) -> str:
    rows = [
        "### ✅ build-dists",
        "",
        f"Built **{out.name} {out.version}** with SOURCE_DATE_EPOCH={out.source_date_epoch}"
        + (" from a clean checkout of the tagged commit." if not out.dirty else "."),
        "",
        "| file | size | sha256 |",
        "| --- | ---: | --- |",
    ]
    rows += [f"| `{d.filename}` | {d.size:,} | `{d.sha256}` |" for d in out.dists]
    for name in out.checked_only:
        rows += [
            "",
            f"`{name}` was built from the sdist as a check and **not kept**: PyPI refuses its "
            "platform tag. Build platform wheels with cibuildwheel (manylinux/musllinux tags).",
        ]
    if out.leftovers:
        what = "Removed" if out.cleaned else "⚠️ Also in the output folder (not from this build)"
        rows += ["", f"{what}: {', '.join(f'`{n}`' for n in out.leftovers)}."]
    if out.dirty:
        rows += [
            "",
            "⚠️ Built with `allow-dirty: true` from a tree that is not the tagged commit: "
            + ", ".join(f"`{n}`" for n in out.dirty[:20]),
        ]
    return "\n".join(rows)
