"""An honest local stand-in for GitHub's REST API (releases, assets, git refs and tags).

Example::

    from github import Auth, Github
    from release_actions.standins.github import GitHubStandin, github_asset_name

    with GitHubStandin(owner="octo", repo="demo", token="t0ken") as gh:
        repo = Github(base_url=gh.api_url, auth=Auth.Token("t0ken")).get_repo("octo/demo")
        release = repo.create_git_release("v1.0.0", "v1.0.0", "", draft=True)
        gh.faults.status("repos/upload-release-asset", 502, times=1)
        assert github_asset_name("a b+c.whl") == "a.b+c.whl"
        gh.assert_no_violations()

Every request and response is validated against a committed subset of GitHub's OpenAPI
description (``spec/``); see ``openapi.py`` for the documented shims.
"""

from release_actions.standins.github.app import RecordedRequest, Violation
from release_actions.standins.github.faults import Fault, FaultPlan
from release_actions.standins.github.names import github_asset_name
from release_actions.standins.github.standin import GitHubStandin, SpecViolationError
from release_actions.standins.github.state import Asset, GitRef, GitTag, Release, RepoState
from release_actions.standins.github.testing import github_standin_fixture

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
