"""Every action, run inside the real image exactly the way GitHub's runner runs a docker action.

``scripts/container test`` builds ``Dockerfile`` (on a local base image) and runs this module
with ``RELEASE_ACTIONS_CONTAINER_TESTS=require``; elsewhere it skips when podman or the image
is missing. What the runner does, and so what :func:`run_action` does:

* ``--workdir /github/workspace``, the checkout mounted there and owned by another uid (git's
  "dubious ownership", actions/runner#2033), ``/github/home``, ``/github/workflow`` (the event
  file) and ``/github/file_commands`` (``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY``) mounted;
* every input of the action.yml as ``INPUT_<NAME>`` (upper-cased, hyphens kept), defaults and
  ``${{ github.* }}`` defaults filled in, values passed through the environment (``-e NAME``);
* the step name as the argument (action.yml ``args``), the image's entry point.

The stand-ins serve on the host's loopback (``--network host``) and are reached through the
runner's own variables (``GITHUB_API_URL``, ``ACTIONS_ID_TOKEN_REQUEST_URL``) and the
``trust-config`` input. One chain per module: verify-tag → build-dists → sign → verify →
draft-release → add-wheels-to-release (new wheels, labelled provenance), and the one-step
``release`` root action; each registered step is one test. A step with a recipe but not
registered in ``registry.STEPS`` fails, and so does a registered step without a
recipe: the registry and the recipes name the same steps.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from release_actions import registry as metadata
from release_actions.registry import STEPS
from release_actions_dev.runner import StepRun, parse_outputs
from release_actions_dev.standins.github import GitHubStandin
from release_actions_dev.standins.pypi import PypiServer
from release_actions_dev.standins.sigstore import GITHUB_ISSUER, SigstoreStandin
from tests.dists import dist_bytes
from tests.harness import run_step
from tests.projects import DEFAULT_EPOCH, make_project

pytestmark = [pytest.mark.container, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
IMAGE = os.environ.get("RELEASE_ACTIONS_IMAGE", "localhost/release-actions:dev")
REQUIRED = os.environ.get("RELEASE_ACTIONS_CONTAINER_TESTS") == "require"
PODMAN = ("podman", "--runtime", "runc")
#: crun fails on these machines' hybrid cgroups; runc needs the limits spelled out.
LIMITS = ("--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024")
#: The checkout's owner: not the container's root, like the runner's `runner` user.
OWNER = 1234
TAG = "v1.2.3"
#: The API token the index (a real pypiserver on the host) takes uploads with.
PYPI_TOKEN = "pypi-standin-container-test-token-0123456789"
REPOSITORY = "octo-org/demo"
WORKFLOW_EXPR = re.compile(r"^\$\{\{\s*(?P<expr>[\w.-]+)\s*\}\}$")


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"RELEASE_ACTIONS_CONTAINER_TESTS=require, but {reason}")
    pytest.skip(reason)


def source_hash() -> str:
    """What the image is built from; ``scripts/container build`` labels the image with it."""
    paths = [ROOT / name for name in ("Dockerfile", "pyproject.toml", "uv.lock", "README.md")]
    paths += [
        p
        for p in (ROOT / "src").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    ]
    lines = [
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(ROOT).as_posix()}\n"
        for p in sorted(paths, key=lambda p: p.relative_to(ROOT).as_posix().encode())
    ]
    return hashlib.sha256("".join(lines).encode()).hexdigest()


@pytest.fixture(scope="module")
def image() -> str:
    if shutil.which("podman") is None:
        _unavailable("podman is not installed (scripts/container tools)")
    probe = subprocess.run(
        [*PODMAN, "image", "inspect", "--format", "{{index .Labels \"release-actions.source\"}}",
         IMAGE],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if probe.returncode != 0:
        _unavailable(f"no image {IMAGE} (scripts/container build)")
    if probe.stdout.strip() != source_hash():
        _unavailable(f"{IMAGE} was built from other sources (scripts/container build)")
    return IMAGE


# -- the runner's side -----------------------------------------------------------------------


def action_inputs(step: str, given: Mapping[str, str], github: Mapping[str, str]) -> dict[str, str]:
    """Every input the action.yml declares, as the runner computes it: given, else default."""
    action = yaml.safe_load(metadata.action_path(ROOT, step).read_text(encoding="utf-8"))
    unknown = set(given) - set(action["inputs"])
    assert not unknown, f"{step}: no such inputs in action.yml: {sorted(unknown)}"
    values: dict[str, str] = {}
    for name, spec in action["inputs"].items():
        value = given.get(name, spec.get("default", ""))
        match = WORKFLOW_EXPR.match(str(value))
        if match:
            value = github[match["expr"]]
        values[name] = str(value)
    return values


@dataclass
class Runner:
    """One job's worth of runner folders (like ``_temp/_github_*``) and variables."""

    tmp: Path
    image: str
    env: dict[str, str] = field(default_factory=dict)
    github: dict[str, str] = field(default_factory=dict)
    event: dict[str, Any] = field(default_factory=dict)

    def run(self, step: str, workspace: Path, given: Mapping[str, str]) -> StepRun:
        temp = self.tmp / f"_temp-{uuid.uuid4().hex[:8]}"
        home, workflow, files = temp / "_github_home", temp / "_github_workflow", temp / "files"
        for folder in (home, workflow, files):
            folder.mkdir(parents=True)
        (workflow / "event.json").write_text(json.dumps(self.event), encoding="utf-8")
        output, summary = f"set_output_{uuid.uuid4()}", f"step_summary_{uuid.uuid4()}"
        (files / output).touch()
        (files / summary).touch()
        # The checkout belongs to another user than the container's root, as on the runner.
        subprocess.run(["chown", "-R", f"{OWNER}:{OWNER}", str(workspace)], check=True)

        variables = {
            **self.env,
            "HOME": "/github/home",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "RUNNER_OS": "Linux",
            "GITHUB_WORKSPACE": "/github/workspace",
            "GITHUB_EVENT_PATH": "/github/workflow/event.json",
            "GITHUB_OUTPUT": f"/github/file_commands/{output}",
            "GITHUB_STEP_SUMMARY": f"/github/file_commands/{summary}",
        }
        inputs = action_inputs(step, given, self.github)
        variables.update({"INPUT_" + name.upper(): value for name, value in inputs.items()})
        command = [
            *PODMAN, "run", "--rm", *LIMITS, "--network", "host",
            "--workdir", "/github/workspace",
            "-v", f"{home}:/github/home",
            "-v", f"{workflow}:/github/workflow",
            "-v", f"{files}:/github/file_commands",
            "-v", f"{workspace}:/github/workspace",
            # Names only: the values travel in podman's environment, as the runner passes them.
            *(arg for name in sorted(variables) for arg in ("-e", name)),
            self.image, step,
        ]  # fmt: skip
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **variables}
        proc = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=600, check=False
        )
        return StepRun(
            step=step,
            exit_code=proc.returncode,
            stdout=proc.stdout + proc.stderr,
            outputs=parse_outputs((files / output).read_text(encoding="utf-8")),
            summary=(files / summary).read_text(encoding="utf-8"),
            seconds=0.0,
        )


