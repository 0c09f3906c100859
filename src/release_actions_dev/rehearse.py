"""``scripts/rehearse [PROJECT]``: the whole chain, offline, on a throw-away clone.

The project (default: the bundled example) is copied into a temporary git repository —
a clone when it is already one — and tagged; then every step runs in this process
through the same runner contract the actions use (``INPUT_*`` variables, ``GITHUB_OUTPUT``
and ``GITHUB_STEP_SUMMARY`` files, an event file), and the summaries are printed.

Example::

    scripts/rehearse                  # the bundled example project
    scripts/rehearse ~/src/mylib --tag v2.0.0 --output ./rehearsal --keep
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table

from release_actions.build.project import Project
from release_actions.errors import ProjectError, ReleaseActionsError
from release_actions_dev.runner import StepRun, run_step, run_step_elsewhere, someone_elses_environ
from release_actions_dev.standins.github import GitHubStandin
from release_actions_dev.standins.pypi.testing import pypi_for
from release_actions_dev.standins.sigstore import GITHUB_ISSUER, SigstoreStandin


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


#: The write token the rehearsal's GitHub stand-in accepts (it is nobody's real token).
REHEARSAL_TOKEN = "ghs_rehearsal0000000000000000000000000000"  # noqa: S105
REHEARSAL_REPOSITORY = ("octo", "example")


@dataclass
class Rehearsal:
    """One rehearsal: a tagged clone, the two stand-ins, and the steps run so far."""

    clone: Path
    tag: str
    files: Path
    environ: dict[str, str]
    event: dict[str, object]
    console: Any
    trust_config: str
    pypi_url: str
    runs: list[StepRun] = field(default_factory=list)

    def step(self, name: str, inputs: Mapping[str, str], label: str = "") -> StepRun:

        with self.console.status(f"{name}{label} …"):
            result = run_step(
                name,
                inputs,
                workspace=self.clone,
                files=self.files / f"{len(self.runs):02d}-{name}",
                event=self.event,
                extra_env=self.environ,
            )
        self.runs.append(result)
        self.console.print(Markdown(result.summary))
        if result.exit_code != 0:
            self.console.print(result.stdout, markup=False, highlight=False)
            raise _StepFailed(name)
        self.console.print(f"  [green]✓[/] {name}{label} in {result.seconds:.1f} s\n")
        return result

    def rebuild_elsewhere(self, workdir: Path, inputs: Mapping[str, str]) -> StepRun:
        """build-dists again as another user would: a clone of the tag at another path,
        their own environment and umask, in a process of its own."""
        elsewhere = workdir / "someone-else" / "checkout"
        _git(workdir, "clone", "--quiet", "--no-local", str(self.clone), str(elsewhere))
        _git(elsewhere, "checkout", "--quiet", self.tag)
        env = someone_elses_environ(
            workdir / "someone-else" / "home", workdir / "someone-else" / "tmp"
        )
        with self.console.status("build-dists (again, by someone else) …"):
            result = run_step_elsewhere(
                "build-dists",
                inputs,
                workspace=elsewhere,
                files=self.files / f"{len(self.runs):02d}-build-dists-elsewhere",
                base=env,
            )
        self.runs.append(result)
        self.console.print(Markdown(result.summary))
        if result.exit_code != 0:
            self.console.print(result.stdout, markup=False, highlight=False)
            raise _StepFailed("build-dists (again, by someone else)")
        self.console.print(
            f"  [green]✓[/] build-dists (again, by someone else) in {result.seconds:.1f} s\n"
        )
        return result


class _StepFailed(Exception):
    pass


def rehearse(
    project: Path,
    *,
    tag: str | None,
    keep: bool = False,
    output: Path | None = None,
    out: IO[str] | None = None,
) -> int:
    """Run the chain against in-process stand-ins; print the summaries and a final report.

    The chain: verify-tag → build-dists (twice: here, and as someone else; hashes
    compared) → sign the sdist → draft-release with the sdist and its signatures → sign
    the wheel (a later batch, labelled provenance) → add-wheels-to-release →
    publish-release (every dist verified, the release consistent) → publish-pypi (trusted
    publishing with attestations, to a real pypiserver behind the PyPI stand-in; the sdist,
    then the wheels) → the final state of both, and verify what the release holds as a
    downstream user would. The built and signed files end up in ``output``; ``keep`` keeps
    the whole work folder.
    """

    console = Console(file=out) if out is not None else Console()
    if not console.is_terminal:
        console.width = 160
    workdir = Path(tempfile.mkdtemp(prefix="release-actions-rehearsal-"))
    started = time.perf_counter()
    owner, repo = REHEARSAL_REPOSITORY
    try:
        clone, tag = prepare_clone(project, workdir, tag)
        commit = _git(clone, "rev-parse", "HEAD")
        console.print(f"[bold]Rehearsing[/] {project} at tag [bold]{tag}[/] in {clone}\n")
        with (
            GitHubStandin(owner=owner, repo=repo, token=REHEARSAL_TOKEN) as github,
            SigstoreStandin(issuer_url=GITHUB_ISSUER, directory=workdir / "sigstore") as sigstore,
            pypi_for(sigstore, projects=(_project_name(clone),)) as pypi,
        ):
            environ = {
                **github.environ(),
                **sigstore.ambient_env(
                    repository=f"{owner}/{repo}", ref=f"refs/tags/{tag}", sha=commit
                ),
                "GITHUB_SERVER_URL": "https://github.com",
                "GITHUB_REF": f"refs/tags/{tag}",
                "GITHUB_REF_NAME": tag,
            }
            event: dict[str, object] = {
                "repository": {"default_branch": "main", "full_name": f"{owner}/{repo}"}
            }
            run = Rehearsal(
                clone,
                tag,
                workdir / "file_commands",
                environ,
                event,
                console,
                str(sigstore.trust_config_path),
                pypi.upload_url,
            )
            code = _chain(run, workdir)
            if code == 0:
                _report(run, github, pypi, console, time.perf_counter() - started)
                if output is not None:
                    _collect(clone, output)
                    console.print(f"Built, signed and downloaded files are in {output}")
            return code
    except _StepFailed as failed:
        console.print(f"[red]✗ rehearsal stopped: {failed} failed[/]")
        return 1
    except ReleaseActionsError as error:
        console.print(f"[red]error:[/] {error.diagnostics()}")
        return 1
    finally:
        if keep:
            console.print(f"Work folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _chain(run: Rehearsal, workdir: Path) -> int:
    tagged = run.step("verify-tag", {"tag": run.tag})
    version = tagged.outputs["version"]
    epoch = tagged.outputs["source-date-epoch"]
    built = run.step("build-dists", {"expected-version": version, "source-date-epoch": epoch})
    rebuilt = run.rebuild_elsewhere(
        workdir, {"expected-version": version, "source-date-epoch": epoch}
    )
    if rebuilt.outputs["sha256sums"] != built.outputs["sha256sums"]:
        run.console.print("[red]✗ a second build of the same commit gave different files[/]")
        return 1
    run.console.print("  [green]✓[/] the rebuild by someone else is byte-identical")
    run.console.print(
        "    (another clone path, umask 002, TZ Pacific/Kiritimati, locale C, own HOME and "
        "TMPDIR, a process of its own)\n"
    )
    token = {"token": REHEARSAL_TOKEN}
    run.step("sign", {"files": "dist/*.tar.gz", "trust-config": run.trust_config})
    run.step(
        "draft-release",
        {**token, "tag": run.tag, "files": "dist/*.tar.gz\nsignatures/*"},
        " (sdist, bundle, provenance)",
    )
    run.step(
        "sign",
        {
            "files": "dist/*.whl",
            "output-dir": "signatures-wheels",
            "provenance-label": "wheels",
            "trust-config": run.trust_config,
        },
        " (a later batch: the wheels)",
    )
    run.step(
        "add-wheels-to-release",
        {**token, "tag": run.tag, "files": "dist/*.whl\nsignatures-wheels/*"},
    )
    run.step(
        "publish-release",
        {
            **token,
            "tag": run.tag,
            "repository": "/".join(REHEARSAL_REPOSITORY),
            "ref": f"refs/tags/{run.tag}",
            "trust-config": run.trust_config,
        },
    )
    for dists, folder in (("dist/*.tar.gz", "signatures"), ("dist/*.whl", "signatures-wheels")):
        run.step(
            "publish-pypi",
            {"files": dists, "repository-url": run.pypi_url, "attestations-dir": folder},
            f" ({dists}, trusted publishing, attestations from {folder}/)",
        )
    return 0


def _project_name(clone: Path) -> str:
    """The project's name as pyproject.toml says it (for the PyPI stand-in's publisher)."""
    return Project.load(clone).static_name or "example"


def _report(run: Rehearsal, github: Any, pypi: Any, console: Any, seconds: float) -> None:
    """The release and the index as the stand-ins hold them, then verify the release as a
    downstream user would."""

    downloaded = run.clone / "downloaded"
    downloaded.mkdir()
    releases = github.releases_for_tag(run.tag)
    release = releases[0]
    state = "draft" if release.draft else "published"
    latest = github.state.latest_release_id == release.id
    assets = Table(
        title=f"Release {run.tag} on the GitHub stand-in (id {release.id}): {state}"
        f"{', latest' if latest else ''}{', pre-release' if release.prerelease else ''}"
    )
    for column in ("asset", "size", "digest", "state"):
        assets.add_column(column, justify="right" if column == "size" else "left")
    for asset in github.assets(release.id):
        assets.add_row(asset.name, f"{asset.size:,}", asset.digest, asset.state)
        shutil.copyfile(asset.path, downloaded / asset.name)
    console.print(assets)
    index = Table(title=f"The index behind the PyPI stand-in ({pypi.simple_url})")
    for column in ("file", "sha256"):
        index.add_column(column)
    for filename, sha256 in pypi.stored().items():
        index.add_row(filename, sha256)
    console.print(index)
    name = next(downloaded.glob("*.tar.gz")).name.split("-")[0]
    for dist, provenance in (
        ("*.tar.gz", "*[0-9].intoto.jsonl"),
        ("*.whl", "*-wheels.intoto.jsonl"),
    ):
        run.step(
            "verify",
            {
                "files": f"downloaded/{dist}",
                "bundle-dir": "downloaded",
                "repository": "/".join(REHEARSAL_REPOSITORY),
                "ref": f"refs/tags/{run.tag}",
                "trust-config": run.trust_config,
                "provenance": str(next(downloaded.glob(f"{name}-{provenance}"))),
            },
            f" (downloaded {dist})",
        )
    steps = Table(title="Steps")
    for column in ("step", "result", "seconds"):
        steps.add_column(column)
    for result in run.runs:
        steps.add_row(
            result.step, "ok" if result.exit_code == 0 else "failed", f"{result.seconds:.2f}"
        )
    console.print(steps)
    console.print(f"[bold green]Rehearsal passed[/] in {seconds:.1f} s.")


def _collect(clone: Path, output: Path) -> None:
    output.mkdir(parents=True, exist_ok=True)
    for folder in ("dist", "signatures", "signatures-wheels", "downloaded"):
        source = clone / folder
        if source.is_dir():
            shutil.copytree(source, output / folder, dirs_exist_ok=True)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scripts/rehearse",
        description="Run a project through the whole chain offline, against local stand-ins.",
    )
    parser.add_argument(
        "project", nargs="?", type=Path, help="project folder (default: bundled example)"
    )
    parser.add_argument("--tag", help="tag to rehearse (default: v<static version>)")
    parser.add_argument(
        "--output",
        type=Path,
        default=Path("rehearsal-output"),
        help="folder for the built, signed and downloaded files (default: ./rehearsal-output)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary clone and stand-in data too"
    )
    return parser


def main(argv: Sequence[str]) -> int:
    args = parser().parse_args(argv)
    return rehearse(
        args.project or bundled_example(), tag=args.tag, keep=args.keep, output=args.output
    )
