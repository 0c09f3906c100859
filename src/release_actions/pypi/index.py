"""What a package index already holds for a project, read through its Simple API.

Example::

    with IndexReader("https://pypi.org/simple/") as reader:
        held = reader.files("example-pkg")
    held.get("example_pkg-1.0-py3-none-any.whl")   # IndexedFile(…, sha256='…') or None

The project page is asked for as PEP 691 JSON first, PEP 503 HTML accepted (pypi-simple
parses both; the sha256 comes from JSON ``hashes`` or the HTML link's ``#sha256=``). A
project the index does not know (404) holds nothing. A listed file without a sha256 is
downloaded and hashed, so every comparison is by content. ``Cache-Control: max-age=0``
asks caches in front of the index (PyPI's CDN) for a fresh page, as pip does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

import requests
from pypi_simple import (
    ACCEPT_JSON_PREFERRED,
    NoSuchProjectError,
    PyPISimple,
    UnsupportedContentTypeError,
    UnsupportedRepoVersionError,
)

from release_actions.pypi.errors import IndexReadError
from release_actions.pypi.retry import REQUEST_TIMEOUT, TransientStatus, describe, retrying

USER_AGENT = "release-actions publish-pypi"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class IndexedFile:
    """One file of the project as the index lists it."""

    filename: str
    url: str
    sha256: str


@dataclass(frozen=True)
class ProjectFiles:
    """The project's files on the index, by file name (empty for an unknown project)."""

    index_url: str
    project: str
    files: Mapping[str, IndexedFile] = field(default_factory=dict)

    def get(self, filename: str) -> IndexedFile | None:
        return self.files.get(filename)


class IndexReader:
    """Reads project pages of one Simple API; a context manager owning its session."""

    def __init__(
        self,
        index_url: str,
        *,
        auth: tuple[str, str] | None = None,
        log: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.index_url = index_url if index_url.endswith("/") else index_url + "/"
        self._session = requests.Session()
        self._session.headers["User-Agent"] = USER_AGENT
        if auth is not None:
            self._session.auth = auth
        self._client = PyPISimple(
            self.index_url, session=self._session, accept=ACCEPT_JSON_PREFERRED
        )
        self._log = log

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    def files(self, project: str) -> ProjectFiles:
        """Every file the index lists for ``project``, each with its sha256."""
        url = self._client.get_project_url(project)

        def read() -> ProjectFiles:
            try:
                page = self._client.get_project_page(
                    project, timeout=REQUEST_TIMEOUT, headers={"Cache-Control": "max-age=0"}
                )
            except NoSuchProjectError:
                return ProjectFiles(self.index_url, project)
            found: dict[str, IndexedFile] = {}
            for package in page.packages:
                digest = package.digests.get("sha256") or self._download_sha256(package.url)
                found[package.filename] = IndexedFile(package.filename, package.url, digest)
            return ProjectFiles(self.index_url, project, found)

        try:
            return retrying(read, what=f"reading {url}", log=self._log)
        except (UnsupportedContentTypeError, UnsupportedRepoVersionError, ValueError) as exc:
            raise IndexReadError(
                f"{url} is not a Simple API project page (PEP 503/691): {exc}",
                fix="set `index-url` to the index's Simple API root (for PyPI "
                "https://pypi.org/simple/), not its upload URL or web page",
            ) from exc
        except requests.RequestException as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in (401, 403):
                raise IndexReadError(
                    f"{url} refused to list the project (HTTP {status})",
                    fix="a private index that needs credentials to read must be on the same "
                    "host as `repository-url` (the token is sent to it then), or set "
                    "`index-url` to a readable mirror of it",
                ) from exc
            raise IndexReadError(
                f"could not read what {url} holds ({describe(exc)}); nothing was uploaded",
                fix="re-run the job; if it persists, check the index's status page and `index-url`",
            ) from exc

    def _download_sha256(self, url: str) -> str:
        """The sha256 of a listed file whose link carries none (streamed)."""
        digest = hashlib.sha256()
        with self._session.get(url, stream=True, timeout=REQUEST_TIMEOUT) as response:
            if response.status_code >= 500 or response.status_code == 429:
                raise TransientStatus(response.status_code, url)
            response.raise_for_status()
            for chunk in response.iter_content(_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()