# -- the chain --------------------------------------------------------------------------------


@dataclass
class Chain:
    """Steps run once, in order, on one workspace; each recipe may use earlier outputs."""

    runner: Runner
    workspace: Path
    github: GitHubStandin
    sigstore: SigstoreStandin
    pypi: PypiServer
    #: build-dists' outputs from a run on the host: the dists every later step works on.
    host_dists: dict[str, str]
    results: dict[str, StepRun] = field(default_factory=dict)

    def result(self, step: str) -> StepRun:
        if step not in self.results:
            recipe = RECIPES[step]
            for needed in recipe.needs:
                self.require(needed)
            self.results[step] = self.runner.run(step, self.workspace, recipe.inputs(self))
        return self.results[step]

    def require(self, step: str) -> dict[str, str]:
        """Outputs of an earlier step, which must be registered and must have passed."""
        if step not in STEPS:
            pytest.fail(f"needs the {step!r} step, which registry.STEPS does not name")
        run = self.result(step)
        if run.exit_code != 0:
            pytest.fail(f"{step} failed in the container, so this step cannot run:\n{run.stdout}")
        return run.outputs


@dataclass(frozen=True)
class Recipe:
    needs: tuple[str, ...]
    inputs: Callable[[Chain], dict[str, str]]
    check: Callable[[Chain, StepRun], None]


