"""Shared set-up for the hardening suites: workspaces, stand-in environments, bad inputs.

Example::

    case = Case("draft-release", "0-byte wheel", files={WHEEL: b""}, expect=("empty (0 bytes)",))
    world = World(tmp_path, github=github_standin, sigstore=None)
    prepared = case.prepare(world)
    result = run_step(case.step, prepared.inputs, workspace=prepared.workspace, tmp=tmp_path,
                      extra_env=prepared.env)
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from release_actions_dev.standins.github import GitHubStandin
from release_actions_dev.standins.github.state import GitRef
from release_actions_dev.standins.sigstore import SigstoreStandin
from tests.dists import sdist_bytes, wheel_bytes
from tests.projects import make_project

TAG = "v1.2.3"
TAG_SHA = "1234567890abcdef1234567890abcdef12345678"
WHEEL = "demo-1.2.3-py3-none-any.whl"
SDIST = "demo-1.2.3.tar.gz"
CP313 = "demo-1.2.3-cp313-cp313-manylinux_2_28_x86_64.whl"
BRANCH_EVENT: dict[str, object] = {"repository": {"default_branch": "main"}}

GITHUB_STEPS = frozenset({"draft-release", "add-wheels-to-release", "publish-release"})
SIGSTORE_STEPS = frozenset({"sign", "verify"})
PROJECT_STEPS = frozenset({"verify-tag", "build-dists", "release"})

Token = Literal["write", "read", "bogus", "none"]


# -- real (small) distributions: tests/dists.py -------------------------------------------
def default_files() -> dict[str, bytes]:
    return {WHEEL: wheel_bytes(), SDIST: sdist_bytes()}


# -- the world a case runs in --------------------------------------------------------------
@dataclass(frozen=True)
class World:
    """The test's temporary folder and the stand-ins (None when the step needs none)."""

    tmp: Path
    github: GitHubStandin | None = None
    sigstore: SigstoreStandin | None = None

    @property
    def gh(self) -> GitHubStandin:
        assert self.github is not None
        return self.github

    @property
    def ss(self) -> SigstoreStandin:
        assert self.sigstore is not None
        return self.sigstore


@dataclass(frozen=True)
class Prepared:
    workspace: Path
    inputs: dict[str, str]
    env: dict[str, str]
    event: dict[str, object] | None = None


def make_workspace(root: Path, files: Mapping[str, bytes] | None = None) -> Path:
    """``root/ws`` with ``dist/<name>`` for each file (names may hold sub-folders)."""
    ws = root / "ws"
    (ws / "dist").mkdir(parents=True, exist_ok=True)
    for name, data in (default_files() if files is None else files).items():
        target = ws / "dist" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return ws


def seed_tag(gh: GitHubStandin, tag: str = TAG, sha: str = TAG_SHA) -> None:
    with gh.state.lock:
        gh.state.refs[f"refs/tags/{tag}"] = GitRef(f"refs/tags/{tag}", sha)


def github_env(gh: GitHubStandin, token: Token = "write") -> dict[str, str]:  # noqa: S107
    env = gh.environ()
    chosen = {
        "write": gh.token,
        "read": gh.read_only_tokens[0],
        "bogus": "ghs_not_a_token_the_standin_knows",
        "none": "",
    }[token]
    if chosen:
        env["GITHUB_TOKEN"] = chosen
    return env


# -- one bad input ----------------------------------------------------------------------------
Hook = Callable[[Path, World], None]


