"""One dist (and its attestation) uploaded with twine's library, its output kept in our log.

Example::

    outcome = upload_file(
        "https://upload.pypi.org/legacy/",
        Path("dist/demo-1.0-py3-none-any.whl"),
        attestation=Path("signatures/demo-1.0-py3-none-any.whl.publish.attestation"),
        password=token,
        log=runner.info,
    )
    outcome   # 'uploaded', or 'exists' when the index says it already has that file name

twine is driven as its CLI drives it — ``Settings`` then ``upload(settings, files)`` — with
the credentials given explicitly (so neither ``.pypirc`` nor a keyring is consulted),
non-interactive, no progress bar. twine attaches an attestation only when the attestation's
path is in the list it is given, next to its dist; it sends it as the ``attestations`` form
field (a JSON list). twine prints to stdout (rich) and logs to the ``twine`` logger: both are
captured and handed to ``log`` line by line. Its failures become :class:`UploadRefusedError`
with the fix; an index that says the file exists (PyPI: 400 "File already exists",
pypiserver: 409, or 400 to twine) is reported as ``"exists"`` for the caller to look up.
"""

from __future__ import annotations

import contextlib
import html
import io
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import requests
from twine import exceptions as twine_errors
from twine.commands.upload import upload as twine_upload
from twine.settings import Settings

from release_actions.pypi.errors import UploadRefusedError
from release_actions.pypi.retry import TransientStatus

Outcome = Literal["uploaded", "exists"]
USERNAME = "__token__"
_TAGS = re.compile(r"<[^>]+>")
#: twine's advice about its own command line, which does not apply here.
_CLI_ADVICE = ("Only PyPI and TestPyPI support attestations", "Error during upload. Retry with")
_SPACE = re.compile(r"\s+")


class _LogHandler(logging.Handler):
    def __init__(self, log: Callable[[str], None]) -> None:
        super().__init__(logging.INFO)
        self._log = log

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not message.startswith(_CLI_ADVICE):
            self._log(f"twine: {message}")


@contextlib.contextmanager
def _captured(log: Callable[[str], None]) -> Iterator[None]:
    """twine's printed lines and log records, sent to ``log``."""
    logger = logging.getLogger("twine")
    handler = _LogHandler(log)
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
        for line in printed.getvalue().splitlines():
            if line.strip():
                log(f"twine: {line.rstrip()}")


def response_text(response: requests.Response) -> str:
    """What the index said: the status line's reason (PyPI puts its message there) and the
    body without markup, shortened."""
    reason = response.reason or ""
    body = _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", response.text or ""))).strip()
    text = (f"{reason}: {body}" if reason else body) if body and body not in reason else reason
    return text[:400]


def says_exists(response: requests.Response) -> bool:
    """The index's way of saying it has this file name (as twine's skip-existing reads it)."""
    text = f"{response.reason} {response.text}".lower()
    return response.status_code == 409 or (response.status_code == 400 and "already exist" in text)


def upload_file(
    repository_url: str,
    dist: Path,
    *,
    attestation: Path | None,
    password: str,
    log: Callable[[str], None] = lambda _: None,
    trusted: bool = False,
) -> Outcome:
    """Upload ``dist`` (with ``attestation``); transient failures raise for the caller."""
    settings = Settings(
        repository_url=repository_url,
        username=USERNAME,
        password=password,
        non_interactive=True,
        disable_progress_bar=True,
        attestations=attestation is not None,
        skip_existing=False,
        verbose=False,
    )
    files = [str(dist), *([str(attestation)] if attestation is not None else [])]
    try:
        with _captured(log):
            twine_upload(settings, files)
    except requests.HTTPError as exc:
        response = exc.response
        if response is None:  # pragma: no cover - twine always has one
            raise
        if says_exists(response):
            return "exists"
        if response.status_code >= 500 or response.status_code == 429:
            raise TransientStatus(response.status_code, repository_url) from exc
        raise _refused(response, dist, trusted=trusted) from exc
    except twine_errors.TwineException as exc:
        raise UploadRefusedError(
            f"twine refused to upload {dist.name}: {exc}",
            fix="see the message; the dists must be as the build wrote them",
            file=str(dist),
        ) from exc
    return "uploaded"


def _refused(response: requests.Response, dist: Path, *, trusted: bool) -> UploadRefusedError:
    status, said = response.status_code, response_text(response)
    message = f"the index refused {dist.name} with HTTP {status} ({said})"
    if status in (401, 403):
        if trusted:
            fix = (
                "the minted token does not cover this project: the trusted publisher must be "
                "registered on this very project (Manage project → Publishing)"
            )
        else:
            fix = (
                "check the API token in `token`: it must be a current token of this index, "
                "scoped to this project (or the whole account for a new project), passed as "
                "a secret (`${{ secrets.PYPI_API_TOKEN }}`)"
            )
        return UploadRefusedError(message, fix=fix, file=str(dist))
    if "attestation" in said.lower():
        fix = (
            "sign the dists in the job's own workflow (the trusted publisher's) and upload "
            "them unchanged; or set `attestations: false`"
        )
    elif "platform tag" in said.lower():
        fix = "build manylinux/musllinux wheels (cibuildwheel, auditwheel) and leave this one out"
    else:
        fix = "read the index's message; a re-run uploads only what is still missing"
    return UploadRefusedError(message, fix=fix, file=str(dist))