def _verify_tag_check(chain: Chain, run: StepRun) -> None:
    out = run.outputs
    assert (out["version"], out["tag"], out["is-prerelease"]) == ("1.2.3", TAG, "false")
    assert re.fullmatch(r"[0-9a-f]{40}", out["commit-sha"])
    assert out["source-date-epoch"].isdigit()


def _build_check(chain: Chain, run: StepRun) -> None:
    out = run.outputs
    assert out["sdist"] == "dist-container/example_pkg-1.2.3.tar.gz"
    assert out["wheels"] == "dist-container/example_pkg-1.2.3-py3-none-any.whl"
    for rel in out["dists"].splitlines():
        path = chain.workspace / rel
        assert path.is_file(), rel
        assert path.stat().st_uid == 0  # written by the container's root (actions/runner#1282)
    assert "example_pkg-1.2.3.tar.gz" in run.summary
    # Byte-identical to the same build on the host (SOURCE_DATE_EPOCH, normalised sdist).
    assert out["sha256sums"] == chain.host_dists["sha256sums"]


def _sign_check(chain: Chain, run: StepRun) -> None:
    out = run.outputs
    bundles = out["bundles"].splitlines()
    assert sorted(Path(b).name for b in bundles) == [
        "example_pkg-1.2.3-py3-none-any.whl.sigstore.json",
        "example_pkg-1.2.3.tar.gz.sigstore.json",
    ]
    assert all((chain.workspace / b).is_file() for b in bundles)
    assert out["provenance"].endswith(".intoto.jsonl")
    assert len(out["attestations"].splitlines()) == 2
    assert out["identity"].startswith(f"https://github.com/{REPOSITORY}/")


def _verify_check(chain: Chain, run: StepRun) -> None:
    assert len(run.outputs["verified"].splitlines()) == 2
    assert run.outputs["identity"] == chain.results["sign"].outputs["identity"]


def _draft_check(chain: Chain, run: StepRun) -> None:
    (release,) = chain.github.releases_for_tag(TAG)
    assert release.draft
    assert run.outputs["release-id"] == str(release.id)
    drafted = {a["name"] for a in json.loads(run.outputs["assets"])}
    assert "example_pkg-1.2.3-py3-none-any.whl" in drafted
    assert "example_pkg-1.2.3.tar.gz.sigstore.json" in drafted
    # add-wheels-to-release may have added more since; nothing drafted went missing.
    assert drafted <= {a.name for a in chain.github.assets(release.id)}
    chain.github.assert_no_violations()


def _new_wheels(chain: Chain) -> dict[str, str]:
    chain.require("draft-release")
    # A later batch (a new CPython): a wheel of the same version, signed with its own label.
    extra = chain.workspace / "wheelhouse"
    extra.mkdir(exist_ok=True)
    wheel = "example_pkg-1.2.3-py3-none-manylinux_2_28_x86_64.whl"
    (extra / wheel).write_bytes(dist_bytes(wheel, payload=b"built for cp314"))
    signed = chain.runner.run(
        "sign",
        chain.workspace,
        {
            "files": "wheelhouse/*.whl",
            "output-dir": "signatures-cp314",
            "trust-config": ".sigstore/trust_config.json",
            "provenance-label": "cp314",
        },
    )
    assert signed.exit_code == 0, signed.stdout
    return {"files": "wheelhouse/*.whl\nsignatures-cp314/*", "tag": TAG}


def _add_wheels_check(chain: Chain, run: StepRun) -> None:
    (release,) = chain.github.releases_for_tag(TAG)  # never a second release
    assert release.draft  # state untouched
    names = {a.name for a in chain.github.assets(release.id)}
    assert "example_pkg-1.2.3-py3-none-manylinux_2_28_x86_64.whl" in names
    assert any(n.endswith("cp314.intoto.jsonl") for n in names), names
    assert int(run.outputs["uploaded"]) >= 2
    chain.github.assert_no_violations()


def _publish_pypi_check(chain: Chain, run: StepRun) -> None:
    host = {
        line.split()[1]: line.split()[0] for line in chain.host_dists["sha256sums"].splitlines()
    }
    assert sorted(json.loads(run.outputs["uploaded"])) == sorted(host)
    assert chain.pypi.stored() == host  # byte for byte what was built
    assert run.outputs["project"] == "example-pkg"
    assert PYPI_TOKEN not in run.stdout.replace(f"::add-mask::{PYPI_TOKEN}", "")


