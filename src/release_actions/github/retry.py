"""The one retry policy for every GitHub request, and the gate that paces writes.

Example::

    policy = RetryPolicy(log=print)
    releases = policy.call(lambda: list(repo.get_releases()), what="listing releases")

What is retried (:meth:`RetryPolicy.decide`), with exponential backoff and jitter
(stamina; its testing mode makes the tests skip the waits, not the attempts):

* 5xx answers, connection resets and timeouts;
* rate limits — primary (403/429 with ``x-ratelimit-remaining: 0``) and secondary (403 or
  429; GitHub: wait ``retry-after`` seconds, else until ``x-ratelimit-reset``, else at
  least a minute). A rate limit pauses *every* writer through the shared :class:`WriteGate`
  and from then on writes are paced at 80 per minute (GitHub's documented budget for
  content-creating requests); before any limit is seen, nothing is paced. A wait longer
  than :data:`MAX_RATE_LIMIT_WAIT` fails the step instead (a re-run converges).

Nothing else is retried: a 4xx other than a rate limit is an answer, not an outage.
``POST`` requests are retried by their callers only after looking whether the first attempt
arrived (a 502 may hide a created release or an uploaded asset).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
from github.GithubException import GithubException

from release_actions.errors import ReleaseActionsError
from release_actions.retrying import Backoff, retrying

T = TypeVar("T")

#: Attempts per request (the first included), and the exponential backoff between them.
ATTEMPTS = 6
WAIT_INITIAL = 0.5
WAIT_MAX = 30.0
WAIT_JITTER = 0.5
#: Pace of writes once GitHub has answered with a rate limit (80 per minute).
PACED_WRITE_INTERVAL = 60 / 80
#: Wait when a rate-limit answer carries neither ``retry-after`` nor a reset time.
DEFAULT_RATE_LIMIT_WAIT = 60.0
#: Longer waits than this fail the step instead (re-run later; it converges).
MAX_RATE_LIMIT_WAIT = 900.0


class TryAgain(Exception):
    """State was repaired (a leftover deleted, a lost answer looked up): retry at once."""


class RateLimited(Exception):
    """GitHub asks for a longer wait than :data:`MAX_RATE_LIMIT_WAIT`."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


def rate_limit_wait(
    status: int, headers: Mapping[str, Any] | None, message: str, *, now: float | None = None
) -> float | None:
    """Seconds to wait for a 403/429 rate-limit answer, or None if it is not one."""
    if status not in (403, 429):
        return None
    lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    retry_after = lowered.get("retry-after")
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            return DEFAULT_RATE_LIMIT_WAIT
    exhausted = lowered.get("x-ratelimit-remaining") == "0"
    if exhausted and "x-ratelimit-reset" in lowered:
        with contextlib.suppress(ValueError):
            current = time.time() if now is None else now
            return max(1.0, float(lowered["x-ratelimit-reset"]) - current + 1)
    if status == 429 or exhausted or "rate limit" in message.lower():
        return DEFAULT_RATE_LIMIT_WAIT
    return None


def exception_wait(exc: BaseException) -> float | None:
    """:func:`rate_limit_wait` for a PyGithub exception."""
    if not isinstance(exc, GithubException):
        return None
    data = exc.data if isinstance(exc.data, dict) else {}
    return rate_limit_wait(exc.status, dict(exc.headers or {}), str(data.get("message", "")))


def is_distress(exc: BaseException) -> bool:
    """Whether ``exc`` says GitHub (or the way to it) struggles: 5xx, a dropped or timed-out
    connection, or a rate limit — a reason to send less at once."""
    if isinstance(exc, requests.RequestException | ConnectionError | TimeoutError):
        return True
    if isinstance(exc, GithubException):
        return exc.status >= 500 or exception_wait(exc) is not None
    return False


class WriteGate:
    """Shared by every writer of one run: pauses after a rate limit, then paces writes."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self._resume_at = 0.0
        self._next_slot = 0.0
        self.interval = 0.0
        self.pauses = 0

    def pause(self, seconds: float) -> None:
        """Hold every write for ``seconds``; pace writes from now on."""
        with self._lock:
            self._resume_at = max(self._resume_at, self._clock() + seconds)
            self.interval = PACED_WRITE_INTERVAL
            self.pauses += 1

    def acquire(self) -> None:
        """Block until this writer may start a write."""
        with self._lock:
            now = self._clock()
            start = max(now, self._resume_at, self._next_slot)
            self._next_slot = start + self.interval
        if start > now:
            self._sleep(start - now)


@dataclass
class RetryPolicy:
    """When to try a GitHub request again, and for how long; see the module docstring."""

    log: Callable[[str], None] = lambda _: None
    gate: WriteGate = field(default_factory=WriteGate)
    attempts: int = ATTEMPTS
    #: Set to stop retrying at once (another worker failed).
    stop: threading.Event = field(default_factory=threading.Event)

    def decide(self, exc: Exception) -> bool | float:
        """stamina's hook: whether (and after how long) to try again."""
        if isinstance(exc, ReleaseActionsError) or self.stop.is_set():
            return False
        if isinstance(exc, TryAgain):
            return 0.0
        if isinstance(exc, requests.RequestException | ConnectionError | TimeoutError):
            return True
        if not isinstance(exc, GithubException):
            return False
        if exc.status >= 500:
            return True
        wait_for = exception_wait(exc)
        if wait_for is None:
            return False
        if wait_for > MAX_RATE_LIMIT_WAIT:
            raise RateLimited(wait_for) from exc
        self.log(f"GitHub rate limit: pausing writes for {wait_for:.0f} s")
        self.gate.pause(wait_for)
        return 0.0  # the gate holds every writer, this one included

    def call(self, request: Callable[[], T], *, what: str) -> T:
        """``request()``, retried by this policy; the last failure is raised."""
        backoff = Backoff(
            attempts=self.attempts,
            wait_initial=WAIT_INITIAL,
            wait_max=WAIT_MAX,
            wait_jitter=WAIT_JITTER,
        )
        return retrying(request, on=self.decide, backoff=backoff, what=what, log=self.log)

    def write(self, request: Callable[[], T], *, what: str) -> T:
        """A write: through the gate, then :meth:`call`. Only for idempotent writes
        (PATCH, DELETE); a POST must look before it retries."""

        def gated() -> T:
            self.gate.acquire()
            return request()

        return self.call(gated, what=what)
