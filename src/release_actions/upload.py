"""The upload engine shared by draft-release and add-wheels-to-release.

Example::

    files = local_files([Path("dist/pkg-1.0-py3-none-any.whl")])
    plan = plan_uploads(files, existing=assets_of(release), overwrite=False)  # may raise
    results = Uploader(
        token="ghs_…", api_url="https://api.github.com",
        release_url=release.url, upload_url=release.upload_url, concurrency=4,
    ).execute(plan)
    print([(r.name, r.action) for r in results])

What it guarantees:

* **Plan first.** Every file is hashed and compared with the release's assets by the
  name GitHub will store (``stored_asset_name``), size and sha256 ``digest`` before any
  request that changes anything: identical → skip; different → :class:`AssetConflictError`
  for *all* conflicts at once unless ``overwrite`` (then delete + upload); a ``starter`` or
  empty leftover of a broken upload → delete + upload. Files of 0 bytes or ≥ 2 GiB and two
  files that GitHub would store under one name are refused before any request.
* **Streaming.** Bodies are file objects handed to PyGithub's
  ``Requester.requestMemoryBlobAndCheck`` (what ``GitRelease.upload_asset_from_memory``
  calls): requests/urllib3 send them in 16 KiB blocks, so memory stays flat whatever the
  size. (``GitRelease.upload_asset(path)`` streams too, but cannot take our retries, name
  encoding and per-thread connections.) ``?name=`` is form-encoded, so ``+`` goes as ``%2B``.
* **Concurrency.** A thread pool of ``concurrency`` workers, largest files first; each
  worker has its own PyGithub client, because a ``Requester`` keeps the request being
  sent on its shared connection object and is not safe across threads.
* **Retries** (stamina: exponential backoff with jitter) on 5xx, connection resets and
  timeouts, and 403/429 secondary rate limits. A rate limit pauses *every* worker until
  ``Retry-After`` (60 s without one, GitHub's advice), then writes are paced at 80 per
  minute for the rest of the run: fast while GitHub lets us, within its documented budget
  once it says no. Before retrying an upload the engine re-lists the assets: a leftover
  ``starter`` is deleted; an asset that arrived complete with our digest counts as done
  (the response was lost, not the upload).
* **Races.** A 422 ``already_exists`` (another job uploaded the name meanwhile) re-lists:
  same digest → skipped; a leftover → deleted and retried; other content → conflict,
  unless ``overwrite``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from release_actions.assetnames import stored_asset_name
from release_actions.errors import AssetConflictError, ReleaseActionsError, UploadError

if TYPE_CHECKING:
    from github import Github
    from github.GitRelease import GitRelease
    from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass

    from release_actions.releases import GitHubTarget

#: Parallel uploads the steps allow (more only trips GitHub's secondary rate limits).
MAX_CONCURRENCY = 16


def check_concurrency(concurrency: int) -> None:
    """The bound every uploading step's ``concurrency`` input declares, for direct callers too."""
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise UploadError(
            f"concurrency {concurrency} is outside 1-{MAX_CONCURRENCY}",
            fix=f"choose 1-{MAX_CONCURRENCY}",
        )


#: GitHub refuses assets of 2 GiB or more.
MAX_ASSET_BYTES = 2 * 1024**3
#: Pace of writes once GitHub has answered with a secondary rate limit (80 per minute).
PACED_WRITE_INTERVAL = 60 / 80
#: Wait when a rate-limit answer carries no ``Retry-After`` (GitHub: "at least one minute").
DEFAULT_RATE_LIMIT_WAIT = 60.0
#: Longer waits than this fail the step instead (re-run later; it converges).
MAX_RATE_LIMIT_WAIT = 900.0
#: Attempts per file (first try included), and the exponential backoff between them.
ATTEMPTS = 6
WAIT_INITIAL = 0.5
WAIT_MAX = 30.0
WAIT_JITTER = 0.5
#: Seconds without progress before an upload request fails (and is retried).
UPLOAD_TIMEOUT = 300
HASH_CHUNK = 1024 * 1024

