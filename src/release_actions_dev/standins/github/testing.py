"""A pytest-style fixture body for the GitHub stand-in (no pytest import needed).

Example (in a ``conftest.py``)::

    import pytest
    from release_actions_dev.standins.github.testing import github_standin_fixture

    @pytest.fixture
    def github_standin():
        yield from github_standin_fixture()

The stand-in runs for the test; at teardown any OpenAPI violation raises
``SpecViolationError`` (an ``AssertionError``), which pytest reports as an error of that
test, so the run fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from release_actions_dev.standins.github.standin import GitHubStandin

__all__ = ["github_standin_fixture"]


def github_standin_fixture(**options: Any) -> Iterator[GitHubStandin]:
    """Yield a started ``GitHubStandin(**options)``; fail at teardown on violations."""
    standin = GitHubStandin(**options).start()
    try:
        yield standin
    finally:
        standin.stop()
    standin.assert_no_violations()
