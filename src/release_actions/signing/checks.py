"""Verify-after-sign beside the signing: in the signing thread, or in one separate process.

Example::

    checks = AfterSignChecks(TrustSource(path=None, staging=False), verifier, expected,
                             separate_process=len(files) >= SEPARATE_PROCESS_FROM)
    checks.file(Path("dist/a.whl"), Path("signatures/a.whl.sigstore.json"))
    checks.attestation(Path("signatures/a.whl.publish.attestation"), Path("dist/a.whl"), digest)
    checks.close()   # waits; raises the first VerificationFailed

Each check is the one verification path (:mod:`.verification`), on the files as written.
Checking a bundle is CPU work (certificate chain, SCT, RFC 3161 timestamp, SET,
inclusion proof) that holds the interpreter lock, while signing mostly waits on Rekor; a
batch of hundreds of signatures therefore checks in one worker process (spawned, so no
lock of the signing threads is inherited), which runs on another core while the threads
sign. Small batches check in the signing thread: a process costs more to start than
they take. PEP 740 attestations always check in the signing thread: they carry no
timestamp to verify, a third of a bundle's work, and the signing threads have the
interpreter to spare while they wait on Rekor. The worker is started at once, so it has
imported sigstore by the time the first bundle is written. The process rebuilds the verifier from the same trust source (a trust-config
file, or the production/staging root sigstore has on disk, refreshed by the parent).
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sigstore.verify import Verifier

from release_actions.errors import ReleaseActionsError
from release_actions.signing.errors import VerificationFailed
from release_actions.signing.policy import ExpectedIdentity
from release_actions.signing.trust import load_trust_config, make_verifier
from release_actions.signing.verification import (
    verify_attestation,
    verify_file,
    verify_provenance,
)

#: Batches of at least this many signatures check in a separate process.
SEPARATE_PROCESS_FROM = 48

#: What a failed check sends back: message, fix, file (exceptions with keyword-only
#: arguments do not survive pickling).
_Failure = tuple[str, str | None, str | None]


@dataclass(frozen=True)
class TrustSource:
    """Where the trust config came from, so a worker process can load the same one."""

    path: Path | None
    staging: bool = False


_WORKER: tuple[Verifier, ExpectedIdentity] | None = None


def _start_worker(source: TrustSource, expected: ExpectedIdentity) -> None:
    global _WORKER  # noqa: PLW0603 - one verifier per worker process
    trust = load_trust_config(source.path, staging=source.staging, offline=source.path is None)
    _WORKER = (make_verifier(trust), expected)


def _in_worker(check: Callable[[Verifier, ExpectedIdentity], None]) -> _Failure | None:
    if _WORKER is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("the verification worker was not started")
    try:
        check(*_WORKER)
    except ReleaseActionsError as exc:
        return (exc.message, exc.fix, exc.file)
    return None


def _ready() -> None:
    """Nothing: submitted first, so the worker process starts (and imports) right away."""


def _check_file(path: Path, bundle: Path, verifier: Verifier, expected: ExpectedIdentity) -> None:
    verify_file(path, bundle, verifier=verifier, expected=expected)


def _check_attestation(
    path: Path, dist: Path, digest: str, verifier: Verifier, expected: ExpectedIdentity
) -> None:
    verify_attestation(path, dist, digest, verifier=verifier, expected=expected)


def _check_provenance(
    path: Path, files: list[tuple[Path, str]], verifier: Verifier, expected: ExpectedIdentity
) -> None:
    verify_provenance(path, files, verifier=verifier, expected=expected)


class _Bound:
    """A check with its arguments, picklable for the worker process."""

    def __init__(self, check: Callable[..., None], *args: object) -> None:
        self.check = check
        self.args = args

    def __call__(self, verifier: Verifier, expected: ExpectedIdentity) -> None:
        self.check(*self.args, verifier, expected)


class AfterSignChecks:
    """Runs the checks of one signing batch; ``failed`` is set as soon as one fails."""

    def __init__(
        self,
        source: TrustSource,
        verifier: Verifier,
        expected: ExpectedIdentity,
        *,
        separate_process: bool,
    ) -> None:
        self._verifier = verifier
        self._expected = expected
        self.failed = threading.Event()
        self._futures: list[tuple[_Bound, Future[_Failure | None]]] = []
        self._pool: ProcessPoolExecutor | None = None
        if separate_process:
            try:
                self._pool = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                    initargs=(source, expected),
                )
                self._pool.submit(_ready)  # start the worker now, not at the first check
            except (OSError, ImportError, NotImplementedError):
                # No process semaphores here (e.g. no /dev/shm): check in the threads.
                self._pool = None

    def file(self, path: Path, bundle: Path) -> None:
        self._run(_Bound(_check_file, path, bundle))

    def attestation(self, path: Path, dist: Path, digest: str) -> None:
        self._run(_Bound(_check_attestation, path, dist, digest), here=True)

    def provenance(self, path: Path, files: list[tuple[Path, str]]) -> None:
        self._run(_Bound(_check_provenance, path, files))

    def _run(self, bound: _Bound, *, here: bool = False) -> None:
        if self._pool is None or here:
            try:
                bound(self._verifier, self._expected)
            except VerificationFailed:
                self.failed.set()
                raise
            return
        try:
            future = self._pool.submit(_in_worker, bound)
        except (RuntimeError, OSError):  # the worker is gone (BrokenProcessPool is one)
            self._run(bound, here=True)
            return
        future.add_done_callback(self._note)
        self._futures.append((bound, future))

    def _note(self, future: Future[_Failure | None]) -> None:
        if not future.cancelled() and future.exception() is None and future.result() is not None:
            self.failed.set()

    def close(self) -> None:
        """Wait for every check; raise the first failure (in the order they were asked).

        A check the worker could not run (it died) is run here instead.
        """
        if self._pool is None:
            return
        try:
            for bound, future in self._futures:
                try:
                    failure = future.result()
                except Exception:  # the worker failed (it died, or could not start), not the check
                    bound(self._verifier, self._expected)
                    continue
                if failure is not None:
                    message, fix, file = failure
                    raise VerificationFailed(message, fix=fix, file=file)
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def abandon(self) -> None:
        """Stop the worker without waiting for the checks (signing failed)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