PlannedAction = Literal["upload", "skip", "replace", "repair"]
#: What happened to each file: ``repaired`` = a broken upload's leftover was replaced.
TakenAction = Literal[
    "uploaded",
    "skipped",
    "replaced",
    "repaired",
    "would-upload",
    "would-replace",
    "would-repair",
]
_TAKEN: dict[PlannedAction, TakenAction] = {
    "upload": "uploaded",
    "skip": "skipped",
    "replace": "replaced",
    "repair": "repaired",
}
_DRY: dict[PlannedAction, TakenAction] = {
    "upload": "would-upload",
    "skip": "skipped",
    "replace": "would-replace",
    "repair": "would-repair",
}


@dataclass(frozen=True)
class LocalFile:
    """A file to upload: its path, the name GitHub will store, size and sha256."""

    path: Path
    name: str
    size: int
    sha256: str

    @property
    def digest(self) -> str:
        return f"sha256:{self.sha256}"


@dataclass(frozen=True)
class RemoteAsset:
    """A release asset as GitHub describes it."""

    id: int
    name: str
    size: int
    digest: str | None
    state: str
    url: str
    api_url: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RemoteAsset:
        return cls(
            id=int(data["id"]),
            name=str(data["name"]),
            size=int(data.get("size") or 0),
            digest=data.get("digest"),
            state=str(data.get("state") or "uploaded"),
            url=str(data.get("browser_download_url") or ""),
            api_url=str(data.get("url") or ""),
        )

    @property
    def broken(self) -> bool:
        """A leftover of an interrupted upload."""
        return self.state != "uploaded" or self.size == 0

    def same_as(self, file: LocalFile) -> bool:
        return (
            not self.broken
            and self.size == file.size
            and self.digest is not None
            and self.digest.lower() == file.digest
        )


@dataclass(frozen=True)
class PlannedAsset:
    file: LocalFile
    action: PlannedAction
    existing: RemoteAsset | None = None
    #: Why, when it is not the action's usual reason.
    note: str = ""


@dataclass(frozen=True)
class Plan:
    """What to do with each file, in the order given."""

    items: tuple[PlannedAsset, ...]

    def count(self, *actions: PlannedAction) -> int:
        return sum(1 for item in self.items if item.action in actions)

    @property
    def writes(self) -> int:
        """Files needing an upload (and maybe a delete first)."""
        return self.count("upload", "replace", "repair")

    def describe(self) -> list[str]:
        lines = []
        for item in self.items:
            why = (
                item.note
                or {
                    "upload": "new",
                    "skip": "identical asset already there",
                    "replace": "differs from the asset there; overwrite",
                    "repair": "leftover of a broken upload",
                }[item.action]
            )
            lines.append(f"{item.action:<8} {item.file.name} ({item.file.size:,} bytes): {why}")
        return lines


@dataclass(frozen=True)
class AssetResult:
    """One file's outcome (the ``assets`` output's items)."""

    name: str
    size: int
    digest: str | None
    state: str
    url: str
    action: TakenAction

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "size": self.size,
            "digest": self.digest,
            "state": self.state,
            "url": self.url,
            "action": self.action,
        }


def assets_json(results: Sequence[AssetResult]) -> str:
    return json.dumps([r.to_json() for r in results], separators=(",", ":"))


