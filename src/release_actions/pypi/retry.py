"""Retry what a package index fails transiently: HTTP 5xx and 429, resets, timeouts.

Example::

    page = retrying(lambda: client.get_project_page("demo"), what="reading the index")

Only reads and the token exchange are retried here; an upload is retried by its caller,
which first looks whether the failed attempt arrived (a 502 may hide a stored file).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

import requests

from release_actions.retrying import Backoff
from release_actions.retrying import retrying as retry_loop

T = TypeVar("T")

#: Attempts in all (the first and four retries), and the backoff bounds in seconds.
ATTEMPTS = 5
BACKOFF = Backoff(
    attempts=ATTEMPTS, wait_initial=0.5, wait_max=10.0, wait_jitter=0.5, timeout=120.0
)
#: Seconds to wait for an index's answer (connect, read).
REQUEST_TIMEOUT = (10.0, 60.0)


class TransientStatus(Exception):
    """An answer worth asking again for (5xx, 429)."""

    def __init__(self, status: int, what: str) -> None:
        super().__init__(f"HTTP {status} from {what}")
        self.status = status


def is_transient(exc: Exception) -> bool:
    """Resets, timeouts, 5xx and 429: nothing else changes by asking again."""
    if isinstance(exc, TransientStatus | requests.ConnectionError | requests.Timeout):
        return True
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        status = exc.response.status_code
        return status >= 500 or status == 429
    return False


def retrying(
    call: Callable[[], T],
    *,
    what: str,
    log: Callable[[str], None] = lambda _: None,
    attempts: int = ATTEMPTS,
) -> T:
    """``call()``, retried with exponential backoff and jitter while transient."""
    return retry_loop(call, on=is_transient, backoff=replace(BACKOFF, attempts=attempts),
                      what=f"retrying {what}", log=log)  # fmt: skip


def describe(exc: BaseException) -> str:
    """A short, secret-free description of a transport failure."""
    if isinstance(exc, TransientStatus):
        return str(exc)
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    return type(exc).__name__
