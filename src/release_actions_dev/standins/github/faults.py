"""Fault injection for the GitHub stand-in, per route.

Example::

    from release_actions_dev.standins.github.faults import FaultPlan

    plan = FaultPlan()
    plan.status("repos/upload-release-asset", 502, times=2)
    plan.reset("POST /repos/*/releases/*/assets", after_bytes=1024)
    plan.secondary_rate_limit("repos/create-release", retry_after=1)
    plan.latency(0.05)                       # every request
    plan.bandwidth(10 * 1024 * 1024)          # upload bodies read at 10 MiB/s
    plan.write_rate_limit(80)                 # > 80 writes per minute → 403

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

__all__ = ["SECONDARY_RATE_LIMIT_MESSAGE", "Fault", "FaultPlan"]

SECONDARY_RATE_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
    "again. If you reach out to GitHub Support for help, please include the request ID "
    "0000:0000:0000000:0000000:00000000."
)
SECONDARY_RATE_LIMIT_DOCS = (
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)


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


class FaultPlan:
    """The faults configured on one stand-in (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._latency: dict[str, float] = {}
        self.bytes_per_second: float | None = None
        self.writes_per_minute: int | None = None
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
        self, route: str, *, times: int | None = 1, retry_after: float | None = 60
    ) -> Fault:
        """A 403 secondary rate limit in GitHub's shape (message + ``Retry-After``)."""
        body = {
            "message": SECONDARY_RATE_LIMIT_MESSAGE,
            "documentation_url": SECONDARY_RATE_LIMIT_DOCS,
            "status": "403",
        }
        return self.status(route, 403, times=times, body=body, retry_after=retry_after)

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

    def write_rate_limit(self, per_minute: int | None) -> None:
        """More than ``per_minute`` content-creating requests in 60 s → 403 secondary limit."""
        with self._lock:
            self.writes_per_minute = per_minute
            self._writes.clear()

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
        """Record one content-creating request; seconds to wait if over the write limit."""
        with self._lock:
            if self.writes_per_minute is None:
                return None
            now = time.monotonic()
            while self._writes and now - self._writes[0] >= 60:
                self._writes.popleft()
            if len(self._writes) >= self.writes_per_minute:
                return 60 - (now - self._writes[0])
            self._writes.append(now)
            return None


def _seconds(value: float) -> str:
    # GitHub sends whole seconds; clients (urllib3's Retry) reject fractions.
    return str(max(0, math.ceil(value)))