# -- planning (no requests) -----------------------------------------------------------------
def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def local_files(paths: Sequence[Path]) -> list[LocalFile]:
    """Size-check and hash every file, and predict its stored name; refuse collisions."""
    files: list[LocalFile] = []
    by_name: dict[str, Path] = {}
    for path in paths:
        size = path.stat().st_size
        if size == 0:
            raise UploadError(
                f"{path} is empty (0 bytes); GitHub keeps empty uploads as broken assets",
                fix="build the file again, or leave it out of `files`",
                file=str(path),
            )
        if size >= MAX_ASSET_BYTES:
            raise UploadError(
                f"{path} is {size:,} bytes; GitHub refuses release assets of 2 GiB or more",
                fix="split the file, or publish it elsewhere and link to it in the notes",
                file=str(path),
            )
        name = stored_asset_name(path.name)
        if name in by_name:
            raise UploadError(
                f"{by_name[name]} and {path} would both be stored as {name!r} on GitHub",
                fix="rename one of them (GitHub turns characters other than letters, digits, "
                "'.', '-', '_' and '+' into '.')",
            )
        by_name[name] = path
        files.append(LocalFile(path, name, size, sha256_of(path)))
    from release_actions.distcheck import require_intact  # noqa: PLC0415

    require_intact(paths, action="upload")
    return files


#: Signature files named after the one file they sign.
_SIGNATURE_SUFFIXES = (".sigstore.json", ".sigstore", ".publish.attestation")


def _signs_identical(file: LocalFile, identical: set[str], uploading: set[str]) -> str | None:
    """Why a differing signature asset may stay: it signs a file the release holds unchanged.

    Signing is not reproducible (new certificate, new log entry), so a re-run produces new
    bytes for the same statement. When the signed file on the release is identical to ours,
    the release's signature already covers our file: keep it rather than conflict.
    """
    for suffix in _SIGNATURE_SUFFIXES:
        if file.name.endswith(suffix):
            subject = file.name.removesuffix(suffix)
            if subject in identical:
                return f"the release already holds a signature for the identical {subject}"
            return None
    if file.name.endswith(".intoto.jsonl"):
        dists = {n for n in uploading if n.endswith((".whl", ".tar.gz"))}
        if dists and dists <= identical:
            return "the release already holds provenance for these identical files"
    return None


def plan_uploads(
    files: Sequence[LocalFile], existing: Sequence[RemoteAsset], *, overwrite: bool
) -> Plan:
    """Compare files with the release's assets; raise on any conflict (all listed)."""
    by_name = {asset.name: asset for asset in existing}
    identical = {
        f.name for f in files if (a := by_name.get(f.name)) and not a.broken and a.same_as(f)
    }
    uploading = {f.name for f in files}
    items: list[PlannedAsset] = []
    conflicts: list[str] = []
    for file in files:
        asset = by_name.get(file.name)
        if asset is None:
            items.append(PlannedAsset(file, "upload"))
        elif asset.broken:
            items.append(PlannedAsset(file, "repair", asset))
        elif asset.same_as(file):
            items.append(PlannedAsset(file, "skip", asset))
        elif overwrite:
            items.append(PlannedAsset(file, "replace", asset))
        elif keep := _signs_identical(file, identical, uploading):
            items.append(PlannedAsset(file, "skip", asset, note=keep))
        else:
            if asset.digest is None:
                why = f"{asset.size:,} bytes, no digest recorded (uploaded before GitHub kept digests)"
            else:
                why = f"{asset.size:,} bytes, {asset.digest}"
            conflicts.append(
                f"{file.name}: the release has {why}; the local file is "
                f"{file.size:,} bytes, {file.digest}"
            )
    if conflicts:
        raise AssetConflictError(
            f"{len(conflicts)} file(s) differ from assets of the same name already on the "
            f"release: {'; '.join(conflicts)}",
            fix="if the local files are right, set `overwrite: true`; otherwise rebuild from the "
            "tagged commit (a reproducible build gives the same bytes)",
        )
    return Plan(tuple(items))


def assets_of(release: GitRelease) -> list[RemoteAsset]:
    """Every asset of ``release`` (all pages)."""
    return [RemoteAsset.from_json(asset.raw_data) for asset in release.get_assets()]


