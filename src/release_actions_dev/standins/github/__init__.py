"""An honest local stand-in for GitHub's REST API (releases, assets, git refs and tags).

Example::

    from github import Auth, Github
    from release_actions_dev.standins.github import GitHubStandin, github_asset_name

    with GitHubStandin(owner="octo", repo="demo", token="t0ken") as gh:
        repo = Github(base_url=gh.api_url, auth=Auth.Token("t0ken")).get_repo("octo/demo")
        release = repo.create_git_release("v1.0.0", "v1.0.0", "", draft=True)
        gh.faults.status("repos/upload-release-asset", 502, times=1)
        assert github_asset_name("a b+c.whl") == "a.b+c.whl"
        gh.assert_no_violations()

The API and the uploads host answer on separate loopback origins, as on github.com
(``layout="ghes"``: GitHub Enterprise Server's ``/api/v3`` and ``/api/uploads``). Every
request and response is validated against a committed subset of GitHub's OpenAPI
description (``spec/``); see ``openapi.py`` and ``spec/README.md`` for the shims.

Names are imported lazily, so ``github_asset_name`` (GitHub's renaming rule, which a
property test compares with the product's own prediction) and a benchmark's child process
load no server code.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from release_actions_dev.standins.github.names import github_asset_name

if TYPE_CHECKING:
    from release_actions_dev.standins.github.app import RecordedRequest, Violation
    from release_actions_dev.standins.github.faults import Fault, FaultPlan
    from release_actions_dev.standins.github.standin import GitHubStandin, SpecViolationError
    from release_actions_dev.standins.github.state import Asset, GitRef, GitTag, Release, RepoState
    from release_actions_dev.standins.github.testing import github_standin_fixture

_LAZY = {
    "RecordedRequest": "app",
    "Violation": "app",
    "Fault": "faults",
    "FaultPlan": "faults",
    "GitHubStandin": "standin",
    "SpecViolationError": "standin",
    "Asset": "state",
    "GitRef": "state",
    "GitTag": "state",
    "Release": "state",
    "RepoState": "state",
    "github_standin_fixture": "testing",
}

__all__ = [
    "Asset",
    "Fault",
    "FaultPlan",
    "GitHubStandin",
    "GitRef",
    "GitTag",
    "RecordedRequest",
    "Release",
    "RepoState",
    "SpecViolationError",
    "Violation",
    "github_asset_name",
    "github_standin_fixture",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
