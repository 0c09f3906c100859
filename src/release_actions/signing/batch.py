"""One signing certificate shared by many threads, replaced when it or the token expires.

Example::

    pool = SignerPool({"bundles": SigningContext.from_trust_config(trust)}, tokens,
                      given_token=False, log=print)
    identity = pool.start()                           # token → certificate (one Fulcio call)
    bundle = pool.run(lambda signer: signer.sign_artifact(data), what="a.whl",
                      certificate=lambda b: b.signing_certificate)

Lanes: each lane names a signing context (which Rekor log, which TSAs). Lanes sharing one
context share one signer and so one certificate; a lane with its own context (PEP 740
attestations on Rekor v1 while the bundles go to Rekor v2, see :mod:`.plan`) gets its
own signer from the same token, refreshed together with the others.

sigstore's ``Signer`` caches one key and certificate; its ``sign_*`` methods are safe to
call from threads (Rekor sessions are thread-local). A Fulcio certificate lives about ten
minutes and the GitHub token about five, so a long batch outlives them
(pypa/gh-action-pypi-publish #415). Then ``sign_*`` raises ``ExpiredCertificate`` (or
``ExpiredIdentity`` when a new certificate is needed and the token is gone): the first
worker to see it fetches a fresh ambient token and builds a new signer (generation + 1);
the others wait on the lock, see the new generation and retry with it. A certificate
close to its end (the last fifth of its life, at most 60 s) is replaced before use, so no
Rekor entry is integrated after the certificate expired. A token given by the user
cannot be refreshed: expiry is then a clear error. Transient Fulcio and Rekor failures
(5xx, 429, resets) are retried with backoff around each operation.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Literal, TypeVar

from cryptography.x509 import Certificate
from sigstore._internal.fulcio.client import ExpiredCertificate, FulcioClientError
from sigstore.oidc import ExpiredIdentity, IdentityError, IdentityToken
from sigstore.sign import Signer, SigningContext

from release_actions.signing.errors import IdentityTokenError, SigningError
from release_actions.signing.retry import http_status, is_transient, retrying
from release_actions.signing.tokens import SigningIdentity, TokenSource

T = TypeVar("T")
Lane = Literal["bundles", "attestations"]

#: Replace a certificate this close to its end (capped by a fifth of its lifetime).
REFRESH_MARGIN = 60.0
#: Refreshes one operation may ask for before giving up (a clock far off, a broken issuer).
MAX_REFRESHES = 4


class SignerPool:
    """A shared :class:`sigstore.sign.Signer`, refreshed under a lock."""

    def __init__(
        self,
        contexts: Mapping[Lane, SigningContext],
        tokens: TokenSource,
        *,
        given_token: bool,
        log: Callable[[str], None] = lambda _: None,
        refresh_margin: float = REFRESH_MARGIN,
    ) -> None:
        self._contexts = dict(contexts)
        self._tokens = tokens
        self._given = given_token
        self._log = log
        self._margin = refresh_margin
        self._lock = threading.Lock()
        self._generation = 0
        self._signers: dict[Lane, Signer] | None = None
        self._not_after: float | None = None
        self._identity: SigningIdentity | None = None
        #: Certificates obtained so far (1 for a batch that outlived nothing).
        self.certificates = 0

    @property
    def identity(self) -> SigningIdentity:
        if self._identity is None:
            raise RuntimeError("SignerPool.start() was not called")
        return self._identity

    def start(self) -> SigningIdentity:
        """Fetch a token and the first certificate."""
        with self._lock:
            self._new_signer(first=True)
        return self.identity

    def _new_signer(self, *, first: bool) -> None:

        raw = self._tokens.fetch()
        identity = SigningIdentity.from_token(raw)
        identity.check_fresh(given=self._given)
        if self._identity is not None and identity.san != self._identity.san:
            raise SigningError(
                f"the refreshed token signs as {identity.san}, not {self._identity.san}",
                fix="re-run the job; the identity must not change within one signing step",
            )
        try:
            token = IdentityToken(raw)
        except IdentityError as exc:
            raise IdentityTokenError(
                f"sigstore refuses the identity token: {exc}",
                fix="pass an OIDC ID token whose audience is `sigstore`",
            ) from exc
        by_context: dict[int, Signer] = {}
        signers: dict[Lane, Signer] = {}
        try:
            for lane, context in self._contexts.items():
                if id(context) not in by_context:
                    by_context[id(context)] = retrying(
                        partial(Signer, token, context),
                        what="the signing-certificate request (Fulcio)",
                        log=self._log,
                    )
                signers[lane] = by_context[id(context)]
        except FulcioClientError as exc:
            status = http_status(exc)
            detail = f"HTTP {status}" if status else (str(exc) or type(exc).__name__)
            raise SigningError(
                f"Fulcio refused the signing certificate ({detail})",
                fix="check the token's issuer is one the Fulcio instance trusts (see "
                "`trust-config`), then re-run",
            ) from exc
        self._identity = identity
        self._signers = signers
        self._not_after = None
        self._generation += 1
        self.certificates += len(by_context)
        if not first:
            self._log(f"new signing certificate (#{self.certificates}): the previous one expired")

    def _current(self, lane: Lane) -> tuple[int, Signer]:
        with self._lock:
            if self._signers is None:
                raise RuntimeError("SignerPool.start() was not called")
            if (
                self._not_after is not None
                and self._tokens.refreshable
                and self._not_after - time.time() < self._margin
            ):
                self._new_signer(first=False)
            return self._generation, self._signers[lane]

    def _refresh(self, generation: int, reason: BaseException) -> None:
        with self._lock:
            if generation != self._generation:
                return  # another worker already replaced it
            if not self._tokens.refreshable:
                raise IdentityTokenError(
                    "the identity token given in `identity-token` expired while signing "
                    f"({type(reason).__name__}), and a given token cannot be refreshed",
                    fix="leave `identity-token` empty in GitHub Actions so the ambient token is "
                    "used and refreshed, or sign fewer files per step",
                ) from reason
            self._new_signer(first=False)

    def _observe(self, cert: Certificate, generation: int) -> None:
        """Note when the current signers' certificates end (the earliest of them)."""
        not_after = cert.not_valid_after_utc.timestamp()
        lifetime = not_after - cert.not_valid_before_utc.timestamp()
        with self._lock:
            if generation != self._generation:
                return  # a straggler signed with a certificate already replaced
            if self._not_after is None or not_after < self._not_after:
                self._not_after = not_after
                self._margin = min(self._margin, max(lifetime / 5, 0.0))

    def run(
        self,
        operation: Callable[[Signer], T],
        *,
        what: str,
        certificate: Callable[[T], Certificate],
        lane: Lane = "bundles",
    ) -> T:
        """``operation(signer)`` with ``lane``'s signer, retried on transient failures,
        refreshed on expiry."""

        for _ in range(MAX_REFRESHES + 1):
            generation, signer = self._current(lane)
            try:
                result = retrying(partial(operation, signer), what=what, log=self._log)
            except (ExpiredCertificate, ExpiredIdentity) as exc:
                self._refresh(generation, exc)
                continue
            self._observe(certificate(result), generation)
            return result
        raise SigningError(
            f"{what}: the signing certificate kept expiring ({MAX_REFRESHES} refreshes)",
            fix="check the runner's clock, then re-run",
        )


__all__ = ["Lane", "SignerPool", "is_transient"]
