"""What to upload, decided against what the index holds, then uploaded file by file.

Example::

    with IndexReader(index_url) as reader:
        held = reader.files("demo")
        plan = plan_uploads(dists, held, skip_existing=True, attestations=folder)
        results = upload_planned(plan, repository_url=url, password=token, reader=reader)

The plan is made before the first upload and refuses, naming every file: a file name the
index holds with other bytes (an index never takes other bytes under a used name; PyPI
answers "File already exists"); with ``skip_existing=False``, any file it holds at all.
Files it holds byte for byte are skipped, so a re-run after success uploads nothing.

Uploading: an index that answers "exists" for a planned file is read again — the same
bytes (another job was quicker, or a cache was stale) count as skipped, other bytes are a
conflict. A transient failure (5xx, reset) is retried only after reading whether the
failed attempt stored the file after all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import requests

from release_actions.dists import DistFile
from release_actions.pypi.errors import FileConflictError, UploadRefusedError
from release_actions.pypi.index import IndexReader, ProjectFiles
from release_actions.pypi.retry import BACKOFF, describe, is_transient
from release_actions.pypi.upload import Outcome, upload_file
from release_actions.retrying import retrying as retry_loop

PlannedAction = Literal["upload", "skip"]
Done = Literal["uploaded", "skipped"]

NEW_VERSION = (
    "build a new version (bump it, tag again): an index never takes other bytes under a "
    "file name it has held (https://pypi.org/help/#file-name-reuse)"
)


@dataclass(frozen=True)
class PlannedFile:
    dist: DistFile
    action: PlannedAction
    #: The attestation that goes with the upload (None: uploaded without one).
    attestation: Path | None = None


@dataclass(frozen=True)
class UploadResult:
    dist: DistFile
    action: Done
    attestation: Path | None = None


def plan_uploads(
    dists: Sequence[DistFile],
    held: ProjectFiles,
    *,
    skip_existing: bool,
    attestations: Callable[[DistFile], Path | None] = lambda _: None,
) -> list[PlannedFile]:
    """Upload or skip for each dist; refuse conflicts before anything is uploaded."""
    conflicts = [d for d in dists if (f := held.get(d.filename)) and f.sha256 != d.sha256]
    if conflicts:
        listed = "; ".join(
            f"{d.filename} (index sha256 {held.files[d.filename].sha256[:16]}…, "
            f"local {d.sha256[:16]}…)"
            for d in conflicts
        )
        raise FileConflictError(
            f"{held.index_url} already holds {len(conflicts)} of these file name(s) with "
            f"other bytes: {listed}; nothing was uploaded",
            fix=NEW_VERSION,
            file=str(conflicts[0].path),
        )
    present = [d for d in dists if held.get(d.filename) is not None]
    if present and not skip_existing:
        raise FileConflictError(
            f"{held.index_url} already holds {', '.join(d.filename for d in present)} "
            "(the same bytes), and `skip-existing` is false; nothing was uploaded",
            fix="set `skip-existing: true` (the default) to accept files the index already "
            "holds byte for byte, e.g. when re-running a publish",
            file=str(present[0].path),
        )
    return [PlannedFile(d, "skip" if d in present else "upload", attestations(d)) for d in dists]


def upload_planned(
    plan: Sequence[PlannedFile],
    *,
    repository_url: str,
    password: str | Callable[[], str],
    reader: IndexReader,
    trusted: bool = False,
    log: Callable[[str], None] = lambda _: None,
) -> list[UploadResult]:
    """Upload every planned file in order; skipped ones are reported as skipped.

    ``password``: the token, or a callable giving the one to use now (short-lived tokens).
    """
    results: list[UploadResult] = []
    for item in plan:
        if item.action == "skip":
            log(f"{item.dist.filename}: already on the index (same sha256), skipped")
            results.append(UploadResult(item.dist, "skipped", item.attestation))
            continue
        done = _upload_one(
            item,
            repository_url=repository_url,
            password=password,
            reader=reader,
            trusted=trusted,
            log=log,
        )
        log(f"{item.dist.filename}: {done}")
        results.append(UploadResult(item.dist, done, item.attestation))
    return results


def _held_now(reader: IndexReader, dist: DistFile) -> str | None:
    found = reader.files(dist.project).get(dist.filename)
    return found.sha256 if found else None


def _upload_one(
    item: PlannedFile,
    *,
    repository_url: str,
    password: str | Callable[[], str],
    reader: IndexReader,
    trusted: bool,
    log: Callable[[str], None],
) -> Done:
    dist = item.dist
    first = True

    def attempt() -> Outcome:
        nonlocal first
        if not first and _held_now(reader, dist) == dist.sha256:
            return "uploaded"  # the failed attempt arrived after all
        first = False
        return upload_file(
            repository_url,
            dist.path,
            attestation=item.attestation,
            password=password() if callable(password) else password,
            log=log,
            trusted=trusted,
        )

    try:
        outcome = retry_loop(
            attempt, on=is_transient, backoff=BACKOFF, what=f"uploading {dist.filename}", log=log
        )
    except UploadRefusedError:
        raise
    except (requests.RequestException, OSError) as exc:
        raise UploadRefusedError(
            f"uploading {dist.filename} to {repository_url} kept failing ({describe(exc)})",
            fix="re-run the job: files already on the index are skipped, so it converges",
            file=str(dist.path),
        ) from exc
    except Exception as exc:
        if not is_transient(exc):
            raise
        raise UploadRefusedError(
            f"uploading {dist.filename} to {repository_url} kept failing ({describe(exc)})",
            fix="re-run the job: files already on the index are skipped, so it converges",
            file=str(dist.path),
        ) from exc
    if outcome == "uploaded":
        return "uploaded"
    held = _held_now(reader, dist)
    if held == dist.sha256:
        return "skipped"
    raise FileConflictError(
        f"the index says it already holds {dist.filename}"
        + (f" with other bytes (sha256 {held[:16]}…)" if held else "")
        + "; another upload got there between the check and this one",
        fix=NEW_VERSION,
        file=str(dist.path),
    )
