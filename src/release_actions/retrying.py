"""One retry loop for every engine: exponential backoff with jitter, by stamina.

Each engine decides *what* is worth another attempt (GitHub's rate limits, Sigstore's 5xx,
an index's 429); this module only runs the attempts. Under stamina's testing mode (the
test suite turns it on) every attempt still happens, without the back-off sleeps.

Example::

    @dataclass(frozen=True)
    class Backoff: ...
    page = retrying(fetch, on=is_transient, backoff=Backoff(attempts=5), what="reading the index")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import stamina

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    """How many attempts (the first included), how long to wait between them, and how
    long all of them may take (None: no bound)."""

    attempts: int = 5
    wait_initial: float = 0.5
    wait_max: float = 30.0
    wait_jitter: float = 0.5
    timeout: float | None = None


def retrying(
    call: Callable[[], T],
    *,
    on: Callable[[Exception], bool | float],
    backoff: Backoff,
    what: str,
    log: Callable[[str], None] = lambda _: None,
) -> T:
    """``call()``, tried again while ``on(error)`` says so (a number: wait that long first);
    the last failure is raised."""
    for attempt in stamina.retry_context(
        on=on,
        attempts=backoff.attempts,
        timeout=backoff.timeout,
        wait_initial=backoff.wait_initial,
        wait_max=backoff.wait_max,
        wait_jitter=backoff.wait_jitter,
    ):
        with attempt:
            if attempt.num > 1:
                log(f"{what}: attempt {attempt.num} of {backoff.attempts}")
            return call()
    raise AssertionError("unreachable: stamina re-raises the last error")  # pragma: no cover
