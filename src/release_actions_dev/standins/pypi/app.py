"""The WSGI application of the PyPI stand-in: PyPI's own endpoints in front of pypiserver.

Example::

    app = PyPIApp(backend="http://127.0.0.1:8081/", oidc=verifier, publishers=[publisher],
                  api_tokens={"pypi-abc": ("demo",)}, trusted_root=root)
    with LoopbackServer(app) as server:
        app.bind(server.url)
        # GET /_/oidc/audience, POST /_/oidc/mint-token, POST /legacy/, GET /simple/<p>/

What PyPI does and pypiserver does not is modelled here (each rule has its row in
FIDELITY.md); what is stored and listed is pypiserver's: accepted uploads are forwarded to
it, and the Simple API is read from it (served as PEP 691 JSON when the client asks for it,
as PyPI does; pypiserver speaks only PEP 503 HTML).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt
import requests
from packaging.utils import (
    InvalidWheelFilename,
    canonicalize_name,
    parse_wheel_filename,
)
from pypi_attestations import GitHubPublisher
from pypi_simple import ProjectPage
from sigstore.models import TrustedRoot
from sigstore.verify import Verifier
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from release_actions_dev.standins.pypi.publishers import (
    InvalidPublisher,
    InvalidToken,
    OidcVerifier,
    TrustedPublisher,
    find_publisher,
)
from release_actions_dev.standins.pypi.rules import (
    AttestationRefused,
    check_attestations,
    valid_platform_tag,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["PyPIApp"]

JSON_V1 = "application/vnd.pypi.simple.v1+json"
HTML_V1 = "application/vnd.pypi.simple.v1+html"
HELP = "https://pypi.org/help/"
#: Minted upload tokens live 15 minutes (warehouse/oidc/views.py: not_before + 900).
MINTED_LIFETIME = 900


@dataclass(frozen=True)
class Identity:
    """Who an upload request authenticated as."""

    projects: tuple[str, ...] | None  # None: every project of the account
    publisher: TrustedPublisher | None = None

    def may_upload(self, project: str) -> bool:
        if self.projects is None:
            return True
        return canonicalize_name(project) in {canonicalize_name(p) for p in self.projects}


def _json(data: object, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def _refuse(status: int, message: str) -> Response:
    # fidelity: pypi.error-in-status-line
    # Warehouse puts the message in the status line (forklift/utils.py _exc_with_message),
    # and the body carries it too.
    reason = message.replace("\n", " ")
    return Response(
        f"{status} {reason}\n\n{message}\n", status=f"{status} {reason}", mimetype="text/plain"
    )


def _token_failed(code: str, description: str) -> Response:
    # fidelity: pypi.oidc-errors
    return _json(
        {"message": "Token request failed", "errors": [{"code": code, "description": description}]},
        422,
    )


class PyPIApp:
    """PyPI's trusted publishing, upload checks and Simple API, backed by pypiserver."""

    def __init__(
        self,
        *,
        backend: str,
        oidc: OidcVerifier | None,
        publishers: Sequence[TrustedPublisher] = (),
        api_tokens: Mapping[str, tuple[str, ...] | None] | None = None,
        trusted_root: TrustedRoot | None = None,
        trusted_publishing: bool = True,
        minted_lifetime: int = MINTED_LIFETIME,
    ) -> None:
        self.minted_lifetime = minted_lifetime
        self.backend = backend if backend.endswith("/") else backend + "/"
        self.oidc = oidc
        self.publishers = list(publishers)
        self.api_tokens: dict[str, tuple[str, ...] | None] = dict(api_tokens or {})
        self.trusted_root = trusted_root
        self.trusted_publishing = trusted_publishing
        self.minted: dict[str, tuple[TrustedPublisher, float]] = {}
        self.used_jtis: set[str] = set()
        self.uploads: list[str] = []
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._base_url: str | None = None
        self._urls = Map(
            [
                Rule("/_/oidc/audience", endpoint="audience", methods=["GET"]),
                Rule("/_/oidc/mint-token", endpoint="mint", methods=["POST"]),
                Rule("/_/oidc/github/mint-token", endpoint="mint", methods=["POST"]),
                Rule("/legacy/", endpoint="upload", methods=["POST"]),
                Rule("/simple/", endpoint="simple_index", methods=["GET"]),
                Rule("/simple/<project>/", endpoint="simple_project", methods=["GET"]),
                Rule("/packages/<path:name>", endpoint="package", methods=["GET"]),
            ]
        )

    def bind(self, base_url: str) -> None:
        self._base_url = base_url

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("PyPIApp.bind() has not been called")
        return self._base_url

    @property
    def audience(self) -> str:
        return self.oidc.audience if self.oidc else "pypi"

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        with self._lock:
            self.requests.append(f"{request.method} {request.path}")
        try:
            endpoint, args = self._urls.bind_to_environ(environ).match()
            response = getattr(self, f"_on_{endpoint}")(request, **args)
        except NotFound:
            response = Response("404 Not Found", status=404, mimetype="text/plain")
        except MethodNotAllowed:
            response = Response("405 Method Not Allowed", status=405, mimetype="text/plain")
        result: Iterable[bytes] = response(environ, start_response)
        return result

    # Trusted publishing -------------------------------------------------------------------

    def _on_audience(self, request: Request) -> Response:
        # fidelity: pypi.oidc-audience
        if not self.trusted_publishing:
            return _json({"message": "Trusted publishing functionality not enabled"}, 403)
        return _json({"audience": self.audience})

    def _on_mint(self, request: Request) -> Response:
        # fidelity: pypi.oidc-mint-token
        try:
            body = json.loads(request.get_data())
        except ValueError:
            body = None
        if (
            not isinstance(body, dict)
            or set(body) != {"token"}
            or not isinstance(body["token"], str)
        ):
            return _token_failed(
                "invalid-payload", "1 validation error for TokenPayload\ntoken\n  Field required"
            )
        token = body["token"]
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
            issuer = unverified["iss"]
        except (jwt.PyJWTError, KeyError):
            return _token_failed("invalid-payload", "malformed JWT")
        if self.oidc is None or issuer != self.oidc.issuer:
            return _token_failed("invalid-payload", "unknown trusted publishing issuer")
        if not self.trusted_publishing:
            return _token_failed(
                "not-enabled", "GitHub trusted publishing functionality not enabled"
            )
        try:
            claims = self.oidc.verify(token)
        except InvalidToken:
            return _token_failed("invalid-token", "malformed or invalid token")
        try:
            publisher = find_publisher(self.publishers, claims)
        except InvalidPublisher as exc:
            return _token_failed(
                "invalid-publisher", f"valid token, but no corresponding publisher ({exc})"
            )
        jti = str(claims.get("jti") or "")
        with self._lock:
            # fidelity: pypi.oidc-reuse-token
            if jti and jti in self.used_jtis:
                return _token_failed("invalid-reuse-token", "invalid token: already used")
            self.used_jtis.add(jti)
            minted = "pypi-" + secrets.token_urlsafe(48)
            expires = int(time.time()) + self.minted_lifetime
            self.minted[minted] = (publisher, expires)
        return _json({"success": True, "token": minted, "expires": expires})

    # Uploads ------------------------------------------------------------------------------

    def _identity(self, request: Request) -> Identity | None:
        # fidelity: pypi.upload-auth
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(value).decode().partition(":")
        except (ValueError, binascii.Error):
            return None
        if user != "__token__":
            return None
        with self._lock:
            if password in self.api_tokens:
                return Identity(self.api_tokens[password])
            minted = self.minted.get(password)
        if minted is None or minted[1] < time.time():
            return None
        return Identity(minted[0].projects, minted[0])

    def _on_upload(self, request: Request) -> Response:
        identity = self._identity(request)
        if identity is None:
            return _refuse(
                403,
                f"Invalid or non-existent authentication information. See {HELP}#invalid-auth "
                "for more information.",
            )
        form = request.form
        content = request.files.get("content")
        if form.get(":action") != "file_upload" or content is None or not content.filename:
            return _refuse(400, "Upload payload does not have a file.")
        name, version, filename = form.get("name", ""), form.get("version", ""), content.filename
        project = canonicalize_name(name)
        if not identity.may_upload(project):
            # fidelity: pypi.upload-token-scope
            return _refuse(
                403,
                f"The given token isn't allowed to upload to project '{project}'. See "
                f"{HELP}#project-name for more information.",
            )
        data = content.read()
        sha256 = hashlib.sha256(data).hexdigest()
        blake2 = hashlib.blake2b(data, digest_size=32).hexdigest()
        # fidelity: pypi.upload-digest
        if (form.get("sha256_digest") or sha256) != sha256 or (
            form.get("blake2_256_digest") or blake2
        ) != blake2:
            return _refuse(
                400,
                "The digest supplied does not match a digest calculated from the uploaded file.",
            )
        held = self._held(project).get(filename)
        if held is not None:
            # fidelity: pypi.file-exists
            if held == sha256:
                return Response("OK", status=200)  # an identical re-upload changes nothing
            return _refuse(
                400,
                f"File already exists ({filename!r}, with blake2_256 hash {blake2!r}). See "
                f"{HELP}#file-name-reuse for more information.",
            )
        if filename.endswith(".whl"):
            try:
                _, _, _, tags = parse_wheel_filename(filename)
            except InvalidWheelFilename as exc:
                return _refuse(400, f"Invalid wheel filename (invalid version): {exc}")
            for tag in sorted(tags, key=str):
                if not valid_platform_tag(tag.platform):
                    return _refuse(
                        400,
                        f"Binary wheel '{filename}' has an unsupported platform tag "
                        f"'{tag.platform}'.",
                    )
        if "attestations" in form:
            refused = self._attestations_problem(form["attestations"], identity, filename, sha256)
            if refused is not None:
                return _refuse(400, f"Invalid attestations supplied during upload: {refused}")
        stored = requests.post(
            self.backend,
            data={":action": "file_upload", "name": name, "version": version},
            files={"content": (filename, data)},
            timeout=30,
        )
        if stored.status_code != 200:
            return _refuse(500, f"the stand-in's pypiserver answered {stored.status_code}")
        with self._lock:
            self.uploads.append(filename)
        return Response("OK", status=200)

    def _attestations_problem(
        self, raw: str, identity: Identity, filename: str, sha256: str
    ) -> str | None:
        publisher = identity.publisher
        if publisher is None:
            # fidelity: pypi.attestations-trusted-only
            return "Attestations are only supported when using Trusted Publishing"
        if self.trusted_root is None:
            return "the stand-in was started without a Sigstore trusted root"
        try:
            check_attestations(
                raw,
                filename=filename,
                sha256=sha256,
                publisher=GitHubPublisher(
                    repository=publisher.repository,
                    workflow=publisher.workflow,
                    environment=publisher.environment or None,
                ),
                verifier=Verifier(trusted_root=self.trusted_root),
            )
        except AttestationRefused as exc:
            return str(exc)
        return None

    # The Simple API -----------------------------------------------------------------------

    def _held(self, project: str) -> dict[str, str]:
        """File name → sha256 of what pypiserver holds for ``project``."""
        page = self._backend_page(project)
        return {p.filename: p.digests.get("sha256", "") for p in page.packages} if page else {}

    def _backend_page(self, project: str) -> ProjectPage | None:
        url = f"{self.backend}simple/{canonicalize_name(project)}/"
        response = requests.get(url, timeout=30)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return ProjectPage.from_html(project, response.text, base_url=url)

    def _on_simple_index(self, request: Request) -> Response:
        response = requests.get(f"{self.backend}simple/", timeout=30)
        return Response(response.content, status=response.status_code, mimetype="text/html")

    def _on_simple_project(self, request: Request, project: str) -> Response:
        # fidelity: pypi.simple-json
        normalized = canonicalize_name(project)
        if project != normalized:
            return Response(status=301, headers={"Location": f"/simple/{normalized}/"})
        chosen = request.accept_mimetypes.best_match(["text/html", HTML_V1, JSON_V1], "text/html")
        page = self._backend_page(normalized)
        if page is None:
            return Response("404 Not Found", status=404, mimetype="text/plain")
        listed = [
            (p.filename, f"{self.base_url}/packages/{p.filename}", p.digests.get("sha256", ""))
            for p in page.packages
        ]
        if chosen == JSON_V1:
            body: dict[str, Any] = {
                "meta": {"api-version": "1.1"},
                "name": normalized,
                "files": [
                    {"filename": name, "url": url, "hashes": {"sha256": digest}}
                    for name, url, digest in listed
                ],
            }
            return Response(json.dumps(body), content_type=JSON_V1)
        # fidelity: pypi.simple-html-hash
        links = "".join(
            f'    <a href="{url}#sha256={digest}">{name}</a><br />\n'
            for name, url, digest in listed
        )
        html = (
            '<!DOCTYPE html>\n<html>\n  <head>\n    <meta name="pypi:repository-version" '
            f'content="1.1">\n    <title>Links for {normalized}</title>\n  </head>\n  <body>\n'
            f"    <h1>Links for {normalized}</h1>\n{links}  </body>\n</html>\n"
        )
        return Response(html, content_type=HTML_V1 if chosen == HTML_V1 else "text/html")

    def _on_package(self, request: Request, name: str) -> Response:
        response = requests.get(f"{self.backend}packages/{name}", timeout=30)
        return Response(
            response.content, status=response.status_code, mimetype="application/octet-stream"
        )
