"""Release integrity: each way to a wrong release ends in a refusal before any side effect,
or in a right release — through the runner contract, exit code, annotation and all.

The cases of issue #10: a dirty tree shipping; the tool's own egg-info in the tree; a
linux_* wheel as if uploadable; renamed and unnormalised wheels; backend failures that bury
their cause; leftover dists of another version; the non-canonical escape hatch.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from release_actions.errors import ReleaseActionsError
from release_actions_dev.standins.github import GitHubStandin
from release_actions_dev.standins.sigstore import SigstoreStandin
from tests.dists import wheel_bytes
from tests.harness import StepRun, assert_failed, run_step
from tests.projects import commit_all, make_project, run_git, tag_head
from tests.signed import signatures

TOKEN = "ghs_integrity_write_token"


def build(project: Path, tmp_path: Path, **inputs: str) -> StepRun:
    return run_step("build-dists", inputs, workspace=project, tmp=tmp_path)


def status(project: Path) -> str:
    """What `git status --ignored` says, the user's view of the tree."""
    return run_git(project, "status", "--porcelain", "--ignored", "--untracked-files=all")


def dists_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*") if p.suffix in {".whl", ".gz"})


# -- the build is the tagged commit ---------------------------------------------------------
@pytest.mark.slow
def test_an_edited_tracked_file_refuses_the_build(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hatchling", version="1.2.3", tag="v1.2.3")
    (project / "README.md").write_text("# edited after tagging\n", encoding="utf-8")
    result = build(project, tmp_path)
    annotation = assert_failed(result, "tracked file(s) differ", "README.md", "allow-dirty")
    assert "file=README.md" in annotation
    assert dists_in(project / "dist") == []
    allowed = build(project, tmp_path, **{"allow-dirty": "true"})
    assert allowed.exit_code == 0, allowed.stdout
    assert "not the tagged commit" in allowed.summary
    assert "README.md" in allowed.summary


@pytest.mark.slow
def test_an_untracked_file_the_sdist_would_pack_refuses_the_build(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hatchling", version="1.2.3", tag="v1.2.3")
    (project / "src" / "example_pkg" / "scratch.py").write_text("print('wip')\n")
    before = status(project)
    result = build(project, tmp_path)
    assert_failed(result, "untracked file(s) would be packed", "src/example_pkg/scratch.py")
    assert dists_in(project / "dist") == []
    assert status(project) == before


@pytest.mark.slow
@pytest.mark.parametrize("step", ["verify-tag", "build-dists"])
def test_setuptools_steps_leave_git_status_as_they_found_it(tmp_path: Path, step: str) -> None:
    """setuptools writes <pkg>.egg-info into the tree from its metadata and sdist hooks."""
    project = make_project(tmp_path, "setuptools-scm", version="0.0.0", tag="v1.2.3")
    (project / ".gitignore").write_text("dist/\n")  # not *.egg-info: we must clean up
    commit_all(project, "ignore dist")
    tag_head(project, "v1.2.4")
    before = status(project)
    inputs = {"tag": "v1.2.4", "require-branch": ""} if step == "verify-tag" else {}
    result = run_step(step, inputs, workspace=project, tmp=tmp_path)
    assert result.exit_code == 0, result.stdout
    after = [line for line in status(project).splitlines() if not line.startswith("!! dist/")]
    assert after == before.splitlines()  # only the dists build-dists was asked for
    assert not list(project.rglob("*.egg-info"))


# -- what PyPI refuses never lands as if it were uploadable ---------------------------------
C_EXTENSION = {
    "setup.py": (
        "from setuptools import Extension, setup\n"
        'setup(ext_modules=[Extension("example_pkg._speed", ["src/example_pkg/_speed.c"])])\n'
    ),
    "src/example_pkg/_speed.c": (
        "#include <Python.h>\n"
        'static struct PyModuleDef m = {PyModuleDef_HEAD_INIT, "_speed", NULL, -1, NULL};\n'
        "PyMODINIT_FUNC PyInit__speed(void) { return PyModule_Create(&m); }\n"
    ),
}


@pytest.mark.slow
def test_a_c_extension_wheel_is_built_as_a_check_and_not_kept(tmp_path: Path) -> None:
    project = make_project(
        tmp_path, "setuptools", version="1.2.3", tag="v1.2.3", extra_files=C_EXTENSION
    )
    result = build(project, tmp_path)
    assert result.exit_code == 0, result.stdout
    assert dists_in(project / "dist") == ["example_pkg-1.2.3.tar.gz"]
    assert result.outputs["wheels"] == ""
    notices = [line for line in result.stdout.splitlines() if line.startswith("::notice")]
    assert any("linux_" in n and "cibuildwheel" in n for n in notices), result.stdout
    assert "built from the sdist as a check and **not kept**" in result.summary


MISLABELLED = [
    pytest.param(
        "demo-1.2.3-cp312-cp312-manylinux_2_28_x86_64.whl",
        wheel_bytes(),  # its WHEEL file says py3-none-any
        ("WHEEL file says py3-none-any", "cp312-cp312-manylinux_2_28_x86_64"),
        id="renamed-tags",
    ),
    pytest.param(
        "Demo-1.2.3-py3-none-any.whl",
        wheel_bytes("Demo"),
        ("spells its name and version 'Demo-1.2.3'", "normalised 'demo-1.2.3'"),
        id="unnormalised-name",
    ),
    pytest.param(
        "demo-1.2.3-cp311-cp311-linux_x86_64.whl",
        wheel_bytes(tags=("cp311-cp311-linux_x86_64",)),
        ("linux_x86_64, which PyPI refuses", "cibuildwheel"),
        id="linux-platform",
    ),
]


@pytest.mark.parametrize(("name", "data", "fragments"), MISLABELLED)
def test_sign_refuses_mislabelled_wheels_before_any_request(
    shared_sigstore_standin: SigstoreStandin,
    tmp_path: Path,
    name: str,
    data: bytes,
    fragments: tuple[str, ...],
) -> None:
    standin = shared_sigstore_standin
    ws = tmp_path / "ws"
    (ws / "dist").mkdir(parents=True)
    (ws / "dist" / name).write_bytes(data)
    before = dict(standin.request_counts)
    result = run_step(
        "sign",
        {"files": "dist/*", "trust-config": str(standin.trust_config_path)},
        workspace=ws,
        tmp=tmp_path,
        extra_env=standin.ambient_env(),
    )
    assert_failed(result, "refusing to sign", *fragments)
    assert dict(standin.request_counts) == before
    assert not (ws / "signatures").exists()


@pytest.mark.parametrize(("name", "data", "fragments"), MISLABELLED)
@pytest.mark.parametrize("step", ["draft-release", "add-wheels-to-release"])
def test_uploads_refuse_mislabelled_wheels_before_any_request(
    github_standin: GitHubStandin,
    tmp_path: Path,
    *,
    step: str,
    name: str,
    data: bytes,
    fragments: tuple[str, ...],
) -> None:
    github = github_standin
    ws = tmp_path / "ws"
    (ws / "dist").mkdir(parents=True)
    (ws / "dist" / name).write_bytes(data)
    result = run_step(
        step,
        {"token": github.token, "tag": "v1.2.3", "files": "dist/*"},
        workspace=ws,
        tmp=tmp_path,
        extra_env=github.environ(),
    )
    assert_failed(result, "refusing to upload", *fragments)
    assert github.requests == []


# -- say it where it happens -----------------------------------------------------------------
MISSING_REQUIREMENT = (
    "[build-system]\n"
    'requires = ["setuptools>=61"]\n'
    'build-backend = "setuptools.build_meta"\n\n'
    '[project]\nname = "example-pkg"\nversion = "1.2.3"\n'
)


@pytest.mark.slow
def test_a_backend_failure_leads_with_its_cause_and_fences_the_output(tmp_path: Path) -> None:
    project = make_project(
        tmp_path,
        "setuptools",
        version="1.2.3",
        tag="v1.2.3",
        extra_files={"setup.py": "import not_installed_anywhere\n"},
    )
    (project / "pyproject.toml").write_text(MISSING_REQUIREMENT)
    commit_all(project, "a setup.py that imports a module nobody declared")
    tag_head(project, "v1.2.4")
    result = build(project, tmp_path)
    annotation = assert_failed(
        result,
        "ModuleNotFoundError: No module named 'not_installed_anywhere'",
        "add the package that provides `not_installed_anywhere` to `requires`",
    )
    assert "file=pyproject.toml,line=2" in annotation  # the `requires` line
    first = annotation.split("::", 2)[2].split("%0A")[0]
    assert "not_installed_anywhere" in first  # the cause, not a traceback's first line
    assert "Traceback" not in annotation
    summary = result.summary
    assert "<details><summary>Output</summary>" in summary
    fence = summary.index("```text")
    assert "Traceback (most recent call last)" in summary[fence:]


@pytest.mark.slow
def test_the_cause_survives_without_pythonunbuffered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A newcomer's machine has no PYTHONUNBUFFERED: the backend's stderr line still leads."""
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)
    noisy = "import sys\nfor n in range(60):\n    print('line', n)\nsys.exit('error: the cause')\n"
    project = make_project(
        tmp_path, "setuptools", version="1.2.3", tag="v1.2.3", extra_files={"setup.py": noisy}
    )
    result = build(project, tmp_path)
    assert_failed(result, "error: the cause")


@pytest.mark.slow
def test_leftover_dists_are_named_and_cleaned_on_request(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hatchling", version="1.2.3", tag="v1.2.3")
    old = project / "dist" / "example_pkg-1.2.2-py3-none-any.whl"
    old.parent.mkdir()
    old.write_bytes(wheel_bytes("example-pkg", "1.2.2"))
    result = build(project, tmp_path)
    assert result.exit_code == 0, result.stdout
    warnings = [line for line in result.stdout.splitlines() if line.startswith("::warning")]
    assert any("example_pkg-1.2.2-py3-none-any.whl" in w and "clean-outdir" in w for w in warnings)
    assert "example_pkg-1.2.2-py3-none-any.whl" in result.summary
    cleaned = build(project, tmp_path, **{"clean-outdir": "true"})
    assert cleaned.exit_code == 0, cleaned.stdout
    assert dists_in(project / "dist") == [
        "example_pkg-1.2.3-py3-none-any.whl",
        "example_pkg-1.2.3.tar.gz",
    ]


# -- the escape hatch for tags spelled the non-canonical way --------------------------------
@pytest.mark.slow
def test_non_canonical_tags_and_versions_spelled_alike_pass(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hatchling", version="0.1.0-rc1", tag="v0.1.0-rc1")
    strict = run_step(
        "verify-tag", {"tag": "v0.1.0-rc1", "require-branch": ""}, workspace=project, tmp=tmp_path
    )
    assert_failed(strict, "not in canonical PEP 440 form", "require-canonical: false")
    relaxed = run_step(
        "verify-tag",
        {"tag": "v0.1.0-rc1", "require-branch": "", "require-canonical": "false"},
        workspace=project,
        tmp=tmp_path,
    )
    assert relaxed.exit_code == 0, relaxed.stdout
    assert relaxed.outputs["version"] == "0.1.0-rc1"  # as the tag and the project spell it
    assert "not required (tag spells `0.1.0-rc1`)" in relaxed.summary
    built = build(project, tmp_path, **{"expected-version": relaxed.outputs["version"]})
    assert built.exit_code == 0, built.stdout


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "built version 1.2.4, expected 1.2.3.",
            "built version 1.2.4, expected 1.2.3. Fix: rebuild",
        ),
        ("built version 1.2.4", "built version 1.2.4. Fix: rebuild"),
        ("problems: a; b:", "problems: a; b: Fix: rebuild"),
    ],
)
def test_diagnostics_never_double_a_period(message: str, expected: str) -> None:
    assert ReleaseActionsError(message, fix="rebuild").diagnostics() == expected


# -- the release is always consistent --------------------------------------------------------
@pytest.mark.parametrize("draft", [True, False], ids=["draft", "published"])
def test_replacing_a_dist_without_its_signatures_is_refused_before_any_write(
    github_standin: GitHubStandin,
    shared_sigstore_standin: SigstoreStandin,
    tmp_path: Path,
    draft: bool,
) -> None:
    """Case 1 of #10: overwrite a signed wheel with other bytes and leave its bundle,
    attestation and provenance behind -> refused, naming what must be signed again; with
    the new signatures in the same run the release ends consistent."""
    github = github_standin
    wheel = "demo-1.2.3-py3-none-any.whl"
    old, new = wheel_bytes(), wheel_bytes(payload=b"rebuilt = 1\n")
    release = github.seed_release(tag_name="v1.2.3", draft=draft)
    for name, data in {
        wheel: old,
        **signatures(shared_sigstore_standin, {wheel: old}, tmp_path),
    }.items():
        github.seed_asset(release.id, name=name, data=data)
    ws = tmp_path / "ws"
    (ws / "dist").mkdir(parents=True)
    (ws / "dist" / wheel).write_bytes(new)
    step = "draft-release" if draft else "add-wheels-to-release"
    inputs = {"token": github.token, "tag": "v1.2.3", "files": "dist/*", "overwrite": "true",
              "overwrite-published": "true"}  # fmt: skip
    if draft:
        del inputs["overwrite-published"]
    alone = run_step(step, inputs, workspace=ws, tmp=tmp_path, extra_env=github.environ())
    assert_failed(
        alone,
        f"replacing {wheel} would leave release v1.2.3 inconsistent",
        f"{wheel}.sigstore.json signs {wheel} with sha256",
        f"{wheel}.publish.attestation",
        "demo-1.2.3.intoto.jsonl",
        "sign the new files",
    )
    assert github.mutating_requests() == []

    for name, data in signatures(shared_sigstore_standin, {wheel: new}, tmp_path).items():
        (ws / "dist" / name).write_bytes(data)
    together = run_step(step, inputs, workspace=ws, tmp=tmp_path, extra_env=github.environ())
    assert together.exit_code == 0, together.stdout
    assert "✅ **consistent**" in together.summary
    assert "the release as GitHub holds it now" in together.summary
    by_name = {a.name: a for a in github.assets(release.id)}
    assert by_name[wheel].read_bytes() == new
