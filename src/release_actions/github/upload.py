"""The upload engine shared by every step that attaches files to a release.

Example::

    results = Uploader(
        token="ghs_…", api_url="https://api.github.com",
        release_url=release.url, upload_url=release.upload_url, concurrency=16,
    ).execute(plan)                                     # a Plan from github.plan
    print([(r.name, r.action) for r in results])

What it guarantees (the plan was made before, see :mod:`release_actions.github.plan`):

* **Streaming.** Bodies are file objects handed to PyGithub's
  ``Requester.requestMemoryBlobAndCheck`` (what ``GitRelease.upload_asset_from_memory``
  calls): requests/urllib3 send them in 16 KiB blocks, so memory stays flat whatever the
  size. (``GitRelease.upload_asset(path)`` streams too, but cannot take our retries, name
  encoding and per-thread connections.) ``?name=`` is form-encoded, so ``+`` goes as ``%2B``.
* **The release's own upload URL.** Uploads go to the release's ``upload_url`` (on
  github.com another host, ``uploads.github.com``; on GitHub Enterprise Server
  ``https://HOST/api/uploads``), never a URL built from the API's.
* **Concurrency that adapts.** Largest files first, at most ``concurrency`` at a time
  (default 16, far below GitHub's 100 concurrent requests): the engine starts at
  :data:`START_CONCURRENCY`, adds one upload slot after each success and halves them when
  GitHub struggles (5xx, resets, timeouts, rate limits) — small files stop waiting on
  latency, big ones do not pile onto a failing host. Each worker has its own PyGithub
  client, because a ``Requester`` keeps the request being sent on its shared connection
  object and is not safe across threads; uploads to another host than the API's (as
  on github.com) go over one kept-alive connection per worker and host.
* **Retries** by the one :class:`~release_actions.github.retry.RetryPolicy`: 5xx, resets,
  timeouts and rate limits (which pause every worker through the shared gate). Before
  retrying an upload the engine re-lists the assets: a leftover ``starter`` is deleted; an
  asset that arrived complete with our digest counts as done (the response was lost, not
  the upload).
* **Races.** A 422 ``already_exists`` (another job uploaded the name meanwhile) re-lists:
  same digest → skipped; a leftover → deleted and retried; other content → conflict,
  unless ``overwrite``. A release published as immutable meanwhile refuses uploads; that
  is said in GitHub's words, with what was done.

:func:`asset_sha256` reads an asset's bytes through the API (``Accept:
application/octet-stream``; GitHub answers with a redirect to the download) and hashes them
as they stream, for assets GitHub recorded no digest for.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from github import Github
from github.GithubException import GithubException
from github.GitRelease import GitRelease
from github.GitReleaseAsset import GitReleaseAsset
from github.PaginatedList import PaginatedList
from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass

from release_actions.errors import (
    AssetConflictError,
    GitHubApiError,
    ReleaseActionsError,
    ReleaseStateError,
    UploadError,
)
from release_actions.github.client import GitHubTarget, api_error, error_messages, github_client
from release_actions.github.concurrency import DEFAULT_CONCURRENCY
from release_actions.github.plan import (
    AssetResult,
    LocalFile,
    Plan,
    PlannedAsset,
    RemoteAsset,
    TakenAction,
    taken,
)
from release_actions.github.retry import RateLimited, RetryPolicy, TryAgain, WriteGate, is_distress

#: Seconds without progress before an upload request fails (and is retried).
UPLOAD_TIMEOUT = 300
#: Uploads running at once when a run starts (then one more after each success).
START_CONCURRENCY = 4
#: Bytes read at a time when hashing an asset's download (memory stays flat).
DOWNLOAD_CHUNK = 1024 * 1024

T = TypeVar("T")


class AdaptiveLimit:
    """How many uploads may run at once: additive increase, multiplicative decrease.

    Starts at ``start``; each success adds a slot up to ``bound``; each sign that GitHub
    struggles halves the slots (never below one). ``peak`` is the most that ran at once.
    """

    def __init__(self, *, bound: int, start: int = START_CONCURRENCY) -> None:
        self.bound = max(1, bound)
        self.limit = max(1, min(start, self.bound))
        self.running = 0
        self.peak = 0
        self.backoffs = 0
        self._cond = threading.Condition()

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        with self._cond:
            while self.running >= self.limit:
                self._cond.wait()
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            yield
        finally:
            with self._cond:
                self.running -= 1
                self._cond.notify_all()

    def succeeded(self) -> None:
        with self._cond:
            if self.limit < self.bound:
                self.limit += 1
                self._cond.notify_all()

    def struggled(self) -> None:
        with self._cond:
            self.limit = max(1, self.limit // 2)
            self.backoffs += 1


def _download(
    target: GitHubTarget,
    asset: RemoteAsset,
    *,
    policy: RetryPolicy,
    consume: Callable[[Iterator[bytes]], T],
    what: str,
) -> T:
    """``consume`` the chunks of ``asset``'s bytes as GitHub streams them (retried).

    ``GET`` the asset's API URL with ``Accept: application/octet-stream``: GitHub answers
    with the bytes or a redirect to them (the token is not sent to another host).
    """

    def read() -> T:
        headers = {
            "Authorization": f"token {target.token}",
            "Accept": "application/octet-stream",
            "User-Agent": "release-actions",
        }
        with (
            requests.Session() as http,
            http.get(
                asset.api_url, headers=headers, stream=True, timeout=(30, UPLOAD_TIMEOUT)
            ) as response,
        ):
            if response.status_code >= 500:
                response.raise_for_status()  # retried
            if response.status_code != 200:
                raise GitHubApiError(
                    f"reading asset {asset.name} failed: GitHub answered {response.status_code}",
                    fix="check that the token can read the release, then re-run",
                )
            size = 0

            def chunks() -> Iterator[bytes]:
                nonlocal size
                for chunk in response.iter_content(DOWNLOAD_CHUNK):
                    size += len(chunk)
                    yield chunk

            result = consume(chunks())
            if size != asset.size:
                raise requests.ConnectionError(f"read {size:,} of {asset.size:,} bytes")
            return result

    return policy.call(read, what=what)


def asset_sha256(target: GitHubTarget, asset: RemoteAsset, *, policy: RetryPolicy) -> str:
    """The sha256 of ``asset``'s bytes, hashed as they stream (memory stays flat)."""

    def digest(chunks: Iterator[bytes]) -> str:
        sha = hashlib.sha256()
        for chunk in chunks:
            sha.update(chunk)
        return sha.hexdigest()

    return _download(
        target, asset, policy=policy, consume=digest, what=f"reading {asset.name} to hash it"
    )


