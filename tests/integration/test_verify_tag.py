"""verify-tag on real git repositories, through the runner contract and the CLI."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.harness import StepRun, assert_failed, run_step
from tests.projects import DEFAULT_EPOCH, commit_all, make_project, run_git, tag_head

BRANCH_EVENT = {"repository": {"default_branch": "main"}}


def verify(workspace: Path, tmp_path: Path, **inputs: str) -> StepRun:
    return run_step("verify-tag", inputs, workspace=workspace, tmp=tmp_path, event=BRANCH_EVENT)


def test_static_version_outputs_through_runner_contract(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hatchling", init_version="1.2.3", tag="v1.2.3")
    result = verify(project, tmp_path, tag="v1.2.3")
    assert result.exit_code == 0, result.stdout
    commit = run_git(project, "rev-parse", "HEAD")
    assert result.outputs == {
        "version": "1.2.3",
        "tag": "v1.2.3",
        "is-prerelease": "false",
        "commit-sha": commit,
        "source-date-epoch": str(DEFAULT_EPOCH),
    }
    assert "### ✅ verify-tag" in result.summary
    assert "__init__.py:3" in result.summary


def test_tag_defaults_to_github_ref(tmp_path: Path) -> None:
    project = make_project(tmp_path, "setuptools", version="2.0.0rc1", tag="v2.0.0rc1")
    result = run_step(
        "verify-tag",
        {"tag": ""},
        workspace=project,
        tmp=tmp_path,
        event=BRANCH_EVENT,
        extra_env={"GITHUB_REF": "refs/tags/v2.0.0rc1"},
    )
    assert result.exit_code == 0, result.stdout
    assert result.outputs["version"] == "2.0.0rc1"
    assert result.outputs["is-prerelease"] == "true"


def test_console_script_with_flags(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hatchling", version="0.1.0", tag="release-0.1.0")
    proc = subprocess.run(
        [
            "release-actions",
            "verify-tag",
            "--tag",
            "release-0.1.0",
            "--tag-prefix",
            "release-",
            "--require-branch",
            "main",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={
            "PATH": str(Path(__import__("sys").executable).parent) + ":/usr/bin:/bin",
            "HOME": str(tmp_path),
        },
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "version: 0.1.0" in proc.stdout
    assert "::" not in proc.stdout  # no workflow commands outside GitHub Actions


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["setuptools-scm", "hatch-vcs", "flit"])
def test_dynamic_versions_from_real_metadata(tmp_path: Path, backend: str) -> None:
    project = make_project(tmp_path, backend, version="3.1.4", tag="v3.1.4")  # type: ignore[arg-type]
    result = verify(project, tmp_path, tag="v3.1.4")
    assert result.exit_code == 0, result.stdout
    assert result.outputs["version"] == "3.1.4"


@pytest.mark.slow
def test_dynamic_version_mismatch_is_reported(tmp_path: Path) -> None:
    project = make_project(tmp_path, "flit", version="3.1.3", tag="v3.1.4")
    assert_failed(verify(project, tmp_path, tag="v3.1.4"), "3.1.3", "3.1.4")


def test_no_tag_on_branch_push(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hatchling", tag="v1.2.3")
    result = run_step(
        "verify-tag",
        {"tag": ""},
        workspace=project,
        tmp=tmp_path,
        extra_env={"GITHUB_REF": "refs/heads/main"},
    )
    assert_failed(result, "no tag given", "refs/heads/main", "tags:")


@pytest.mark.parametrize(
    ("tag", "fragment"),
    [
        ("v1.x", "does not name a PEP 440 version"),
        ("1.2.3", "does not start with the prefix"),
        ("v1.2.3-rc1", "canonical"),
        ("v1.2.3+local", "local version"),
    ],
)
def test_malformed_tags(tmp_path: Path, tag: str, fragment: str) -> None:
    project = make_project(tmp_path, "hatchling", tag=tag)
    assert_failed(
        verify(project, tmp_path, tag=tag), fragment, "title=tag does not match the release"
    )


def test_short_tag_against_long_version_is_refused(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hatchling", version="1.0.0", tag="v1.0")
    error = assert_failed(verify(project, tmp_path, tag="v1.0"), "v1.0", "1.0.0")
    assert "file=pyproject.toml,line=7" in error


def test_mismatch_in_pyproject_annotates_the_line(tmp_path: Path) -> None:
    project = make_project(tmp_path, "setuptools", version="1.2.2", tag="v1.2.3")
    error = assert_failed(verify(project, tmp_path, tag="v1.2.3"), "1.2.2", "1.2.3")
    assert "file=pyproject.toml,line=7" in error
    assert "title=version mismatch" in error


def test_mismatch_in_init_only_like_seed_003(tmp_path: Path) -> None:
    project = make_project(
        tmp_path, "hatchling", version="0.4.0", init_version="0.3.9", tag="v0.4.0"
    )
    error = assert_failed(verify(project, tmp_path, tag="v0.4.0"), "__version__", "0.3.9")
    assert "file=src/example_pkg/__init__.py,line=3" in error


def test_explicit_version_file(tmp_path: Path) -> None:
    project = make_project(
        tmp_path,
        "hatchling",
        version="1.0.0",
        tag="v1.0.0",
        extra_files={"src/example_pkg/about.py": '__version__ = "0.9.0"\n'},
    )
    ok = verify(project, tmp_path, tag="v1.0.0")
    assert ok.exit_code == 0, ok.stdout
    error = assert_failed(
        verify(project, tmp_path, tag="v1.0.0", **{"version-files": "src/example_pkg/about.py"}),
        "0.9.0",
    )
    assert "file=src/example_pkg/about.py,line=1" in error


def test_local_version_allowed_on_request(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hatchling", version="1.2.3+abc", tag="v1.2.3+abc")
    result = verify(project, tmp_path, tag="v1.2.3+abc", **{"allow-local": "true"})
    assert result.exit_code == 0, result.stdout


def test_tag_commit_not_on_branch(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hatchling", version="1.2.3")
    run_git(project, "switch", "--quiet", "-c", "side")
    commit_all(project, "side work")
    tag_head(project, "v1.2.3")
    run_git(project, "switch", "--quiet", "main")
    run_git(project, "checkout", "--quiet", "v1.2.3")
    assert_failed(verify(project, tmp_path, tag="v1.2.3"), "is not on branch main")
    skipped = verify(project, tmp_path, tag="v1.2.3", **{"require-branch": ""})
    assert skipped.exit_code == 0, skipped.stdout


def test_checkout_not_at_the_tag(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hatchling", tag="v1.2.3")
    commit_all(project, "later work")
    assert_failed(verify(project, tmp_path, tag="v1.2.3"), "check out the tag")


def test_shallow_clone_without_history(tmp_path: Path) -> None:
    origin = make_project(tmp_path / "origin", "hatchling", tag="v1.2.3")
    commit_all(origin, "after the tag")
    clone = tmp_path / "clone"
    run_git(
        tmp_path,
        "clone",
        "--quiet",
        "--depth",
        "1",
        "--branch",
        "v1.2.3",
        f"file://{origin}",
        str(clone),
    )
    assert_failed(verify(clone, tmp_path, tag="v1.2.3"), "shallow", "fetch-depth: 0")


def test_tag_missing_from_checkout(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hatchling")
    assert_failed(verify(project, tmp_path, tag="v1.2.3"), "not in the checkout", "fetch-depth")


def test_missing_project(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hatchling", tag="v1.2.3")
    assert_failed(verify(project, tmp_path, tag="v1.2.3", project="nowhere"), "does not exist")


def test_broken_pyproject_names_file_and_line(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hatchling")
    path = project / "pyproject.toml"
    path.write_text(path.read_text() + "\n[tool.broken\nkey = 1\n")
    commit_all(project, "break it")
    tag_head(project, "v1.2.3")
    error = assert_failed(verify(project, tmp_path, tag="v1.2.3"), "not valid TOML")
    assert "file=pyproject.toml,line=" in error


def test_failing_build_backend(tmp_path: Path) -> None:
    backend = textwrap.dedent(
        """\
        def get_requires_for_build_wheel(config_settings=None):
            return []

        def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
            raise RuntimeError("backend exploded on purpose")

        def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
            raise RuntimeError("backend exploded on purpose")
        """
    )
    project = make_project(tmp_path, "hatchling", extra_files={"broken_backend.py": backend})
    path = project / "pyproject.toml"
    text = path.read_text().replace('requires = ["hatchling>=1.26"]', "requires = []")
    text = text.replace(
        'build-backend = "hatchling.build"',
        'build-backend = "broken_backend"\nbackend-path = ["."]',
    )
    text = text.replace('version = "1.2.3"', 'dynamic = ["version"]')
    path.write_text(text)
    commit_all(project, "broken backend")
    tag_head(project, "v1.2.3")
    assert_failed(
        verify(project, tmp_path, tag="v1.2.3"),
        "backend exploded on purpose",
        "title=Build failed (metadata)",
    )


def test_unknown_boolean_spelling(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hatchling", tag="v1.2.3")
    assert_failed(
        verify(project, tmp_path, tag="v1.2.3", **{"allow-local": "yes"}),
        "allow-local",
        "not a boolean",
    )
