"""Fault injection for the GitHub stand-in, per route.

Example::

    from release_actions_dev.standins.github.faults import FaultPlan

    plan = FaultPlan()
    plan.status("repos/upload-release-asset", 502, times=2)
    plan.reset("POST /repos/*/releases/*/assets", after_bytes=1024)
    plan.secondary_rate_limit("repos/create-release", retry_after=1)
    plan.secondary_rate_limit("*", status=429, retry_after=None, reset_in=2)
    plan.latency(0.05)                       # every request
    plan.bandwidth(10 * 1024 * 1024)          # upload bodies read at 10 MiB/s
    plan.content_limits(per_minute=80, per_hour=500)   # GitHub's content-creation caps

A *route* is either an operation id from GitHub's description (``repos/create-release``,
``repos/upload-release-asset``, ``git/get-ref``…), ``"*"`` (every route), or
``"METHOD /path/glob"`` matched with ``fnmatch`` against the request path
(``"PATCH /repos/*/releases/*"``). One-shot faults fire in the order they were added, each
``times`` times (``None``: forever).
"""

from __future__ import annotations

import fnmatch
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "SECONDARY_RATE_LIMIT_DOCS",
    "SECONDARY_RATE_LIMIT_MESSAGE",
    "Fault",
    "FaultPlan",
    "LimitStyle",
    "rate_limit_answer",
]

SECONDARY_RATE_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)
SECONDARY_RATE_LIMIT_DOCS = (
    "https://docs.github.com/en/free-pro-team@latest/rest/overview/"
    "resources-in-the-rest-api#secondary-rate-limits"
)
#: How a rate-limit answer says when to come back: a ``retry-after`` header, or
#: ``x-ratelimit-remaining: 0`` with ``x-ratelimit-reset`` (UTC epoch seconds).
LimitStyle = Literal["retry-after", "reset"]