def _publish_release_check(chain: Chain, run: StepRun) -> None:
    # A dry run: every check (bundles verified for the identity) and no write.
    (release,) = chain.github.releases_for_tag(TAG)
    assert release.draft
    assert run.outputs["release-id"] == str(release.id)
    assert run.outputs.get("published", "false") == "false"
    chain.github.assert_no_violations()


def _release_check(chain: Chain, run: StepRun) -> None:
    assert run.outputs["version"] == "1.2.3"
    assert "example_pkg-1.2.3.tar.gz" in run.outputs["dists"]


RECIPES: dict[str, Recipe] = {
    "verify-tag": Recipe((), lambda c: {"tag": TAG}, _verify_tag_check),
    # verify-tag's outputs, known in advance: build-dists is tested on its own.
    "build-dists": Recipe(
        (),
        lambda c: {
            "expected-version": "1.2.3",
            "source-date-epoch": str(DEFAULT_EPOCH),
            "outdir": "dist-container",
        },
        _build_check,
    ),
    "sign": Recipe(
        (),
        lambda c: {"files": "dist/*", "trust-config": ".sigstore/trust_config.json"},
        _sign_check,
    ),
    "verify": Recipe(
        ("sign",),
        lambda c: {
            "files": "dist/*",
            "trust-config": ".sigstore/trust_config.json",
            "provenance": c.results["sign"].outputs["provenance"],
        },
        _verify_check,
    ),
    "draft-release": Recipe(
        ("sign",),
        lambda c: {"files": "dist/*\nsignatures/*", "tag": TAG},
        _draft_check,
    ),
    "add-wheels-to-release": Recipe(("draft-release",), _new_wheels, _add_wheels_check),
    # Dry run: publishing would leave the other recipes no draft to work on.
    "publish-release": Recipe(
        ("draft-release",),
        lambda c: {
            "tag": TAG,
            "trust-config": ".sigstore/trust_config.json",
            "dry-run": "true",
        },
        _publish_release_check,
    ),
    # An index that takes API tokens: attestations travel only with trusted publishing.
    "publish-pypi": Recipe(
        (),
        lambda c: {
            "files": "dist/*",
            "repository-url": c.pypi.url,
            "token": PYPI_TOKEN,
            "attestations": "false",
        },
        _publish_pypi_check,
    ),
    "release": Recipe(
        (),
        lambda c: {
            "tag": TAG,
            "outdir": "dist-release",
            "trust-config": ".sigstore/trust_config.json",
        },
        _release_check,
    ),
}


