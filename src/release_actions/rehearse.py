"""``release-actions rehearse [PROJECT]``: the whole chain, offline, on a throw-away clone.

The project (default: the bundled example) is copied into a temporary git repository —
a clone when it is already one — and tagged; then every step runs in this process
through the same runner contract the actions use (``INPUT_*`` variables, ``GITHUB_OUTPUT``
and ``GITHUB_STEP_SUMMARY`` files, an event file), and the summaries are printed.

Example::

    release-actions rehearse                  # the bundled example project
    release-actions rehearse ~/src/mylib --tag v2.0.0 --keep ./rehearsal
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from release_actions.errors import ProjectError, ReleaseActionsError

_HEREDOC = re.compile(
    r"^(?P<name>[^<\n]+)<<(?P<delim>\S+)\n(?P<value>.*?)\n(?P=delim)$", re.MULTILINE | re.DOTALL
)

#: Variables of the developer's own runner that must not leak into a rehearsal.
_RUNNER_PREFIXES = ("INPUT_", "GITHUB_", "ACTIONS_", "RUNNER_")


@dataclass(frozen=True)
class StepRun:
    """What a step left behind: exit code, log, parsed outputs, summary."""

    step: str
    exit_code: int
    stdout: str
    outputs: dict[str, str]
    summary: str
    seconds: float

    def errors(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith("::error")]


def parse_outputs(text: str) -> dict[str, str]:
    """Parse ``$GITHUB_OUTPUT`` written in heredoc form; anything else is an error."""
    found = {m["name"]: m["value"] for m in _HEREDOC.finditer(text)}
    rest = _HEREDOC.sub("", text).strip()
    if rest:
        raise ValueError(f"unparsed lines in GITHUB_OUTPUT: {rest!r}")
    return found


def action_environ(
    inputs: Mapping[str, str],
    *,
    workspace: Path,
    files: Path,
    event: Mapping[str, object] | None = None,
    extra: Mapping[str, str] | None = None,
    base: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The variables GitHub's runner gives a docker action, with file commands in ``files``."""
    files.mkdir(parents=True, exist_ok=True)
    paths = {name: files / name for name in ("github_output", "step_summary", "event.json")}
    paths["github_output"].touch()
    paths["step_summary"].touch()
    paths["event.json"].write_text(json.dumps(event or {}), encoding="utf-8")
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if not k.startswith(_RUNNER_PREFIXES)}
    env.update(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_OUTPUT": str(paths["github_output"]),
            "GITHUB_STEP_SUMMARY": str(paths["step_summary"]),
            "GITHUB_EVENT_PATH": str(paths["event.json"]),
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_REPOSITORY": "octo/example",
            "GITHUB_SERVER_URL": "https://github.com",
        }
    )
    env.update({"INPUT_" + name.upper(): value for name, value in inputs.items()})
    env.update(extra or {})
    return env


