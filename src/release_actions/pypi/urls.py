"""Where a package index takes uploads, where it lists files, and where it mints tokens.

Example::

    repository = RepositoryUrl.parse("https://upload.pypi.org/legacy/")
    repository.default_index_url()   # 'https://pypi.org/simple/'
    repository.oidc_base             # 'https://upload.pypi.org'
    repository.project_page("demo", "1.0")  # 'https://pypi.org/project/demo/1.0/'

PyPI's upload API lives at ``https://upload.pypi.org/legacy/`` and its Simple API at
``https://pypi.org/simple/``; TestPyPI uses ``https://test.pypi.org/legacy/`` and
``https://test.pypi.org/simple/`` (docs.pypi.org/api/upload/, /api/index-api/). Any other
index: a trailing ``legacy/`` becomes ``simple/``, otherwise ``simple/`` is appended. The
trusted-publishing endpoints ``/_/oidc/audience`` and ``/_/oidc/mint-token`` are at the root
of the upload URL's host (as twine and pypa/gh-action-pypi-publish find them).

Credentials never travel in a URL, and never over plain HTTP except to this machine
(127.0.0.0/8, ``::1``, ``localhost``): an upload token sent in clear text is a leaked token.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from release_actions.errors import InputError

PYPI_UPLOAD_URL = "https://upload.pypi.org/legacy/"
TESTPYPI_UPLOAD_URL = "https://test.pypi.org/legacy/"

#: Upload host → (Simple API, project pages) of the two public indexes.
_KNOWN = {
    "upload.pypi.org": ("https://pypi.org/simple/", "https://pypi.org/project/"),
    "test.pypi.org": ("https://test.pypi.org/simple/", "https://test.pypi.org/project/"),
}


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, input_name: str) -> str:
    """``url`` when it is an http(s) URL without credentials, and https unless loopback."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(
            f"`{input_name}` is {url!r}, which is not an http(s) URL",
            fix=f"set `{input_name}` to the index's URL, e.g. {PYPI_UPLOAD_URL}",
        )
    if parts.username or parts.password:
        raise InputError(
            f"`{input_name}` carries credentials in the URL",
            fix="remove them from the URL and pass the API token in `token` (a secret)",
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise InputError(
            f"`{input_name}` {url!r} is plain HTTP: the upload token would travel in clear text",
            fix="use the index's https:// URL (only this machine's own addresses may use "
            "http://, for local test indexes)",
        )
    return url


@dataclass(frozen=True)
class RepositoryUrl:
    """An index's upload URL (the legacy upload API) and what follows from it."""

    url: str

    @classmethod
    def parse(cls, text: str, *, input_name: str = "repository-url") -> RepositoryUrl:
        url = text.strip() or PYPI_UPLOAD_URL
        return cls(check_url(url, input_name=input_name))

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def oidc_base(self) -> str:
        """``scheme://host[:port]``, where ``/_/oidc/…`` is served."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def is_public_pypi(self) -> bool:
        """PyPI or TestPyPI (where attestations and project pages are known)."""
        return self.host in _KNOWN

    def default_index_url(self) -> str:
        known = _KNOWN.get(self.host)
        if known is not None:
            return known[0]
        base = self.url if self.url.endswith("/") else self.url + "/"
        if base.endswith("/legacy/"):
            return base.removesuffix("legacy/") + "simple/"
        return base + "simple/"

    def index_url(self, given: str | None) -> str:
        """The ``index-url`` input, checked, else the default for this repository."""
        if given:
            url = check_url(given, input_name="index-url")
            return url if url.endswith("/") else url + "/"
        return self.default_index_url()

    def project_page(self, project: str, version: str) -> str | None:
        """The release's web page on PyPI or TestPyPI; None for other indexes."""
        known = _KNOWN.get(self.host)
        return f"{known[1]}{project}/{version}/" if known else None

    def same_host(self, other_url: str) -> bool:
        """Whether ``other_url`` is served by this URL's scheme, host and port."""
        parts = urlsplit(other_url)
        return f"{parts.scheme}://{parts.netloc}" == self.oidc_base
