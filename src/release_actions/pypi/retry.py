"""Retry what a package index fails transiently: HTTP 5xx and 429, resets, timeouts.

Example::

    page = retrying(lambda: client.get_project_page("demo"), what="reading the index")

Only reads and the token exchange are retried here; an upload is retried by its caller,
which first looks whether the failed attempt arrived (a 502 may hide a stored file).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import requests
import stamina

T = TypeVar("T")

#: Attempts in all (the first and four retries), and the backoff bounds in seconds.
ATTEMPTS = 5
WAIT_INITIAL = 0.5
WAIT_MAX = 10.0
WAIT_JITTER = 0.5
TIMEOUT = 120.0
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
    """``call()``, retried with exponential backoff and jitter (stamina) while transient."""
    for attempt in stamina.retry_context(
        on=is_transient,
        attempts=attempts,
        timeout=TIMEOUT,
        wait_initial=WAIT_INITIAL,
        wait_max=WAIT_MAX,
        wait_jitter=WAIT_JITTER,
    ):
        with attempt:
            if attempt.num > 1:
                log(f"retrying {what} (attempt {attempt.num} of {attempts})")
            return call()
    raise AssertionError("unreachable: stamina re-raises the last error")  # pragma: no cover


def describe(exc: BaseException) -> str:
    """A short, secret-free description of a transport failure."""
    if isinstance(exc, TransientStatus):
        return str(exc)
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    return type(exc).__name__
