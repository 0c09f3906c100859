"""How many uploads at once: the bounds the uploading steps declare and the engine keeps.

A module of its own so the steps' declarations read it without importing PyGithub.

Example::

    assert 1 <= DEFAULT_CONCURRENCY <= MAX_CONCURRENCY
"""

from __future__ import annotations

#: Parallel uploads the steps allow: far below GitHub's 100 concurrent requests, and
#: where the engine stops gaining on two cores (1,000 small files: 5.7 s at 16, 6.9 at 32).
MAX_CONCURRENCY = 16
#: The inputs' default: the engine's upper bound (it starts lower and adapts, see upload).
DEFAULT_CONCURRENCY = 16
