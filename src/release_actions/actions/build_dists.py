"""build-dists: a reproducible sdist, the wheel built from it, and native checks of both.

Example::

    out = run(BuildDistsInputs(project=Path("."), outdir=Path("dist"), source_date_epoch=1704164645))
    for dist in out.dists:
        print(dist.path.name, dist.size, dist.sha256)
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import InvalidVersion, Version

from release_actions.build.builder import build_dists
from release_actions.build.checks import check_dists
from release_actions.build.git import Git
from release_actions.build.project import Project
from release_actions.contract import Context, InputSpec, OutputSpec, Step, StepResult
from release_actions.dists import DistFile, dists_of
from release_actions.errors import DistCheckError, InputError

#: Zip files cannot hold times before 1980-01-01.
MIN_EPOCH = 315532800

INPUTS = (
    InputSpec("project", "Folder holding the project's pyproject.toml.", default="."),
    InputSpec("outdir", "Where to put the built files (created if missing).", default="dist"),
    InputSpec("sdist", "Build the source distribution.", default="true", kind="boolean"),
    InputSpec("wheel", "Build the wheel (from the sdist).", default="true", kind="boolean"),
    InputSpec(
        "expected-version",
        "Fail unless the built version is exactly this (e.g. verify-tag's `version` output).",
        default="",
    ),
    InputSpec(
        "source-date-epoch",
        "Timestamp for reproducible builds (verify-tag's `source-date-epoch`). Default: HEAD's committer time.",
        default="",
    ),
    InputSpec(
        "config-settings",
        "PEP 517 config settings, one `key=value` per line; a repeated key gives a list.",
        default="",
        kind="lines",
    ),
    InputSpec(
        "check",
        "Check metadata, README rendering, filenames and RECORD.",
        default="true",
        kind="boolean",
    ),
)

OUTPUTS = (
    OutputSpec("dists", "Every built file, one path per line."),
    OutputSpec("sdist", "The sdist's path (empty when not built)."),
    OutputSpec("wheels", "The wheels' paths, one per line."),
    OutputSpec("sha256sums", "`sha256sum`-style lines: `<hex>  <file name>`."),
    OutputSpec("hashes", "base64 of `sha256sums` (the SLSA generic generator's subjects format)."),
    OutputSpec("name", "The project's name as in its metadata."),
    OutputSpec("version", "The built version."),
)


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


@dataclass(frozen=True)
class BuildDistsOutputs:
    dists: tuple[DistFile, ...]
    sdist: DistFile | None
    wheels: tuple[DistFile, ...]
    name: str
    version: str
    source_date_epoch: int

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
    """Build in a staging folder, check, then move into ``outdir``: all or nothing."""
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

    def check(files: Sequence[Path]) -> None:
        if inputs.check:
            problems = check_dists(files, expected_version=inputs.expected_version)
            if problems:
                listed = "; ".join(f"{p.file.name}: {p.message}" for p in problems)
                raise DistCheckError(
                    f"{len(problems)} problem(s) in the built files: {listed}",
                    fix=problems[0].fix,
                )
        first = DistFile.parse(files[0])
        if (
            inputs.expected_version is not None
            and first is not None
            and str(first.version) != inputs.expected_version
        ):
            raise DistCheckError(
                f"built version {first.version} is not the expected {inputs.expected_version}",
                fix="build the tagged commit, or pass verify-tag's `version` output as "
                "`expected-version`",
            )

    built = build_dists(
        inputs.project,
        outdir,
        sdist=inputs.sdist,
        wheel=inputs.wheel,
        source_date_epoch=inputs.source_date_epoch,
        config_settings=inputs.config_settings,
        log=log,
        check=check,
    )
    dists = tuple(dists_of(built.files))
    first = dists[0]
    return BuildDistsOutputs(
        dists=dists,
        sdist=dists[0] if built.sdist else None,
        wheels=tuple(d for d in dists if d.kind == "wheel"),
        name=str(first.project),
        version=str(first.version),
        source_date_epoch=inputs.source_date_epoch,
    )


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


def _warn_untracked_files(ctx: Context, project: Path, outdir: Path) -> None:
    """Backends that pack every untracked, unignored file would ship old dists in the sdist."""
    try:
        inside = outdir.resolve().is_relative_to(project.resolve())
    except OSError:
        return
    git = Git(project)
    if not project.is_dir() or git.toplevel() is None:
        return
    if inside and not git.is_ignored(outdir, directory=True):
        ctx.runner.warning(
            f"outdir {outdir} is inside the project and git does not ignore it; backends such as "
            "hatchling pack unignored files into the next sdist: add it to .gitignore"
        )
    strays = git.untracked()
    if strays:
        shown = ", ".join(strays[:5]) + (f" and {len(strays) - 5} more" if len(strays) > 5 else "")
        ctx.runner.warning(
            f"{len(strays)} untracked file(s) not ignored by git ({shown}) may be packed into the "
            "sdist, so it would differ from a clean checkout's: build from a clean checkout, or "
            "ignore them"
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
    )
    _warn_untracked_files(ctx, project, parsed.outdir)
    with ctx.runner.group(f"build-dists {ctx.relative(project)}"):
        out = run(parsed, log=ctx.runner.info)
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
        f"Built **{out.name} {out.version}** with SOURCE_DATE_EPOCH={out.source_date_epoch}.",
        "",
        "| file | size | sha256 |",
        "| --- | ---: | --- |",
    ]
    rows += [f"| `{d.filename}` | {d.size:,} | `{d.sha256}` |" for d in out.dists]
    return "\n".join(rows)


STEP = Step(
    name="build-dists",
    description="Build a reproducible sdist, the wheel from it, and check both.",
    inputs=INPUTS,
    outputs=OUTPUTS,
    main=main,
)