@contextlib.contextmanager
def _chdir(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def run_step(
    step: str,
    inputs: Mapping[str, str],
    *,
    workspace: Path,
    files: Path,
    event: Mapping[str, object] | None = None,
    extra_env: Mapping[str, str] | None = None,
    argv: Sequence[str] = (),
) -> StepRun:
    """Run one step in this process exactly as the action entry point would."""
    from release_actions.cli import main  # noqa: PLC0415

    env = action_environ(inputs, workspace=workspace, files=files, event=event, extra=extra_env)
    buffer = io.StringIO()
    start = time.perf_counter()
    with _chdir(workspace), contextlib.redirect_stdout(buffer):
        code = main([step, *argv], environ=env)
    seconds = time.perf_counter() - start
    return StepRun(
        step=step,
        exit_code=code,
        stdout=buffer.getvalue(),
        outputs=parse_outputs(Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8")),
        summary=Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8"),
        seconds=seconds,
    )


def bundled_example() -> Path:
    """The example project: from the source checkout, else the copy inside the package."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[2] / "examples" / "project", here.parent / "_example"):
        if (candidate / "pyproject.toml").is_file():
            return candidate
    raise ProjectError("the bundled example project is missing", fix="pass a PROJECT path")


#: Commit time of snapshot commits, so rehearsals of the same files build identical dists.
SNAPSHOT_DATE = "2026-01-01T00:00:00+00:00"


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": SNAPSHOT_DATE,
        "GIT_COMMITTER_DATE": SNAPSHOT_DATE,
        "GIT_AUTHOR_NAME": "release-actions rehearsal",
        "GIT_AUTHOR_EMAIL": "rehearsal@example.invalid",
        "GIT_COMMITTER_NAME": "release-actions rehearsal",
        "GIT_COMMITTER_EMAIL": "rehearsal@example.invalid",
    }
    proc = subprocess.run(
        ["git", "-c", f"safe.directory={repo}", "-c", "commit.gpgsign=false",
         "-c", "tag.gpgsign=false", *args],
        cwd=repo, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise ProjectError(f"`git {' '.join(args)}` failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def prepare_clone(project: Path, workdir: Path, tag: str | None) -> tuple[Path, str]:
    """A git repository in ``workdir`` holding ``project`` with ``tag`` on HEAD."""
    from release_actions.project import Project  # noqa: PLC0415

    project = project.resolve()
    clone = workdir / "workspace"
    inside_git = subprocess.run(
        ["git", "-c", f"safe.directory={project}", "-C", str(project), "rev-parse", "--show-toplevel"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if inside_git.returncode == 0 and Path(inside_git.stdout.strip()) == project:
        _git(workdir, "clone", "--quiet", "--no-local", str(project), str(clone))
    else:
        shutil.copytree(
            project,
            clone,
            ignore=shutil.ignore_patterns(".git", "dist", "build", "*.egg-info", ".venv"),
        )
        _git(clone, "init", "--quiet", "--initial-branch=main")
        _git(clone, "add", "--all")
        _git(clone, "commit", "--quiet", "-m", "Rehearsal snapshot")
    if tag is None:
        version = Project.load(clone).static_version
        if version is None:
            raise ProjectError(
                "the project's version is dynamic, so the rehearsal cannot choose a tag",
                fix="pass --tag v<version>",
            )
        tag = f"v{version}"
    if not _git(clone, "tag", "--list", tag):
        _git(clone, "tag", "--annotate", tag, "-m", f"Rehearsal of {tag}")
    _git(clone, "checkout", "--quiet", tag)
    return clone, tag


def rehearse(
    project: Path, *, tag: str | None, keep: Path | None, out: IO[str] | None = None
) -> int:
    """Run the chain; print each step's summary; return the exit code."""
    from rich.console import Console  # noqa: PLC0415
    from rich.markdown import Markdown  # noqa: PLC0415

    console = Console(file=out) if out is not None else Console()
    if not console.is_terminal:
        console.width = 160
    workdir = Path(tempfile.mkdtemp(prefix="release-actions-rehearsal-"))
    try:
        clone, tag = prepare_clone(project, workdir, tag)
        console.print(f"[bold]Rehearsing[/] {project} at tag [bold]{tag}[/] in {clone}")
        event = {"repository": {"default_branch": "main", "full_name": "octo/example"}}
        ref = {"GITHUB_REF": f"refs/tags/{tag}", "GITHUB_REF_NAME": tag}
        files = workdir / "file_commands"
        runs: list[StepRun] = []

        def step(name: str, inputs: Mapping[str, str], label: str = "") -> StepRun | None:
            console.print(f"▶ {name}{label} …")
            result = run_step(
                name,
                inputs,
                workspace=clone,
                files=files / f"{name}{len(runs)}",
                event=event,
                extra_env=ref,
            )
            runs.append(result)
            console.print(Markdown(result.summary))
            if result.exit_code != 0:
                console.print(result.stdout)
                return None
            console.print(f"  [green]✓[/] {name} in {result.seconds:.1f} s")
            return result

        tagged = step("verify-tag", {"tag": tag})
        if tagged is None:
            return 1
        built = step(
            "build-dists",
            {
                "expected-version": tagged.outputs["version"],
                "source-date-epoch": tagged.outputs["source-date-epoch"],
            },
        )
        if built is None:
            return 1
        rebuilt = step(
            "build-dists",
            {
                "outdir": "dist-rebuild",
                "expected-version": tagged.outputs["version"],
                "source-date-epoch": tagged.outputs["source-date-epoch"],
            },
            " (again, to prove the build is reproducible)",
        )
        if rebuilt is None:
            return 1
        if rebuilt.outputs["sha256sums"] != built.outputs["sha256sums"]:
            console.print("[red]✗ a second build of the same commit gave different files[/]")
            return 1
        console.print("  [green]✓[/] rebuilt from scratch: byte-identical sdist and wheel")
        console.print("[bold green]Rehearsal passed.[/]")
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            for path in (clone / "dist").iterdir():
                shutil.copy2(path, keep / path.name)
            console.print(f"Outputs kept in {keep}")
        return 0
    except ReleaseActionsError as error:
        console.print(f"[red]error:[/] {error.diagnostics()}")
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="release-actions rehearse",
        description="Run a project through the whole chain offline, against local stand-ins.",
    )
    parser.add_argument(
        "project", nargs="?", type=Path, help="project folder (default: bundled example)"
    )
    parser.add_argument("--tag", help="tag to rehearse (default: v<static version>)")
    parser.add_argument("--keep", type=Path, help="copy the built files into this folder")
    args = parser.parse_args(argv)
    return rehearse(args.project or bundled_example(), tag=args.tag, keep=args.keep)
