"""A real pypiserver (the PyPI package) on a loopback port, with an htpasswd of API tokens.

Example::

    with PypiServer(tmp_path / "packages", token="pypi-test-token") as index:
        index.url           # 'http://127.0.0.1:<port>/': the upload URL (its root)
        index.simple_url    # 'http://127.0.0.1:<port>/simple/'
        index.stored()      # {'demo-1.0-py3-none-any.whl': <sha256>, …}

This is pypiserver's own WSGI application (``pypiserver.app``), not a model of it, served
from a thread: uploads (``POST /``, ``:action=file_upload``) need HTTP basic credentials
``__token__`` / ``token`` (``-a update`` with ``-P htpasswd``); reads are open;
``--disable-fallback`` (unknown projects are 404, never a redirect to pypi.org); no
``--overwrite``. Its Simple API is PEP 503 HTML with ``#sha256=`` fragments only.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path
from typing import Self

import pypiserver  # type: ignore[import-untyped]
from passlib.apache import HtpasswdFile  # type: ignore[import-untyped]

from release_actions_dev.standins._server import Lifecycle, LoopbackServer

__all__ = ["PypiServer"]

USERNAME = "__token__"


class PypiServer(Lifecycle):
    """pypiserver serving ``directory`` on 127.0.0.1."""

    def __init__(self, directory: Path, *, token: str | None = None) -> None:
        """``token``: the password of ``__token__`` that may upload; None: uploads are open."""
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.token = token
        self._private = Path(tempfile.mkdtemp(prefix="pypiserver-"))
        htpasswd = self._private / "htpasswd"
        if token is not None:
            passwords = HtpasswdFile(str(htpasswd), new=True)
            passwords.set_password(USERNAME, token)
            passwords.save()
        app = pypiserver.app(
            roots=[str(self.directory)],
            authenticate=["update"] if token is not None else [],
            password_file=str(htpasswd) if token is not None else ".",
            disable_fallback=True,
            overwrite=False,
        )
        self._server = LoopbackServer(app)

    def start(self) -> Self:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()
        shutil.rmtree(self._private, ignore_errors=True)

    @property
    def origin(self) -> str:
        return self._server.url

    @property
    def url(self) -> str:
        """The upload URL: pypiserver takes uploads at its root."""
        return self._server.url + "/"

    @property
    def simple_url(self) -> str:
        return self._server.url + "/simple/"

    def stored(self) -> dict[str, str]:
        """File name → sha256 of every file pypiserver has stored."""
        return {
            path.name: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(self.directory.iterdir())
            if path.is_file()
        }
