"""Retry what Sigstore's services fail transiently: HTTP 5xx and 429, resets, timeouts.

sigstore-python does not retry: a Rekor 502 surfaces as ``RekorClientError`` with the
``requests.HTTPError`` as its implicit context (``__context__``), a Fulcio one as
``FulcioClientError`` (empty message) with the ``HTTPError`` as ``__cause__``.

Example::

    bundle = retrying(lambda: signer.sign_artifact(data), what="signing dist/a.whl", log=print)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

import requests
from sigstore.models import InvalidBundle

from release_actions.retrying import Backoff
from release_actions.retrying import retrying as retry_loop

T = TypeVar("T")

#: Attempts in all (the first and four retries), and the backoff bounds in seconds.
ATTEMPTS = 5
BACKOFF = Backoff(
    attempts=ATTEMPTS, wait_initial=0.25, wait_max=5.0, wait_jitter=0.25, timeout=90.0
)


def http_status(exc: BaseException) -> int | None:
    """The HTTP status behind a sigstore or requests error, if any."""

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, requests.HTTPError) and current.response is not None:
            return int(current.response.status_code)
        current = current.__cause__ or current.__context__
    return None


def is_transient(exc: Exception) -> bool:
    """5xx, 429, connection resets and timeouts; nothing that a retry cannot change.

    Also a bundle sigstore could not build for want of a timestamp: sigstore-python only
    logs a timestamp authority's failure (5xx, timeout) and goes on, and with Rekor v2 —
    whose entries carry no signed time — building the bundle then fails. Signing again
    asks the TSA again (the orphaned log entry is harmless).
    """

    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return True
    if isinstance(exc, InvalidBundle) and "signed timestamp" in str(exc):
        return True
    status = http_status(exc)
    return status is not None and (status >= 500 or status == 429)


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
