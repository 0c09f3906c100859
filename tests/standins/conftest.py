"""Fixtures for the stand-in tests.

Example::

    def test_something(github_standin: GitHubStandin) -> None:
        github_standin.seed_release(tag_name="v1.0.0", draft=True)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from release_actions.standins.github import GitHubStandin, github_standin_fixture


@pytest.fixture
def github_standin() -> Iterator[GitHubStandin]:
    """A running GitHub stand-in; the test errors at teardown on any OpenAPI violation."""
    yield from github_standin_fixture()
