"""Fixtures for every test: the GitHub and Sigstore stand-ins.

Example::

    def test_draft(github_standin: GitHubStandin, sigstore_standin: SigstoreStandin) -> None:
        ...
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from release_actions_dev.standins.github import GitHubStandin, github_standin_fixture

pytest_plugins = ["tests.standins.sigstore_conftest"]


@pytest.fixture
def github_standin() -> Iterator[GitHubStandin]:
    """A running GitHub stand-in; the test errors at teardown on any OpenAPI violation."""
    yield from github_standin_fixture()