def asset_bytes(
    target: GitHubTarget, asset: RemoteAsset, *, policy: RetryPolicy, limit: int
) -> bytes:
    """``asset``'s bytes (for small files: signatures, provenance); refuses over ``limit``."""
    if asset.size > limit:
        raise UploadError(
            f"asset {asset.name} is {asset.size:,} bytes, more than the {limit:,} read into memory",
            fix="this asset is not a signature or provenance file; rename or remove it",
        )
    return _download(
        target, asset, policy=policy, consume=b"".join, what=f"reading asset {asset.name}"
    )


@dataclass
class _Worker:
    client: Github
    connections: dict[tuple[str, str, int | None], Any] = field(default_factory=dict)


class Uploader:
    """Runs a :class:`Plan` against one release; see the module docstring."""

    @classmethod
    def for_release(
        cls,
        target: GitHubTarget,
        release: GitRelease,
        *,
        concurrency: int,
        overwrite: bool,
        log: Callable[[str], None],
        gate: WriteGate | None = None,
    ) -> Uploader:
        """An uploader for ``release`` of ``target``'s repository."""
        return cls(
            token=target.token,
            api_url=target.api_url,
            release_url=release.url,
            upload_url=release.upload_url,
            concurrency=concurrency,
            overwrite=overwrite,
            log=log,
            gate=gate,
        )

    def __init__(
        self,
        *,
        token: str,
        api_url: str,
        release_url: str,
        upload_url: str,
        concurrency: int = DEFAULT_CONCURRENCY,
        overwrite: bool = False,
        log: Callable[[str], None] = lambda _: None,
        gate: WriteGate | None = None,
        client_factory: Callable[[], Github] | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.release_url = release_url
        self.upload_url = upload_url.split("{", 1)[0]
        self.concurrency = max(1, concurrency)
        self.overwrite = overwrite
        self.log = log
        #: This run's policy: the session's gate (one pace for all writes), its own stop.
        self.policy = RetryPolicy(log=log, gate=gate if gate is not None else WriteGate())
        self.limit = AdaptiveLimit(bound=self.concurrency)
        self._factory = client_factory or (
            lambda: github_client(token, api_url=api_url, timeout=UPLOAD_TIMEOUT)
        )
        self._local = threading.local()
        self._workers: list[_Worker] = []
        self._workers_lock = threading.Lock()

    # -- per-thread clients -----------------------------------------------------------------
    def _worker(self) -> _Worker:
        worker: _Worker | None = getattr(self._local, "worker", None)
        if worker is None:
            worker = _Worker(self._factory())
            self._local.worker = worker
            with self._workers_lock:
                self._workers.append(worker)
        return worker

    def _connection(
        self, url: str
    ) -> HTTPRequestsConnectionClass | HTTPSRequestsConnectionClass | None:
        """This thread's kept-alive connection to the upload host (None: the API's own).

        PyGithub opens (and keeps until ``close``) a new session for every request to a
        host other than ``base_url``'s, e.g. uploads.github.com; one per worker suffices.
        """

        target, api = urlsplit(url), urlsplit(self.api_url)
        if (target.scheme, target.hostname, target.port) == (api.scheme, api.hostname, api.port):
            return None
        worker = self._worker()
        key = (target.scheme, target.hostname or "", target.port)
        if key not in worker.connections:
            cls = (
                HTTPSRequestsConnectionClass
                if target.scheme == "https"
                else HTTPRequestsConnectionClass
            )
            worker.connections[key] = cls(
                target.hostname or "", target.port, retry=None, timeout=UPLOAD_TIMEOUT
            )
        connection: HTTPRequestsConnectionClass | HTTPSRequestsConnectionClass = worker.connections[
            key
        ]
        return connection

    def close(self) -> None:
        with self._workers_lock:
            for worker in self._workers:
                for connection in worker.connections.values():
                    connection.close()
                worker.client.close()
            self._workers.clear()

    # -- requests -------------------------------------------------------------------------
    def _current(self, name: str) -> RemoteAsset | None:
        """The release's asset called ``name`` now (all pages)."""

        requester = self._worker().client.requester
        for asset in PaginatedList(
            GitReleaseAsset, requester, f"{self.release_url}/assets", {"per_page": 100}
        ):
            if asset.name == name:
                return RemoteAsset.from_asset(asset)
        return None

    def _delete(self, asset: RemoteAsset) -> None:

        self.policy.gate.acquire()
        try:
            self._worker().client.requester.requestJsonAndCheck("DELETE", asset.api_url)
        except GithubException as exc:
            if exc.status != 404:  # already gone: fine
                raise
        self.log(f"deleted asset {asset.name} (id {asset.id}, {asset.state}, {asset.size:,} bytes)")

    def _post(self, file: LocalFile) -> RemoteAsset:
        requester = self._worker().client.requester
        self.policy.gate.acquire()
        with file.path.open("rb") as body:
            _, data = requester.requestMemoryBlobAndCheck(
                "POST",
                self.upload_url,
                parameters={"name": file.name},
                headers={
                    "Content-Type": "application/octet-stream",
                    "Content-Length": str(file.size),
                },
                file_like=body,
                cnx=self._connection(self.upload_url),
            )
        return RemoteAsset.from_json(data)

    # -- one file ---------------------------------------------------------------------------
    def _attempt(self, item: PlannedAsset, *, first: bool) -> tuple[RemoteAsset, TakenAction]:

        if self.policy.stop.is_set():
            raise UploadError("stopped: another file failed")
        file = item.file
        current = item.existing if first else self._current(file.name)
        if current is not None:
            if current.same_as(file):
                # Identical: planned so, or our earlier attempt arrived but its answer did not.
                return current, ("skipped" if item.action == "skip" else taken(item.action))
            if current.broken or item.action == "replace" or self.overwrite:
                self._delete(current)
            else:
                raise AssetConflictError(
                    f"{file.name} appeared on the release during the upload with other content "
                    f"({current.size:,} bytes, {current.digest})",
                    fix="another job uploads to this release at the same time; let one finish, "
                    "or set `overwrite: true`",
                )
        try:
            uploaded = self._post(file)
        except GithubException as exc:
            if exc.status == 422 and "already_exists" in json.dumps(exc.data):
                race = self._current(file.name)
                if race is not None and race.same_as(file):
                    self.log(f"{file.name}: uploaded meanwhile by another job, identical: skipped")
                    return race, "skipped"
                if race is None or race.broken or self.overwrite:
                    if race is not None:
                        self._delete(race)
                    raise TryAgain(file.name) from exc
                raise AssetConflictError(
                    f"{file.name} was uploaded meanwhile by another job with other content "
                    f"({race.size:,} bytes, {race.digest})",
                    fix="let the other job finish and compare, or set `overwrite: true`",
                ) from exc
            raise
        if uploaded.size != file.size or (
            uploaded.digest is not None and uploaded.digest.lower() != file.digest
        ):
            self._delete(uploaded)
            raise TryAgain(f"{file.name}: GitHub stored {uploaded.digest}, sent {file.digest}")
        return uploaded, taken(item.action)

    def _one(self, item: PlannedAsset) -> AssetResult:
        started = time.monotonic()
        first = True

        def attempt() -> tuple[RemoteAsset, TakenAction]:
            nonlocal first
            was_first, first = first, False
            with self.limit.slot():
                try:
                    done = self._attempt(item, first=was_first)
                except Exception as exc:
                    if is_distress(exc):
                        self.limit.struggled()
                    raise
            self.limit.succeeded()
            return done

        asset, action = self.policy.call(attempt, what=f"uploading {item.file.name}")
        seconds = time.monotonic() - started
        if action != "skipped":
            self.log(f"{action} {asset.name} ({asset.size:,} bytes, {seconds:.1f} s)")
        return AssetResult(asset.name, asset.size, asset.digest, asset.state, asset.url, action)

    def execute(self, plan: Plan) -> list[AssetResult]:
        """Carry out ``plan``; results in plan order. Re-running after a failure converges."""

        results: dict[int, AssetResult] = {}
        for index, item in enumerate(plan.items):
            if item.action == "skip" and item.existing is not None:
                e = item.existing
                results[index] = AssetResult(e.name, e.size, e.digest, e.state, e.url, "skipped")
        todo = sorted(
            (i for i, item in enumerate(plan.items) if i not in results),
            key=lambda i: -plan.items[i].file.size,
        )
        failures: list[tuple[PlannedAsset, BaseException]] = []
        if todo:
            with (
                self._closing(),
                ThreadPoolExecutor(
                    max_workers=min(self.concurrency, len(todo)), thread_name_prefix="upload"
                ) as pool,
            ):
                futures: dict[Future[AssetResult], int] = {
                    pool.submit(self._one, plan.items[i]): i for i in todo
                }
                done, _ = wait(futures, return_when=FIRST_EXCEPTION)
                if any(f.exception() for f in done):
                    self.policy.stop.set()
                    for future in futures:
                        future.cancel()
                for future, index in futures.items():
                    if future.cancelled():
                        continue
                    error = future.exception()
                    if error is None:
                        results[index] = future.result()
                    else:
                        failures.append((plan.items[index], error))
        if failures:
            item, error = next(
                (
                    (i, e)
                    for i, e in failures
                    if not isinstance(e, UploadError) or "stopped" not in str(e)
                ),
                failures[0],
            )
            done_count = sum(1 for r in results.values() if r.action != "skipped")
            progress = f" ({done_count} file(s) uploaded before it stopped; a re-run skips them)"
            if isinstance(error, ReleaseActionsError):
                error.message += progress
                raise error
            if isinstance(error, RateLimited):
                raise UploadError(
                    f"GitHub asks to wait {error.seconds:.0f} s (rate limit) before uploading "
                    f"{item.file.name}{progress}",
                    fix="re-run the job later; finished files are skipped",
                ) from error
            refused = self._refusal(error, item.file.name, progress)
            if refused is not None:
                raise refused from error
            if isinstance(error, GithubException) and error.status in {401, 403, 404}:
                denied = api_error(error, f"uploading {item.file.name}")
                denied.message += progress
                raise denied from error
            if isinstance(error, GithubException):
                data = error.data if isinstance(error.data, dict) else {}
                message = data.get("message") or error.message
                raise UploadError(
                    f"uploading {item.file.name} failed after {self.policy.attempts} attempt(s): GitHub "
                    f"answered {error.status}: {message}{progress}",
                    fix="re-run the job (it converges); if it persists check https://www.githubstatus.com",
                ) from error
            raise UploadError(
                f"uploading {item.file.name} failed after {self.policy.attempts} attempt(s): "
                f"{type(error).__name__}: {error}{progress}",
                fix="re-run the job (it converges); check the runner's network",
            ) from error
        return [results[i] for i in range(len(plan.items))]

    @staticmethod
    def _refusal(error: BaseException, name: str, progress: str) -> ReleaseActionsError | None:
        """GitHub's refusals that no retry changes, said in its own words."""
        if not isinstance(error, GithubException) or error.status != 422:
            return None
        said = "; ".join(error_messages(error))
        if "immutable release" in said:
            return ReleaseStateError(
                f"uploading {name} failed: the release is immutable (published with release "
                f"immutability on) and GitHub answered: {said}{progress}",
                fix="immutable releases cannot change; publish the files in a new release "
                "(a post-release such as 1.2.3.post1)",
            )
        if "file_count" in said or "size must be" in said:
            return UploadError(
                f"uploading {name} failed: GitHub answered: {said}{progress}",
                fix="GitHub allows 1,000 assets per release, each under 2 GiB: attach fewer "
                "or smaller files",
            )
        return None

    @contextlib.contextmanager
    def _closing(self) -> Iterator[None]:
        try:
            yield
        finally:
            self.close()