@dataclass(frozen=True)
class Case:
    """A step, a workspace and inputs that must end in one clear annotation and no effect.

    ``files`` go under ``dist/`` (default: a real wheel and sdist of demo 1.2.3);
    ``hook(workspace, world)`` adds anything else (symlinks, sparse files, releases);
    ``expect`` are fragments of the annotation naming the problem; ``refused_writes``
    allows writes that the stand-in refused (a read-only token's 403) but no others.
    """

    step: str
    id: str
    inputs: Mapping[str, str] = field(default_factory=dict)
    expect: tuple[str, ...] = ()
    files: Mapping[str, bytes] | None = None
    hook: Hook | None = None
    token: Token = "write"
    env: Mapping[str, str] = field(default_factory=dict)
    event: Mapping[str, object] | None = None
    refused_writes: bool = False

    @property
    def needs_github(self) -> bool:
        return self.step in GITHUB_STEPS

    @property
    def needs_sigstore(self) -> bool:
        return self.step in SIGSTORE_STEPS

    def prepare(self, world: World) -> Prepared:
        if self.step in PROJECT_STEPS:
            ws = make_project(world.tmp, "hatchling", name="demo", version="1.2.3", tag=TAG)
        else:
            ws = make_workspace(world.tmp, self.files)
        env: dict[str, str] = {}
        inputs = dict(self.inputs)
        if self.needs_github:
            seed_tag(world.gh)
            env.update(github_env(world.gh, self.token))
            inputs.setdefault("tag", TAG)
        if self.step == "sign":
            env.update(world.ss.ambient_env())
            inputs.setdefault("trust-config", str(world.ss.trust_config_path))
        if self.step == "verify":
            inputs.setdefault("trust-config", str(world.ss.trust_config_path))
            inputs.setdefault("issuer", world.ss.issuer_url)
            inputs.setdefault("repository", "octo/example")
        if self.step in {"verify-tag", "release"}:
            inputs.setdefault("tag", TAG)
        if self.step == "publish-release":
            inputs.setdefault("offline", "true")  # the trust root sigstore ships: no TUF fetch
        if self.hook is not None:
            self.hook(ws, world)
        env.update(self.env)
        event = dict(self.event) if self.event is not None else BRANCH_EVENT
        return Prepared(ws, inputs, env, event)


# -- hooks -------------------------------------------------------------------------------------
def outside_file(ws: Path, name: str = "secret.whl", data: bytes = b"outside\n") -> Path:
    outside = ws.parent / "outside"
    outside.mkdir(exist_ok=True)
    target = outside / name
    target.write_bytes(data)
    return target


def symlink_out(ws: Path, world: World) -> None:
    (ws / "dist" / "escape-1.2.3-py3-none-any.whl").symlink_to(outside_file(ws))


def dir_symlink_out(ws: Path, world: World) -> None:
    outside_file(ws, "demo-1.2.3-cp312-cp312-win_amd64.whl")
    (ws / "dist" / "more").symlink_to(ws.parent / "outside", target_is_directory=True)


def sparse_2gib(ws: Path, world: World) -> None:
    with (ws / "dist" / "demo-1.2.3-cp313-cp313-win_amd64.whl").open("wb") as fh:
        fh.truncate(2**31)


def write(relative: str, text: str) -> Hook:
    def hook(ws: Path, world: World) -> None:
        target = ws / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    return hook


def published_release(ws: Path, world: World) -> None:
    world.gh.seed_release(tag_name=TAG)


def draft_release(ws: Path, world: World) -> None:
    release = world.gh.seed_release(tag_name=TAG, draft=True)
    world.gh.seed_asset(release.id, name=SDIST, data=sdist_bytes())


def immutable_release(ws: Path, world: World) -> None:
    release = world.gh.seed_release(tag_name=TAG, immutable=True)
    world.gh.seed_asset(release.id, name=SDIST, data=sdist_bytes())


def two_drafts(ws: Path, world: World) -> None:
    world.gh.seed_release(tag_name=TAG, draft=True)
    world.gh.seed_release(tag_name=TAG, draft=True)


def both(*hooks: Hook) -> Hook:
    def hook(ws: Path, world: World) -> None:
        for each in hooks:
            each(ws, world)

    return hook


def env_json(data: object) -> str:
    return json.dumps(data)


def listing(root: Path) -> list[str]:
    """Every path under ``root`` (relative, sorted), or [] when it does not exist."""
    if not root.exists():
        return []
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def environ_without_runner() -> dict[str, str]:
    return {
        k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "ACTIONS_"))
    }