def rate_limit_answer(
    *, status: int, wait: float, style: LimitStyle
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """GitHub's answer to a request over a secondary rate limit: status, body, headers."""
    # fidelity: gh.secondary-limit-answer
    body = {
        "message": SECONDARY_RATE_LIMIT_MESSAGE,
        "documentation_url": SECONDARY_RATE_LIMIT_DOCS,
        "status": str(status),
    }
    if style == "retry-after":
        headers = {"Retry-After": _seconds(wait)}
    else:
        headers = {
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(math.ceil(time.time() + wait)),
        }
    return status, body, headers


def route_matches(route: str, *, operation_id: str | None, method: str, path: str) -> bool:
    """Whether ``route`` (see module docstring) names this request."""
    if route == "*":
        return True
    if " " in route:
        want_method, glob = route.split(" ", 1)
        return want_method.upper() in {method.upper(), "*"} and fnmatch.fnmatchcase(path, glob)
    return route == operation_id


@dataclass
class Fault:
    """One injected fault: a canned response, or a connection reset."""

    route: str
    kind: Literal["status", "reset"]
    times: int | None = 1
    status: int = 500
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    #: For resets of requests with a body: bytes read before the connection is dropped.
    after_bytes: int = 0
    fired: int = 0
    #: For rate limits answered in the ``reset`` style: ``x-ratelimit-reset`` is this many
    #: seconds after the moment the fault fires.
    reset_in: float | None = None

    def answer_headers(self) -> dict[str, str]:
        """The headers of this fault's answer, as of now."""
        headers = dict(self.headers)
        if self.reset_in is not None:
            headers["X-RateLimit-Reset"] = str(math.ceil(time.time() + self.reset_in))
        return headers


class FaultPlan:
    """The faults configured on one stand-in (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._latency: dict[str, float] = {}
        self.bytes_per_second: float | None = None
        self.writes_per_minute: int | None = None
        self.writes_per_hour: int | None = None
        self.limit_status: Literal[403, 429] = 403
        self.limit_style: LimitStyle = "retry-after"
        self._writes: deque[float] = deque()
        self._before: list[tuple[str, Callable[[], object], list[int]]] = []

    # -- configuration ------------------------------------------------------------------
    def status(
        self,
        route: str,
        status: int,
        *,
        times: int | None = 1,
        body: Any = None,
        retry_after: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """Answer ``status`` (JSON ``body``, default GitHub's error shape) instead of serving.

        ``retry_after`` adds a ``Retry-After`` header (seconds).
        """
        all_headers = dict(headers or {})
        if retry_after is not None:
            all_headers["Retry-After"] = _seconds(retry_after)
        fault = Fault(route, "status", times, status, body, all_headers)
        with self._lock:
            self._faults.append(fault)
        return fault

    def secondary_rate_limit(
        self,
        route: str,
        *,
        times: int | None = 1,
        status: Literal[403, 429] = 403,
        retry_after: float | None = 60,
        reset_in: float | None = None,
    ) -> Fault:
        """A secondary rate limit in GitHub's shape: 403 or 429, and either a
        ``Retry-After`` header or ``x-ratelimit-remaining: 0`` + ``x-ratelimit-reset``
        (``reset_in`` seconds from now; used when ``retry_after`` is None)."""
        if retry_after is not None:
            _, body, headers = rate_limit_answer(
                status=status, wait=retry_after, style="retry-after"
            )
        else:
            _, body, headers = rate_limit_answer(status=status, wait=0, style="reset")
        fault = self.status(route, status, times=times, body=body, headers=headers)
        if retry_after is None:
            fault.reset_in = 60 if reset_in is None else reset_in
        return fault

    def reset(self, route: str, *, times: int | None = 1, after_bytes: int = 0) -> Fault:
        """Drop the connection (TCP reset) after reading ``after_bytes`` of the body.

        On an upload this leaves a ``state: starter`` asset of size 0 behind, like GitHub.
        """
        fault = Fault(route, "reset", times, after_bytes=after_bytes)
        with self._lock:
            self._faults.append(fault)
        return fault

    def latency(self, seconds: float, *, route: str = "*") -> None:
        """Delay every matching request by ``seconds`` (0 removes it)."""
        with self._lock:
            if seconds:
                self._latency[route] = seconds
            else:
                self._latency.pop(route, None)

    def bandwidth(self, bytes_per_second: float | None) -> None:
        """Cap the rate upload bodies are read at (``None``: no cap)."""
        self.bytes_per_second = bytes_per_second

    def content_limits(
        self,
        *,
        per_minute: int | None = 80,
        per_hour: int | None = 500,
        status: Literal[403, 429] = 403,
        style: LimitStyle = "retry-after",
    ) -> None:
        """GitHub's caps on content-creating requests: more than ``per_minute`` in 60 s or
        ``per_hour`` in an hour answers a secondary rate limit (``status``, ``style``)."""
        with self._lock:
            self.writes_per_minute = per_minute
            self.writes_per_hour = per_hour
            self.limit_status = status
            self.limit_style = style
            self._writes.clear()

    def write_rate_limit(self, per_minute: int | None) -> None:
        """More than ``per_minute`` content-creating requests in 60 s → 403 secondary limit."""
        self.content_limits(per_minute=per_minute, per_hour=None)

    def before(self, route: str, action: Callable[[], object], *, times: int = 1) -> None:
        """Run ``action`` when a matching request arrives, before it is served.

        Models another job acting at that moment (e.g. uploading the same asset first, for
        a 422 ``already_exists`` race).
        """
        with self._lock:
            self._before.append((route, action, [times]))

    def clear(self) -> None:
        """Remove every fault, latency, bandwidth and write-rate setting."""
        with self._lock:
            self._before.clear()
            self._faults.clear()
            self._latency.clear()
            self.bytes_per_second = None
            self.writes_per_minute = None
            self.writes_per_hour = None
            self._writes.clear()

    # -- consumption (server side) ------------------------------------------------------
    @property
    def pending(self) -> list[Fault]:
        """Faults that have not fired their ``times`` yet."""
        with self._lock:
            return [f for f in self._faults if f.times is None or f.fired < f.times]

    def take(self, *, operation_id: str | None, method: str, path: str) -> Fault | None:
        """The next fault for this request, counting it as fired (after ``before`` actions)."""
        actions = []
        with self._lock:
            for route, action, left in self._before:
                if left[0] > 0 and route_matches(
                    route, operation_id=operation_id, method=method, path=path
                ):
                    left[0] -= 1
                    actions.append(action)
        for action in actions:  # outside the lock: actions may use the stand-in's state
            action()
        with self._lock:
            for fault in self._faults:
                if fault.times is not None and fault.fired >= fault.times:
                    continue
                if route_matches(fault.route, operation_id=operation_id, method=method, path=path):
                    fault.fired += 1
                    return fault
            return None

    def delay_for(self, *, operation_id: str | None, method: str, path: str) -> float:
        with self._lock:
            return sum(
                seconds
                for route, seconds in self._latency.items()
                if route_matches(route, operation_id=operation_id, method=method, path=path)
            )

    def count_write(self) -> float | None:
        """Record one content-creating request; seconds to wait if over a content limit."""
        # fidelity: gh.content-limits
        with self._lock:
            if self.writes_per_minute is None and self.writes_per_hour is None:
                return None
            now = time.monotonic()
            while self._writes and now - self._writes[0] >= 3600:
                self._writes.popleft()
            waits = []
            for window, cap in ((60.0, self.writes_per_minute), (3600.0, self.writes_per_hour)):
                if cap is None:
                    continue
                inside = [t for t in self._writes if now - t < window]
                if len(inside) >= cap:
                    waits.append(window - (now - inside[-cap]))
            if waits:
                return max(waits)
            self._writes.append(now)
            return None


def _seconds(value: float) -> str:
    # GitHub sends whole seconds; clients (urllib3's Retry) reject fractions.
    return str(max(0, math.ceil(value)))