def dry_run_results(plan: Plan) -> list[AssetResult]:
    return [
        AssetResult(
            name=item.file.name,
            size=item.file.size,
            digest=item.file.digest
            if item.action != "skip"
            else item.existing.digest
            if item.existing
            else None,
            state=item.existing.state if item.action == "skip" and item.existing else "",
            url=item.existing.url if item.action == "skip" and item.existing else "",
            action=_DRY[item.action],
        )
        for item in plan.items
    ]


# -- pacing ---------------------------------------------------------------------------------
class WriteGate:
    """Shared by all workers: pauses after a rate limit, then paces writes."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
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
        """Block until this worker may start a write."""
        with self._lock:
            now = self._clock()
            start = max(now, self._resume_at, self._next_slot)
            self._next_slot = start + self.interval
        if start > now:
            time.sleep(start - now)


def rate_limit_wait(status: int, headers: dict[str, Any], message: str) -> float | None:
    """Seconds to wait for a 403/429 rate-limit answer, or None if it is not one."""
    lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    retry_after = lowered.get("retry-after")
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            return DEFAULT_RATE_LIMIT_WAIT
    if lowered.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in lowered:
        with contextlib.suppress(ValueError):
            return max(1.0, float(lowered["x-ratelimit-reset"]) - time.time() + 1)
    text = message.lower()
    if status == 429 or "rate limit" in text:
        return DEFAULT_RATE_LIMIT_WAIT
    return None


# -- execution ------------------------------------------------------------------------------
class _TryAgain(Exception):
    """Internal: state was repaired; try the upload again at once."""


class _RateLimited(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


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
        )

    def __init__(
        self,
        *,
        token: str,
        api_url: str,
        release_url: str,
        upload_url: str,
        concurrency: int = 4,
        overwrite: bool = False,
        log: Callable[[str], None] = lambda _: None,
        client_factory: Callable[[], Github] | None = None,
    ) -> None:
        from release_actions.releases import github_client  # noqa: PLC0415

        self.api_url = api_url.rstrip("/")
        self.release_url = release_url
        self.upload_url = upload_url.split("{", 1)[0]
        self.concurrency = max(1, concurrency)
        self.overwrite = overwrite
        self.log = log
        self.gate = WriteGate()
        self._factory = client_factory or (
            lambda: github_client(token, api_url=api_url, paced=False, timeout=UPLOAD_TIMEOUT)
        )
        self._local = threading.local()
        self._workers: list[_Worker] = []
        self._workers_lock = threading.Lock()
        self._stop = threading.Event()

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
        from github.Requester import (  # noqa: PLC0415
            HTTPRequestsConnectionClass,
            HTTPSRequestsConnectionClass,
        )

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
        from github.GitReleaseAsset import GitReleaseAsset  # noqa: PLC0415
        from github.PaginatedList import PaginatedList  # noqa: PLC0415

        requester = self._worker().client.requester
        for asset in PaginatedList(GitReleaseAsset, requester, f"{self.release_url}/assets", None):
            if asset.name == name:
                return RemoteAsset.from_json(asset.raw_data)
        return None

    def _delete(self, asset: RemoteAsset) -> None:
        from github.GithubException import GithubException  # noqa: PLC0415

        self.gate.acquire()
        try:
            self._worker().client.requester.requestJsonAndCheck("DELETE", asset.api_url)
        except GithubException as exc:
            if exc.status != 404:  # already gone: fine
                raise
        self.log(f"deleted asset {asset.name} (id {asset.id}, {asset.state}, {asset.size:,} bytes)")

    def _post(self, file: LocalFile) -> RemoteAsset:
        requester = self._worker().client.requester
        self.gate.acquire()
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
        from github.GithubException import GithubException  # noqa: PLC0415

        if self._stop.is_set():
            raise UploadError("stopped: another file failed")
        file = item.file
        current = item.existing if first else self._current(file.name)
        if current is not None:
            if current.same_as(file):
                # Identical: planned so, or our earlier attempt arrived but its answer did not.
                return current, ("skipped" if item.action == "skip" else _TAKEN[item.action])
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
                    raise _TryAgain(file.name) from exc
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
            raise _TryAgain(f"{file.name}: GitHub stored {uploaded.digest}, sent {file.digest}")
        return uploaded, _TAKEN[item.action]

    def _retry_on(self, exc: Exception) -> bool | float:
        """stamina's hook: whether (and after how long) to try again."""
        import requests  # noqa: PLC0415
        from github.GithubException import GithubException  # noqa: PLC0415

        if isinstance(exc, ReleaseActionsError) or self._stop.is_set():
            return False
        if isinstance(exc, _TryAgain):
            return 0.0
        if isinstance(exc, requests.RequestException | ConnectionError | TimeoutError):
            return True
        if isinstance(exc, GithubException):
            if exc.status >= 500:
                return True
            if exc.status in {403, 429}:
                data = exc.data if isinstance(exc.data, dict) else {}
                wait_for = rate_limit_wait(
                    exc.status, dict(exc.headers or {}), str(data.get("message", ""))
                )
                if wait_for is None:
                    return False
                if wait_for > MAX_RATE_LIMIT_WAIT:
                    raise _RateLimited(wait_for) from exc
                self.log(f"GitHub rate limit: pausing writes for {wait_for:.0f} s")
                self.gate.pause(wait_for)
                return 0.0  # the gate holds every worker, this one included
        return False

    def _one(self, item: PlannedAsset) -> AssetResult:
        import stamina  # noqa: PLC0415

        started = time.monotonic()
        for attempt in stamina.retry_context(
            on=self._retry_on,
            attempts=ATTEMPTS,
            timeout=None,
            wait_initial=WAIT_INITIAL,
            wait_max=WAIT_MAX,
            wait_jitter=WAIT_JITTER,
        ):
            with attempt:
                if attempt.num > 1:
                    self.log(f"{item.file.name}: attempt {attempt.num} of {ATTEMPTS}")
                asset, action = self._attempt(item, first=attempt.num == 1)
        seconds = time.monotonic() - started
        if action != "skipped":
            self.log(f"{action} {asset.name} ({asset.size:,} bytes, {seconds:.1f} s)")
        return AssetResult(asset.name, asset.size, asset.digest, asset.state, asset.url, action)

    def execute(self, plan: Plan) -> list[AssetResult]:
        """Carry out ``plan``; results in plan order. Re-running after a failure converges."""
        from github.GithubException import GithubException  # noqa: PLC0415

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
                    self._stop.set()
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
            if isinstance(error, _RateLimited):
                raise UploadError(
                    f"GitHub asks to wait {error.seconds:.0f} s (rate limit) before uploading "
                    f"{item.file.name}{progress}",
                    fix="re-run the job later; finished files are skipped",
                ) from error
            if isinstance(error, GithubException) and error.status in {401, 403, 404}:
                from release_actions.releases import api_error  # noqa: PLC0415

                denied = api_error(error, f"uploading {item.file.name}")
                denied.message += progress
                raise denied from error
            if isinstance(error, GithubException):
                data = error.data if isinstance(error.data, dict) else {}
                message = data.get("message") or error.message
                raise UploadError(
                    f"uploading {item.file.name} failed after {ATTEMPTS} attempt(s): GitHub "
                    f"answered {error.status}: {message}{progress}",
                    fix="re-run the job (it converges); if it persists check https://www.githubstatus.com",
                ) from error
            raise UploadError(
                f"uploading {item.file.name} failed after {ATTEMPTS} attempt(s): "
                f"{type(error).__name__}: {error}{progress}",
                fix="re-run the job (it converges); check the runner's network",
            ) from error
        return [results[i] for i in range(len(plan.items))]

    @contextlib.contextmanager
    def _closing(self) -> Iterator[None]:
        try:
            yield
        finally:
            self.close()