@pytest.fixture(scope="module")
def chain(image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    tmp = tmp_path_factory.mktemp("container")
    # What the steps write is git-ignored, as in a real repository, so builds stay
    # reproducible whichever order the step tests run in (hatchling reads .gitignore only).
    ignored = "/dist*/\n/signatures*/\n/wheelhouse/\n/.sigstore/\n/build/\n*.egg-info/\n"
    workspace = make_project(
        tmp, "hatchling", version="1.2.3", tag=TAG, extra_files={".gitignore": ignored}
    )
    # The dists sign, verify and the release steps work on, built in this process: each
    # container test then depends on its own step only (build-dists has its own test).
    built = run_step(
        "build-dists",
        {"expected-version": "1.2.3", "source-date-epoch": str(DEFAULT_EPOCH)},
        workspace=workspace,
        tmp=tmp,
    )
    assert built.exit_code == 0, built.stdout
    with (
        GitHubStandin(owner="octo-org", repo="demo") as github,
        SigstoreStandin(issuer_url=GITHUB_ISSUER) as sigstore,
        PypiServer(tmp / "index", token=PYPI_TOKEN) as pypi,
    ):
        # A private Sigstore instance's trust config, committed in the user's repository.
        (workspace / ".sigstore").mkdir()
        shutil.copy(sigstore.trust_config_path, workspace / ".sigstore/trust_config.json")
        ref = f"refs/tags/{TAG}"
        env = {
            **sigstore.ambient_env(repository=REPOSITORY, ref=ref),
            **github.environ(),
            "GITHUB_REF": ref,
            "GITHUB_REF_NAME": TAG,
            "GITHUB_EVENT_NAME": "push",
        }
        event = {"ref": ref, "repository": {"default_branch": "main", "full_name": REPOSITORY}}
        runner = Runner(
            tmp=tmp,
            image=image,
            env=env,
            event=event,
            github={
                "github.token": github.token,
                "github.repository": REPOSITORY,
                "github.event.repository.default_branch": "main",
            },
        )
        yield Chain(
            runner=runner,
            workspace=workspace,
            github=github,
            sigstore=sigstore,
            pypi=pypi,
            host_dists=built.outputs,
        )


@pytest.mark.parametrize("step", sorted(set(STEPS) | set(RECIPES)))
def test_action_in_container(chain: Chain, step: str, image: str) -> None:
    if step not in RECIPES:
        pytest.fail(f"{step} is registered but has no container recipe: add one to RECIPES")
    if step not in STEPS:
        pytest.fail(f"{step} has a recipe but registry.STEPS does not name it")
    run = chain.result(step)
    assert run.exit_code == 0, run.stdout
    assert run.errors() == [], run.stdout
    RECIPES[step].check(chain, run)


def test_failure_is_an_annotation_a_summary_and_exit_1(image: str, tmp_path: Path) -> None:
    workspace = make_project(tmp_path, "hatchling", version="1.2.3", tag=TAG)
    runner = Runner(tmp=tmp_path, image=image)
    run = runner.run("sign", workspace, {"files": "nothing/*.whl"})
    assert run.exit_code == 1, run.stdout
    (error,) = run.errors()
    assert "nothing/*.whl" in error
    assert "sign failed" in run.summary
    assert run.outputs == {}
    assert not (workspace / "signatures").exists()


#: Run inside the image: every module of the environment has its bytecode, of the kind that
#: holds no timestamp and is never checked against the source (PEP 552 flags 0b01).
BYTECODE_CHECK = """
import importlib.util, pathlib, sys
site = pathlib.Path(sys.prefix, "lib")
sources = [p for p in site.rglob("*.py")]
missing, kinds = [], {}
for source in sources:
    cached = pathlib.Path(importlib.util.cache_from_source(str(source)))
    if not cached.is_file():
        missing.append(str(source))
        continue
    flags = int.from_bytes(cached.read_bytes()[4:8], "little")
    kinds[flags] = kinds.get(flags, 0) + 1
print(len(sources), "modules;", "missing:", missing[:5], "kinds:", kinds)
sys.exit(1 if missing or set(kinds) != {1} or len(sources) < 500 else 0)
"""


def test_image_holds_lean_git_unchecked_bytecode_and_no_pip_of_its_own(image: str) -> None:
    script = (
        "set -e; git --version; release-actions --version"
        # Debian's git without perl and without the helpers no step runs.
        "; ! dpkg-query -W -f '${Status}' perl 2>/dev/null | grep -q installed"
        "; for helper in git-remote-http git-http-fetch git-daemon git-imap-send scalar; do"
        "   test ! -e /usr/lib/git-core/$helper; done"
        # No apt lists or caches left in the git layer.
        '; test -z "$(ls /var/lib/apt/lists)" && ! ls /var/cache/apt/*.bin 2>/dev/null'
        # Bytecode for everything, unchecked-hash; no pip and no uv of its own in the
        # environment: the pip build-dists makes build environments with is the base's.
        '; python3 -c "$BYTECODE_CHECK"'
        "; test -z \"$(find /opt/release-actions -name 'pip' -path '*site-packages*')\""
        "; /opt/release-actions/bin/python -c 'import pip, sys; "
        'sys.exit(pip.__file__.startswith("/opt/release-actions"))\''
        "; test ! -e /opt/release-actions/bin/uv"
        # Nothing only the tests use: no stand-in servers, no dev package.
        "; for module in werkzeug openapi_core release_actions_dev pypiserver; do"
        '   ! /opt/release-actions/bin/python -c "import $module" 2>/dev/null; done'
        # Starting steps compiles nothing (no bytecode file is written).
        "; touch /tmp/mark; for step in verify-tag sign draft-release; do"
        "   release-actions $step --help >/dev/null; done"
        "; test -z \"$(find /opt/release-actions -newer /tmp/mark -name '*.pyc' -print -quit)\""
    )
    proc = subprocess.run(
        [*PODMAN, "run", "--rm", *LIMITS, "-e", "BYTECODE_CHECK", "--entrypoint", "sh", image,
         "-c", script],
        capture_output=True, text=True, check=False,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "BYTECODE_CHECK": BYTECODE_CHECK},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("git version")
    assert "kinds: {1:" in proc.stdout
