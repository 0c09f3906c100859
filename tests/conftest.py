"""Fixtures for every test: the GitHub and Sigstore stand-ins, and no real back-off waits.

Example::

    def test_draft(github_standin: GitHubStandin, sigstore_standin: SigstoreStandin) -> None:
        ...
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stamina

from release_actions_dev.standins.github import GitHubStandin, github_standin_fixture

pytest_plugins = ["tests.standins.sigstore_conftest"]


@pytest.fixture
def github_standin() -> Iterator[GitHubStandin]:
    """A running GitHub stand-in; the test errors at teardown on any OpenAPI violation."""
    yield from github_standin_fixture()


@pytest.fixture(autouse=True, scope="session")
def _no_backoff_waits() -> Iterator[None]:
    """stamina's own testing mode: every retry happens, without its back-off sleep.

    The tests assert what a retry achieves (the final state, the requests made), not how
    long it waited; ``cap=True`` keeps each call site's own number of attempts. Waits
    GitHub asks for (``Retry-After``) are still honoured by the write gate.
    """
    stamina.set_testing(True, attempts=100, cap=True)
    yield
    stamina.set_testing(False)
