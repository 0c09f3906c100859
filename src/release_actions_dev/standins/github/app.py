"""The GitHub stand-in's WSGI application: routing, auth, faults, validation, recording.

Example::

    from pathlib import Path
    from release_actions_dev.standins._server import LoopbackServer
    from release_actions_dev.standins.github.app import StandinApp
    from release_actions_dev.standins.github.state import RepoState

    state = RepoState(owner="o", repo="r", default_branch="main", storage=Path("/tmp/x"))
    app = StandinApp(state=state, tokens={"t0ken": "write"})
    with LoopbackServer(app.api_server) as api, LoopbackServer(app.uploads_server) as up:
        app.set_origins(api=api.url, uploads=up.url)
        ...  # Github(base_url=app.api_url, auth=Auth.Token("t0ken"))

Most users want ``release_actions_dev.standins.github.GitHubStandin``, which wires this up.

One application answers on two servers, like GitHub: the API (``api_url``: the API
origin plus ``/api/v3`` in the GitHub Enterprise Server layout) and the uploads host
(``uploads_url``: its own origin on github.com, ``/api/uploads`` on GHES). The API's
origin also serves the "web" downloads (``browser_download_url`` and the signed URL the
API redirects asset downloads to).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import re
import secrets
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple
from urllib.parse import urlencode

from werkzeug.exceptions import ClientDisconnected, HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import get_input_stream

from release_actions_dev.standins.github.faults import FaultPlan, rate_limit_answer
from release_actions_dev.standins.github.names import github_asset_name
from release_actions_dev.standins.github.openapi import (
    ApiRequest,
    ApiResponse,
    SpecValidator,
    shimmed_spec,
    validator,
    without_empty_label,
)
from release_actions_dev.standins.github.state import (
    Asset,
    GitRef,
    GitTag,
    MakeLatest,
    Release,
    RepoState,
    utcnow,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["ROUTES", "RecordedRequest", "Route", "StandinApp", "Violation"]

DOCS = "https://docs.github.com/rest"
MAX_BODY_CHARS = 125_000
RATE_LIMIT = 5000
CHUNK = 256 * 1024
#: GitHub's per-release and per-asset limits (see FIDELITY.md, gh.asset-count-limit and
#: gh.asset-size-limit).
MAX_ASSETS = 1000
MAX_ASSET_SIZE = 2 * 1024**3
Layout = Literal["github.com", "ghes"]
#: Which server a request arrived on.
Server = Literal["api", "uploads"]


class Route(NamedTuple):
    """One operation the stand-in serves, named by GitHub's operation id."""

    operation_id: str
    method: str
    spec_path: str


ROUTES: tuple[Route, ...] = (
    Route("rate-limit/get", "GET", "/rate_limit"),
    Route("repos/get", "GET", "/repos/{owner}/{repo}"),
    Route("repos/list-releases", "GET", "/repos/{owner}/{repo}/releases"),
    Route("repos/create-release", "POST", "/repos/{owner}/{repo}/releases"),
    Route("repos/get-latest-release", "GET", "/repos/{owner}/{repo}/releases/latest"),
    Route("repos/check-immutable-releases", "GET", "/repos/{owner}/{repo}/immutable-releases"),
    Route("repos/get-release-by-tag", "GET", "/repos/{owner}/{repo}/releases/tags/{tag}"),
    Route("repos/generate-release-notes", "POST", "/repos/{owner}/{repo}/releases/generate-notes"),
    Route("repos/get-release", "GET", "/repos/{owner}/{repo}/releases/{release_id}"),
    Route("repos/update-release", "PATCH", "/repos/{owner}/{repo}/releases/{release_id}"),
    Route("repos/delete-release", "DELETE", "/repos/{owner}/{repo}/releases/{release_id}"),
    Route("repos/list-release-assets", "GET", "/repos/{owner}/{repo}/releases/{release_id}/assets"),
    Route(
        "repos/upload-release-asset", "POST", "/repos/{owner}/{repo}/releases/{release_id}/assets"
    ),
    Route("repos/get-release-asset", "GET", "/repos/{owner}/{repo}/releases/assets/{asset_id}"),
    Route(
        "repos/update-release-asset", "PATCH", "/repos/{owner}/{repo}/releases/assets/{asset_id}"
    ),
    Route(
        "repos/delete-release-asset", "DELETE", "/repos/{owner}/{repo}/releases/assets/{asset_id}"
    ),
    Route("git/get-ref", "GET", "/repos/{owner}/{repo}/git/ref/{ref}"),
    Route("git/list-matching-refs", "GET", "/repos/{owner}/{repo}/git/matching-refs/{ref}"),
    Route("git/create-ref", "POST", "/repos/{owner}/{repo}/git/refs"),
    Route("git/create-tag", "POST", "/repos/{owner}/{repo}/git/tags"),
    Route("git/get-tag", "GET", "/repos/{owner}/{repo}/git/tags/{tag_sha}"),
)
_MULTI_SEGMENT = {"ref", "tag"}
#: Writes counted against GitHub's content-creation limits (which ones count is not
#: published; see FIDELITY.md gh.content-limits).
_CONTENT_CREATING = {
    "repos/create-release",
    "repos/update-release",
    "repos/delete-release",
    "repos/upload-release-asset",
    "repos/update-release-asset",
    "repos/delete-release-asset",
    "git/create-ref",
    "git/create-tag",
}


_UPLOAD = "repos/upload-release-asset"
#: Downloads outside the REST API (not in its description, so never validated against it).
WEB_ROUTES: tuple[Route, ...] = (
    Route("web/download-asset", "GET", "/{owner}/{repo}/releases/download/{tag}/{name}"),
    Route("web/signed-download", "GET", "/github-production-release-asset/{asset_id}"),
)


def _rule(route: Route) -> Rule:
    path = re.sub(
        r"\{(\w+)\}",
        lambda m: f"<path:{m[1]}>" if m[1] in _MULTI_SEGMENT else f"<{m[1]}>",
        route.spec_path,
    )
    return Rule(path, endpoint=route, methods=[route.method])


def _map(routes: Iterable[Route]) -> Map:
    return Map([_rule(r) for r in routes], merge_slashes=False, strict_slashes=False)


# fidelity: gh.upload-origin
_API_MAP = _map(r for r in ROUTES if r.operation_id != _UPLOAD)
_UPLOADS_MAP = _map(r for r in ROUTES if r.operation_id == _UPLOAD)
_WEB_MAP = _map(WEB_ROUTES)


@dataclass(frozen=True)
class RecordedRequest:
    """One request the stand-in received. ``status`` is ``None`` for a dropped connection."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    status: int | None
    operation_id: str | None
    json: Any = None
    injected: bool = False
    #: Which server it arrived on: the API's or the uploads host's.
    server: str = "api"
    headers: Mapping[str, str] = field(default_factory=dict)
    #: The client's end of the TCP connection (``127.0.0.1:<port>``): one per connection.
    client: str = ""

    @property
    def mutating(self) -> bool:
        return self.method not in {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Violation:
    """A request or response that does not conform to GitHub's OpenAPI description."""

    kind: Literal["request", "response"]
    method: str
    path: str
    operation_id: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.kind} {self.method} {self.path} ({self.operation_id}): {self.message}"


class _Reply(Exception):
    """Raised by handlers to answer at once with a status and JSON body."""

    def __init__(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


class _Dropped(ConnectionResetError):
    """The stand-in dropped the connection on purpose (werkzeug treats it as a disconnect)."""


def _error(status: int, message: str, **extra: Any) -> _Reply:
    # fidelity: gh.error-shape
    return _Reply(
        status, {"message": message, "documentation_url": DOCS, "status": str(status)} | extra
    )


def _not_found() -> _Reply:
    return _error(404, "Not Found")


def _validation_failed(*errors: Mapping[str, Any]) -> _Reply:
    return _error(422, "Validation Failed", errors=[dict(e) for e in errors])


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def _request_id() -> str:
    """An id in the shape of ``x-github-request-id`` (``0681:23DC:3690DD:57E9DF:62D635A5``)."""
    parts = (secrets.token_hex(n).upper() for n in (2, 2, 3, 3, 4))
    return ":".join(parts)


def _drop_connection(environ: WSGIEnvironment) -> None:
    """Abort the TCP connection with a reset, then unwind the request quietly."""
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    raise _Dropped("connection reset by the GitHub stand-in (injected fault)")


def _stream_file(path: Path | None) -> Iterator[bytes]:
    if path is None:
        return
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


@dataclass
class _Context:
    request: Request
    route: Route | None
    params: dict[str, str]
    server: Server = "api"
    json: Any = None
    token_access: Literal["write", "read"] | None = None
    token: str = ""
    request_id: str = field(default_factory=_request_id)
    extra_headers: dict[str, str] = field(default_factory=dict)

    @property
    def is_upload(self) -> bool:
        return self.route is not None and self.route.operation_id == _UPLOAD

    @property
    def can_push(self) -> bool:
        return self.token_access == "write"  # noqa: S105 - an access level, not a secret


class StandinApp:
    """WSGI application serving one repository of the GitHub REST API.

    ``layout`` is ``"github.com"`` (API at the API origin's root, uploads on their own
    origin) or ``"ghes"`` (API under ``/api/v3``, uploads under ``/api/uploads``, on the
    API's origin unless ``own_uploads_origin``). Serve :attr:`api_server` and
    :attr:`uploads_server` (the same one when the uploads share the API's origin), then
    tell the application their URLs with :meth:`set_origins`.
    """

    def __init__(
        self,
        *,
        state: RepoState,
        tokens: Mapping[str, Literal["write", "read"]],
        faults: FaultPlan | None = None,
        validate: bool = True,
        login: str = "release-bot",
        layout: Layout = "github.com",
        own_uploads_origin: bool | None = None,
    ) -> None:
        self.state = state
        self.tokens = dict(tokens)
        self.faults = faults or FaultPlan()
        self.login = login
        self.layout = layout
        self.own_uploads_origin = (
            layout == "github.com" if own_uploads_origin is None else (own_uploads_origin)
        )
        self.api_prefix = "/api/v3" if layout == "ghes" else ""
        self.uploads_prefix = "/api/uploads" if layout == "ghes" else ""
        self.api_origin = "http://127.0.0.1"
        self.uploads_origin = "http://127.0.0.1"
        self.requests: list[RecordedRequest] = []
        self.violations: list[Violation] = []
        self.validation_seconds = 0.0
        self.validations = 0
        self._validator: SpecValidator | None = validator() if validate else None
        self._record_lock = threading.Lock()
        self._rate_used = 0
        self._rate_reset = int(time.time()) + 3600
        self._download_key = secrets.token_bytes(16)
        self._handlers: dict[str, Callable[[_Context], tuple[int, Any]]] = {
            "rate-limit/get": self._rate_limit,
            "repos/get": self._get_repo,
            "repos/list-releases": self._list_releases,
            "repos/create-release": self._create_release,
            "repos/get-latest-release": self._latest_release,
            "repos/check-immutable-releases": self._immutable_setting,
            "repos/get-release-by-tag": self._release_by_tag,
            "repos/generate-release-notes": self._generate_notes,
            "repos/get-release": self._get_release,
            "repos/update-release": self._update_release,
            "repos/delete-release": self._delete_release,
            "repos/list-release-assets": self._list_assets,
            "repos/get-release-asset": self._get_asset,
            "repos/update-release-asset": self._update_asset,
            "repos/delete-release-asset": self._delete_asset,
            "git/get-ref": self._get_ref,
            "git/list-matching-refs": self._matching_refs,
            "git/create-ref": self._create_ref,
            "git/create-tag": self._create_tag,
            "git/get-tag": self._get_tag,
        }

    # -- servers and URLs -----------------------------------------------------------------
    def api_server(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """The WSGI application of the API's origin (and the uploads', when shared)."""
        environ["standin.server"] = "api"
        return self(environ, start_response)

    def uploads_server(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """The WSGI application of the uploads host's own origin."""
        environ["standin.server"] = "uploads"
        return self(environ, start_response)

    def set_origins(self, *, api: str, uploads: str | None = None) -> None:
        """Where the servers listen (``http://127.0.0.1:<port>``)."""
        self.api_origin = api.rstrip("/")
        self.uploads_origin = (uploads or api).rstrip("/")

    @property
    def base_url(self) -> str:
        """The API origin (kept for callers of the one-origin stand-in)."""
        return self.api_origin

    @base_url.setter
    def base_url(self, value: str) -> None:
        self.set_origins(api=value)

    @property
    def api_url(self) -> str:
        """What a client passes as its base URL (GITHUB_API_URL)."""
        return self.api_origin + self.api_prefix

    @property
    def uploads_url(self) -> str:
        """Where ``upload_url`` points: the uploads host, plus ``/api/uploads`` on GHES."""
        origin = self.uploads_origin if self.own_uploads_origin else self.api_origin
        return origin + self.uploads_prefix

    @property
    def web_url(self) -> str:
        """The "web" origin (GITHUB_SERVER_URL): pages and ``browser_download_url``."""
        return self.api_origin

    @property
    def repo_api(self) -> str:
        return f"{self.api_url}/repos/{self.state.owner}/{self.state.repo}"

    @property
    def repo_web(self) -> str:
        return f"{self.web_url}/{self.state.owner}/{self.state.repo}"

    # -- WSGI ---------------------------------------------------------------------------
    def _locate(self, server: Server, environ: WSGIEnvironment) -> tuple[str, Map | None, str]:
        """(kind, URL map, path inside it) for a request: ``api``, ``uploads`` or ``web``."""
        path = environ.get("PATH_INFO", "") or "/"
        serves_uploads = server == "uploads" or not self.own_uploads_origin
        if serves_uploads and path.startswith(self.uploads_prefix + "/repos/"):
            inner = path[len(self.uploads_prefix) :]
            if self._matches(_UPLOADS_MAP, environ, inner) or server == "uploads":
                return "uploads", _UPLOADS_MAP, inner
        if server == "uploads":
            return "uploads", None, path  # the uploads host serves nothing else
        if self._matches(_WEB_MAP, environ, path):
            return "web", _WEB_MAP, path
        if path.startswith(self.api_prefix + "/"):
            return "api", _API_MAP, path[len(self.api_prefix) :]
        return "api", None, path

    @staticmethod
    def _matches(url_map: Map, environ: WSGIEnvironment, path: str) -> bool:
        try:
            url_map.bind("127.0.0.1").match(path, method=environ.get("REQUEST_METHOD", "GET"))
        except HTTPException:
            return False
        return True

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        server: Server = environ.get("standin.server", "api")
        kind, url_map, inner = self._locate(server, environ)
        prefix = environ.get("PATH_INFO", "")[: len(environ.get("PATH_INFO", "")) - len(inner)]
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
        environ["PATH_INFO"] = inner
        request = Request(environ)
        route: Route | None = None
        params: dict[str, str] = {}
        if url_map is not None:
            try:
                matched, found = url_map.bind_to_environ(environ).match()
                route = matched if isinstance(matched, Route) else None
                params = dict(found)
            except HTTPException:
                route = None
        ctx = _Context(request=request, route=route, params=params, server=server)
        operation_id = route.operation_id if route else None
        method = request.method.upper()
        path = request.path
        injected = False
        status: int | None = None
        try:
            delay = self.faults.delay_for(operation_id=operation_id, method=method, path=path)
            if delay:
                time.sleep(delay)
            if kind == "web":
                response = self._serve_web(ctx)
                self._record(ctx, response.status_code, injected=False)
                return response(environ, start_response)
            status, body, headers, injected = self._serve(ctx, environ)
        except _Dropped:
            raise  # recorded by _drop, before the client could notice
        except ConnectionError:
            self._record(ctx, None, injected=False)  # the client went away
            raise
        response = self._response(ctx, status, body, headers)
        if not injected:
            self._validate_response(ctx, response)
        self._record(ctx, status, injected=injected)
        return response(environ, start_response)

    def _serve(
        self, ctx: _Context, environ: WSGIEnvironment
    ) -> tuple[int, Any, dict[str, str], bool]:
        """Status, JSON body, headers and whether the answer was an injected fault."""
        route = ctx.route
        is_upload = ctx.is_upload
        body_invalid = False
        if not is_upload:
            raw = ctx.request.get_data(cache=True)
            if raw:
                try:
                    ctx.json = json.loads(raw)
                except ValueError:
                    body_invalid = True
        request_errors = self._validate_request(ctx)
        body_invalid = body_invalid or any(
            e.startswith("InvalidRequestBody") for e in request_errors
        )
        try:
            self._authenticate(ctx)
            if route is None:
                raise _not_found()
            fault = self.faults.take(
                operation_id=route.operation_id, method=route.method, path=ctx.request.path
            )
            reset_after: int | None = None
            if fault is not None and fault.kind == "status":
                body = fault.body
                if body is None:
                    body = {"message": f"Injected {fault.status}", "documentation_url": DOCS}
                if is_upload:
                    self._drain(environ)  # so the client reads the answer, not a broken pipe
                return fault.status, body, fault.answer_headers(), True
            if fault is not None and fault.kind == "reset":
                if not is_upload:
                    self._drop(ctx, environ)
                reset_after = fault.after_bytes
            if route.operation_id in _CONTENT_CREATING:
                self._check_content_limits()
            if body_invalid:
                raise _error(422, "Invalid request.\n\n" + "\n".join(request_errors))
            self._check_repo(ctx)
            if is_upload:
                status, body = self._upload_asset(ctx, environ, reset_after)
            else:
                status, body = self._handlers[route.operation_id](ctx)
            return status, body, ctx.extra_headers, False
        except _Reply as reply:
            if is_upload and reply.headers.get("Connection") != "close":
                self._drain(environ)
            return reply.status, reply.body, reply.headers, False

    def _drop(self, ctx: _Context, environ: WSGIEnvironment, *, injected: bool = True) -> None:
        """Record the request as dropped (status ``None``), then reset the connection."""
        self._record(ctx, None, injected=injected)
        _drop_connection(environ)

    # -- downloads ("web", outside the REST API) -------------------------------------------
    def _signed_download_url(self, asset: Asset) -> str:
        """Where the API redirects an asset download: no token needed, like GitHub's."""
        sig = hmac.new(self._download_key, str(asset.id).encode(), "sha256").hexdigest()
        return f"{self.web_url}/github-production-release-asset/{asset.id}?sig={sig}"

    def _serve_web(self, ctx: _Context) -> Response:
        """``browser_download_url`` and the signed URL: the bytes, streamed."""
        # fidelity: gh.asset-download
        if ctx.route is None:
            return Response("Not Found", status=404)
        header = ctx.request.headers.get("Authorization", "")
        ctx.token = header.partition(" ")[2].strip()
        ctx.token_access = self.tokens.get(ctx.token)
        with self.state.lock:
            asset: Asset | None = None
            if ctx.route.operation_id == "web/signed-download":
                try:
                    candidate = self.state.asset(int(ctx.params["asset_id"]))
                except (KeyError, ValueError):
                    candidate = None
                if candidate is not None and hmac.compare_digest(
                    self._signed_download_url(candidate).rsplit("sig=", 1)[1],
                    ctx.request.args.get("sig", ""),
                ):
                    asset = candidate
            elif (ctx.params["owner"].lower(), ctx.params["repo"].lower()) == (
                self.state.owner.lower(),
                self.state.repo.lower(),
            ):
                for release in self.state.releases_newest_first():
                    tag = self._download_tag(release)
                    if tag == ctx.params["tag"] and (not release.draft or ctx.can_push):
                        asset = release.asset_named(ctx.params["name"])
                        if asset is not None:
                            break
            if asset is None:
                return Response("Not Found", status=404)
            asset.download_count += 1
            path, size = asset.path, asset.size
        response = Response(
            _stream_file(path),
            status=200,
            mimetype="application/octet-stream",
            direct_passthrough=True,
        )
        response.headers["Content-Length"] = str(size)
        return response

    # -- validation and recording ----------------------------------------------------------
    def _api_request(self, ctx: _Context, *, body: bytes | None) -> ApiRequest:
        request = ctx.request
        return ApiRequest(
            method=request.method.lower(),
            path=request.path,
            path_pattern=ctx.route.spec_path if ctx.route else None,
            path_params=ctx.params,
            query=without_empty_label(
                ctx.route.spec_path if ctx.route else None,
                request.method,
                {k: request.args.getlist(k) for k in request.args},
            ),
            headers=dict(request.headers),
            content_type=request.mimetype or "application/octet-stream",
            body=body,
        )

    def _validate_request(self, ctx: _Context) -> list[str]:
        if self._validator is None:  # fidelity: gh.openapi-validation
            return []
        # Upload bodies are streamed to disk, never buffered: validate the envelope only.
        body = b"" if ctx.is_upload else ctx.request.get_data(cache=True)
        started = time.perf_counter()
        errors = self._validator.request_errors(self._api_request(ctx, body=body))
        self._count_validation(started)
        for message in errors:
            self._violation("request", ctx, message)
        return errors

    def _validate_response(self, ctx: _Context, response: Response) -> None:
        if self._validator is None:
            return
        started = time.perf_counter()
        api_response = ApiResponse(
            status_code=response.status_code,
            content_type=response.mimetype or "",
            headers=dict(response.headers),
            data=response.get_data(),
        )
        api_request = self._api_request(ctx, body=None)
        errors = self._validator.response_errors(api_request, api_response)
        self._count_validation(started)
        for message in errors:
            self._violation("response", ctx, message)

    def _count_validation(self, started: float) -> None:
        with self._record_lock:
            self.validation_seconds += time.perf_counter() - started
            self.validations += 1

    def _violation(self, kind: Literal["request", "response"], ctx: _Context, message: str) -> None:
        violation = Violation(
            kind,
            ctx.request.method,
            ctx.request.full_path.rstrip("?"),
            ctx.route.operation_id if ctx.route else None,
            message,
        )
        with self._record_lock:
            self.violations.append(violation)

    def _record(self, ctx: _Context, status: int | None, *, injected: bool) -> None:
        request = ctx.request
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            query={k: request.args.getlist(k) for k in request.args},
            status=status,
            operation_id=ctx.route.operation_id if ctx.route else None,
            json=ctx.json,
            injected=injected,
            server=ctx.server,
            headers=dict(request.headers),
            client=f"{request.remote_addr}:{request.environ.get('REMOTE_PORT', '')}",
        )
        with self._record_lock:
            self.requests.append(recorded)

    def _response(
        self, ctx: _Context, status: int, body: Any, headers: Mapping[str, str]
    ) -> Response:
        if ctx.is_upload and isinstance(body, dict) and "message" in body and status >= 400:
            # Errors from the uploads host carry a request id instead of the status
            # (recorded: @octokit/fixtures release-assets-conflict).
            # fidelity: gh.upload-error-shape
            body = {k: v for k, v in body.items() if k != "status"}
            body = {"message": body.pop("message", ""), "request_id": ctx.request_id} | body
        if status in {204, 302} or body is None:
            response = Response(status=status)
        else:
            response = Response(
                json.dumps(body), status=status, content_type="application/json; charset=utf-8"
            )
        response.headers["X-GitHub-Request-Id"] = ctx.request_id
        response.headers["X-GitHub-Media-Type"] = "github.v3; format=json"
        if ctx.is_upload:
            # fidelity: gh.rate-limit-headers
            response.headers["Cache-Control"] = "no-cache"  # and no rate-limit headers
        else:
            with self._record_lock:
                self._rate_used += 1
                used = self._rate_used
            response.headers["X-RateLimit-Limit"] = str(RATE_LIMIT)
            response.headers["X-RateLimit-Remaining"] = str(max(0, RATE_LIMIT - used))
            response.headers["X-RateLimit-Reset"] = str(self._rate_reset)
            response.headers["X-RateLimit-Used"] = str(used)
            response.headers["X-RateLimit-Resource"] = "core"
            response.headers["X-GitHub-Api-Version-Selected"] = "2022-11-28"
        for name, value in headers.items():
            response.headers[name] = value
        return response

    # -- auth and common checks -----------------------------------------------------------
    def _authenticate(self, ctx: _Context) -> None:
        # fidelity: gh.bad-credentials, gh.read-only-token
        header = ctx.request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        ctx.token = token.strip()
        access = self.tokens.get(ctx.token) if scheme.lower() in {"token", "bearer"} else None
        if access is None:
            raise _error(401, "Bad credentials")
        ctx.token_access = access
        if access == "read" and ctx.request.method not in {"GET", "HEAD"}:
            raise _error(403, "Resource not accessible by integration")

    def _check_content_limits(self) -> None:
        wait = self.faults.count_write()
        if wait is not None:
            status, body, headers = rate_limit_answer(
                status=self.faults.limit_status, wait=wait, style=self.faults.limit_style
            )
            raise _Reply(status, body, headers)

    def _check_repo(self, ctx: _Context) -> None:
        owner, repo = ctx.params.get("owner"), ctx.params.get("repo")
        if owner is None:
            return
        if (owner.lower(), (repo or "").lower()) != (
            self.state.owner.lower(),
            self.state.repo.lower(),
        ):
            raise _not_found()

    @staticmethod
    def _drain(environ: WSGIEnvironment) -> None:
        """Read and discard an unread request body so the client gets our answer."""
        stream = get_input_stream(environ)
        try:
            while stream.read(CHUNK):
                pass
        except (ClientDisconnected, OSError):
            pass

    def _int_param(self, ctx: _Context, name: str) -> int:
        try:
            return int(ctx.params[name])
        except ValueError:
            raise _not_found() from None

    def _release_or_404(self, ctx: _Context) -> Release:
        try:
            release = self.state.release(self._int_param(ctx, "release_id"))
        except KeyError:
            raise _not_found() from None
        if release.draft and not ctx.can_push:
            raise _not_found()  # fidelity: gh.draft-visibility
        return release

    def _asset_or_404(self, ctx: _Context) -> Asset:
        try:
            asset = self.state.asset(self._int_param(ctx, "asset_id"))
        except KeyError:
            raise _not_found() from None
        if self.state.release(asset.release_id).draft and not ctx.can_push:
            raise _not_found()
        return asset

    def _json_object(self, ctx: _Context) -> dict[str, Any]:
        if ctx.json is None:
            return {}
        if not isinstance(ctx.json, dict):
            raise _error(400, "Problems parsing JSON")
        return ctx.json

    # -- representations ------------------------------------------------------------------
    def user_json(self) -> dict[str, Any]:
        login = self.login
        base = f"{self.api_url}/users/{login}"
        return {
            "login": login,
            "id": 41898282,
            "node_id": "MDM6Qm90NDE4OTgyODI=",
            "avatar_url": f"{self.web_url}/avatars/{login}",
            "gravatar_id": "",
            "url": base,
            "html_url": f"{self.web_url}/{login}",
            "followers_url": f"{base}/followers",
            "following_url": f"{base}/following{{/other_user}}",
            "gists_url": f"{base}/gists{{/gist_id}}",
            "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{base}/subscriptions",
            "organizations_url": f"{base}/orgs",
            "repos_url": f"{base}/repos",
            "events_url": f"{base}/events{{/privacy}}",
            "received_events_url": f"{base}/received_events",
            "type": "Bot",
            "user_view_type": "public",
            "site_admin": False,
        }

    @staticmethod
    def _download_tag(release: Release) -> str:
        """The tag in a release's web URLs (``untagged-…`` for a draft)."""
        return release.tag_name if not release.draft else f"untagged-{release.id:x}"

    def asset_json(self, asset: Asset, release: Release) -> dict[str, Any]:
        tag = self._download_tag(release)
        # fidelity: gh.asset-json
        return {
            "url": f"{self.repo_api}/releases/assets/{asset.id}",
            "browser_download_url": f"{self.repo_web}/releases/download/{tag}/{asset.name}",
            "id": asset.id,
            "node_id": f"RA_standin{asset.id}",
            "name": asset.name,
            "label": asset.label,
            "state": asset.state,
            "content_type": asset.content_type,
            "size": asset.size,
            "digest": asset.digest,
            "download_count": asset.download_count,
            "created_at": _iso(asset.created_at),
            "updated_at": _iso(asset.updated_at),
            "uploader": self.user_json(),
        } | asset.overrides

    def release_json(self, release: Release) -> dict[str, Any]:
        api = f"{self.repo_api}/releases/{release.id}"
        tag_path = self._download_tag(release)
        published = not release.draft
        uploads = f"{self.uploads_url}/repos/{self.state.owner}/{self.state.repo}"
        return {
            "url": api,
            "html_url": f"{self.repo_web}/releases/tag/{tag_path}",
            "assets_url": f"{api}/assets",
            # fidelity: gh.upload-origin
            "upload_url": f"{uploads}/releases/{release.id}/assets{{?name,label}}",
            "tarball_url": f"{self.repo_api}/tarball/{release.tag_name}" if published else None,
            "zipball_url": f"{self.repo_api}/zipball/{release.tag_name}" if published else None,
            "id": release.id,
            "node_id": f"RE_standin{release.id}",
            "tag_name": release.tag_name,
            "target_commitish": release.target_commitish,
            "name": release.name,
            "body": release.body,
            "draft": release.draft,
            "prerelease": release.prerelease,
            "immutable": release.immutable,
            "created_at": _iso(release.created_at),
            "published_at": _iso(release.published_at),
            "updated_at": _iso(release.updated_at),
            "author": self.user_json(),
            "assets": [self.asset_json(a, release) for a in release.assets],
        } | release.overrides

    def ref_json(self, ref: GitRef) -> dict[str, Any]:
        kind = "tags" if ref.type == "tag" else "commits"
        return {
            "ref": ref.ref,
            "node_id": f"REF_standin{hashlib.sha1(ref.ref.encode()).hexdigest()[:12]}",  # noqa: S324
            "url": f"{self.repo_api}/git/{ref.ref}",
            "object": {
                "type": ref.type,
                "sha": ref.sha,
                "url": f"{self.repo_api}/git/{kind}/{ref.sha}",
            },
        }

    def tag_json(self, tag: GitTag) -> dict[str, Any]:
        kind = "tags" if tag.object_type == "tag" else f"{tag.object_type}s"
        return {
            "node_id": f"TAG_standin{tag.sha[:12]}",
            "tag": tag.tag,
            "sha": tag.sha,
            "url": f"{self.repo_api}/git/tags/{tag.sha}",
            "message": tag.message,
            "tagger": {
                "date": _iso(tag.tagger_date),
                "email": tag.tagger_email,
                "name": tag.tagger_name,
            },
            "object": {
                "sha": tag.object_sha,
                "type": tag.object_type,
                "url": f"{self.repo_api}/git/{kind}/{tag.object_sha}",
            },
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "payload": None,
                "signature": None,
                "verified_at": None,
            },
        }

    def _paginate(self, ctx: _Context, items: list[Any]) -> list[Any]:
        # fidelity: gh.list-pagination
        args = ctx.request.args
        try:
            per_page = min(100, max(1, int(args.get("per_page", "30"))))
        except ValueError:
            per_page = 30
        try:
            page = max(1, int(args.get("page", "1")))
        except ValueError:
            page = 1
        last = max(1, -(-len(items) // per_page))
        keep = [(k, v) for k, v in args.items(multi=True) if k not in {"page", "per_page"}]

        def link(number: int, rel: str) -> str:
            query = urlencode([*keep, ("per_page", str(per_page)), ("page", str(number))])
            return f'<{self.api_url}{ctx.request.path}?{query}>; rel="{rel}"'

        links: list[str] = []
        if page > 1:
            links += [link(min(page - 1, last), "prev")]
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links += [link(1, "first")]
        if links:
            ctx.extra_headers["Link"] = ", ".join(links)
        return items[(page - 1) * per_page : page * per_page]

    # -- handlers: repository and rate limit ---------------------------------------------
    def _rate_limit(self, ctx: _Context) -> tuple[int, Any]:
        with self._record_lock:
            used = self._rate_used + 1
        core = {
            "limit": RATE_LIMIT,
            "remaining": RATE_LIMIT - used,
            "reset": self._rate_reset,
            "used": used,
        }
        search = {"limit": 30, "remaining": 30, "reset": self._rate_reset, "used": 0}
        return 200, {"resources": {"core": core, "search": search}, "rate": core}

    def _get_repo(self, ctx: _Context) -> tuple[int, Any]:
        data: dict[str, Any] = json.loads(
            _repo_template()
            .replace("https://api.github.com", self.api_url)
            .replace("https://github.com", self.web_url)
            .replace("octocat/Hello-World", f"{self.state.owner}/{self.state.repo}")
        )
        for key in ("parent", "source", "template_repository"):
            data.pop(key, None)  # the example is a fork; the stand-in's repository is not
        data["fork"] = False
        data["language"] = "Python"
        data["name"] = self.state.repo
        data["full_name"] = f"{self.state.owner}/{self.state.repo}"
        data["default_branch"] = self.state.default_branch
        data["owner"]["login"] = self.state.owner
        # fidelity: gh.repo-permissions
        if ctx.token.startswith("ghs_"):
            # An installation token (GITHUB_TOKEN is one) gets no "permissions" key.
            data.pop("permissions", None)
        else:
            data["permissions"] = {
                "admin": False,
                "maintain": False,
                "push": ctx.can_push,
                "triage": ctx.can_push,
                "pull": True,
            }
        return 200, data

    # -- handlers: releases ---------------------------------------------------------------
    def _list_releases(self, ctx: _Context) -> tuple[int, Any]:
        with self.state.lock:
            releases = self.state.releases_newest_first()
            if not ctx.can_push:
                releases = [r for r in releases if not r.draft]  # fidelity: gh.draft-visibility
            return 200, [self.release_json(r) for r in self._paginate(ctx, releases)]

    def _get_release(self, ctx: _Context) -> tuple[int, Any]:
        with self.state.lock:
            return 200, self.release_json(self._release_or_404(ctx))

    def _release_by_tag(self, ctx: _Context) -> tuple[int, Any]:
        with self.state.lock:
            # fidelity: gh.by-tag-no-drafts
            published = [
                r for r in self.state.find_releases(tag_name=ctx.params["tag"]) if not r.draft
            ]
            if not published:
                raise _not_found()
            return 200, self.release_json(published[0])

    def _latest_release(self, ctx: _Context) -> tuple[int, Any]:
        with self.state.lock:
            latest = self.state.latest_release()  # fidelity: gh.latest-no-drafts
            if latest is None:
                raise _not_found()
            return 200, self.release_json(latest)

    def _immutable_setting(self, ctx: _Context) -> tuple[int, Any]:
        # fidelity: gh.immutable-setting
        if not ctx.can_push:
            raise _error(403, "Resource not accessible by integration")
        with self.state.lock:
            if not self.state.immutable_releases:
                raise _not_found()
            return 200, {"enabled": True, "enforced_by_owner": False}

    def _check_release_fields(self, data: Mapping[str, Any], *, creating: bool) -> None:
        body = data.get("body")
        if isinstance(body, str) and len(body) > MAX_BODY_CHARS:
            # fidelity: gh.body-limit
            raise _validation_failed(
                {
                    "resource": "Release",
                    "code": "custom",
                    "field": "body",
                    "message": f"body is too long (maximum is {MAX_BODY_CHARS} characters)",
                }
            )
        tag = data.get("tag_name")
        if creating and (not isinstance(tag, str) or not tag.strip()):
            raise _validation_failed(
                {"resource": "Release", "code": "missing_field", "field": "tag_name"}
            )

    @staticmethod
    def _check_make_latest(make_latest: object, *, draft: bool, prerelease: bool) -> None:
        """Drafts and prereleases cannot be set as latest."""
        # fidelity: gh.make-latest-draft
        if make_latest == "true" and (draft or prerelease):
            raise _validation_failed(
                {
                    "resource": "Release",
                    "code": "custom",
                    "message": "Latest release cannot be draft or prerelease.",
                }
            )

    def _check_tag_usable(self, tag_name: str, *, other_than: int | None = None) -> None:
        """A published release needs a tag no other published release has, and never one
        an immutable release used (even a deleted one)."""
        # fidelity: gh.tag-already-released
        if any(
            not r.draft and r.id != other_than for r in self.state.find_releases(tag_name=tag_name)
        ):
            raise _validation_failed(
                {"resource": "Release", "code": "already_exists", "field": "tag_name"}
            )
        if tag_name in self.state.burned_tags:
            # fidelity: gh.immutable-burned-tag
            raise _validation_failed(
                {
                    "resource": "Release",
                    "code": "custom",
                    "field": "pre_receive",
                    "message": "pre_receive Repository rule violations found\n\n"
                    "Cannot create ref due to creations being restricted.\n\n",
                },
                {
                    "resource": "Release",
                    "code": "custom",
                    "field": "tag_name",
                    "message": "tag_name was used by an immutable release",
                },
                {
                    "resource": "Release",
                    "code": "custom",
                    "message": "Published releases must have a valid tag",
                },
            )

    def _create_release(self, ctx: _Context) -> tuple[int, Any]:
        data = self._json_object(ctx)
        self._check_release_fields(data, creating=True)
        with self.state.lock:
            tag_name = str(data["tag_name"])
            draft = bool(data.get("draft", False))
            prerelease = bool(data.get("prerelease", False))
            self._check_make_latest(data.get("make_latest"), draft=draft, prerelease=prerelease)
            if not draft:
                self._check_tag_usable(tag_name)
            name = data.get("name")
            body = data.get("body")
            if data.get("generate_release_notes"):
                notes = self._notes(tag_name, None)
                name = name or notes["name"]
                body = f"{body}\n\n{notes['body']}" if body else notes["body"]
            make_latest: MakeLatest | None = data.get("make_latest")
            release = self.state.add_release(
                tag_name=tag_name,
                draft=draft,
                prerelease=prerelease,
                name=name,
                body=body,
                target_commitish=data.get("target_commitish") or self.state.default_branch,
                make_latest=None if draft else make_latest,  # a draft's is not remembered
            )
            ctx.extra_headers["Location"] = f"{self.repo_api}/releases/{release.id}"
            return 201, self.release_json(release)

    @staticmethod
    def _immutable_refusal(message: str) -> _Reply:
        return _validation_failed({"resource": "Release", "code": "custom", "message": message})

    def _update_release(self, ctx: _Context) -> tuple[int, Any]:
        data = self._json_object(ctx)
        self._check_release_fields(data, creating=False)
        with self.state.lock:
            release = self._release_or_404(ctx)
            if release.immutable:
                # fidelity: gh.immutable-edits
                # Title, notes, prerelease and make_latest may change (github/docs#45730);
                # the state, the target and the tag may not.
                if data.get("draft") is True:
                    raise self._immutable_refusal(
                        "state cannot be changed when release is immutable"
                    )
                if (
                    "target_commitish" in data
                    and data["target_commitish"] != release.target_commitish
                ):
                    raise self._immutable_refusal(
                        "target_commitish cannot be changed when release is immutable"
                    )
                if "tag_name" in data and data["tag_name"] != release.tag_name:
                    raise self._immutable_refusal(
                        "tag_name cannot be changed when release is immutable"
                    )
            new_tag = str(data.get("tag_name", release.tag_name))
            publishing = release.draft and data.get("draft") is False
            stays_draft = (release.draft and not publishing) or data.get("draft") is True
            prerelease = bool(data.get("prerelease", release.prerelease))
            make_latest = data.get("make_latest")
            self._check_make_latest(make_latest, draft=stays_draft, prerelease=prerelease)
            if publishing or (not release.draft and new_tag != release.tag_name):
                self._check_tag_usable(new_tag, other_than=release.id)
            release.tag_name = new_tag
            for key in ("target_commitish", "name", "body"):
                if key in data:
                    setattr(release, key, data[key])
            release.prerelease = prerelease
            if publishing:
                self.state.publish(release, make_latest=make_latest)
            elif data.get("draft") is True and not release.draft:
                release.draft = True
                release.published_at = None
            elif make_latest == "true" and not release.draft and not release.prerelease:
                self.state.latest_release_id = release.id
            elif make_latest in {"false", "legacy"} and self.state.latest_release_id == release.id:
                self.state.latest_release_id = None
            if release.prerelease and self.state.latest_release_id == release.id:
                self.state.latest_release_id = None
            release.updated_at = max(release.updated_at, release.created_at)
            return 200, self.release_json(release)

    def _delete_release(self, ctx: _Context) -> tuple[int, Any]:
        with self.state.lock:
            release = self._release_or_404(ctx)
            self.state.delete_release(release.id)  # an immutable release's tag stays burned
        return 204, None

    def _notes(self, tag_name: str, previous: str | None) -> dict[str, str]:
        if previous is None:
            earlier = [
                r.tag_name
                for r in self.state.releases_newest_first()
                if not r.draft and r.tag_name != tag_name
            ]
            previous = earlier[0] if earlier else None
        changelog = (
            f"{self.repo_web}/compare/{previous}...{tag_name}"
            if previous
            else f"{self.repo_web}/commits/{tag_name}"
        )
        body = (
            "<!-- Release notes generated by the GitHub stand-in -->\n\n"
            "## What's Changed\n"
            f"* Changes in {tag_name} by @{self.login}\n\n"
            f"**Full Changelog**: {changelog}"
        )
        return {"name": tag_name, "body": body}

    def _generate_notes(self, ctx: _Context) -> tuple[int, Any]:
        data = self._json_object(ctx)
        tag_name = data.get("tag_name")
        if not isinstance(tag_name, str):
            raise _validation_failed(
                {"resource": "Release", "code": "missing_field", "field": "tag_name"}
            )
        previous = data.get("previous_tag_name")
        with self.state.lock:
            if previous is not None and f"refs/tags/{previous}" not in self.state.refs:
                raise _not_found()
            return 200, self._notes(tag_name, previous if isinstance(previous, str) else None)

    # -- handlers: assets -----------------------------------------------------------------
    def _list_assets(self, ctx: _Context) -> tuple[int, Any]:
        with self.state.lock:
            release = self._release_or_404(ctx)
            return 200, [self.asset_json(a, release) for a in self._paginate(ctx, release.assets)]

    def _get_asset(self, ctx: _Context) -> tuple[int, Any]:
        with self.state.lock:
            asset = self._asset_or_404(ctx)
            if "application/octet-stream" in ctx.request.headers.get("Accept", ""):
                # fidelity: gh.asset-download
                ctx.extra_headers["Location"] = self._signed_download_url(asset)
                return 302, None
            return 200, self.asset_json(asset, self.state.release(asset.release_id))

    def _update_asset(self, ctx: _Context) -> tuple[int, Any]:
        data = self._json_object(ctx)
        with self.state.lock:
            asset = self._asset_or_404(ctx)
            release = self.state.release(asset.release_id)
            if release.immutable:
                # fidelity: gh.immutable-assets
                raise _validation_failed(
                    {
                        "resource": "ReleaseAsset",
                        "code": "custom",
                        "message": "Cannot update asset on an immutable release",
                    }
                )
            if "name" in data:
                name = github_asset_name(str(data["name"]))  # fidelity: gh.asset-rename
                other = release.asset_named(name)
                if other is not None and other is not asset:
                    raise _validation_failed(
                        {"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}
                    )
                asset.name = name
            if "label" in data:
                asset.label = data["label"]
            return 200, self.asset_json(asset, release)

    def _delete_asset(self, ctx: _Context) -> tuple[int, Any]:
        with self.state.lock:
            asset = self._asset_or_404(ctx)
            if self.state.release(asset.release_id).immutable:
                # fidelity: gh.immutable-assets
                raise _validation_failed(
                    {
                        "resource": "ReleaseAsset",
                        "code": "custom",
                        "message": "Cannot delete asset from an immutable release",
                    }
                )
            self.state.delete_asset(asset.id)
        return 204, None

    def _check_upload(self, release: Release, name: str, size: int | None) -> None:
        """GitHub's refusals of an upload, before any byte is read (``size``: Content-Length)."""
        if release.immutable:
            # fidelity: gh.immutable-assets
            raise _Reply(
                422,
                {
                    "message": "Cannot upload assets to an immutable release.",
                    "documentation_url": DOCS,
                },
            )
        if release.asset_named(name) is not None:
            # fidelity: gh.asset-name-conflict
            raise _validation_failed(
                {"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}
            )
        if len(release.assets) >= MAX_ASSETS:
            # fidelity: gh.asset-count-limit
            raise _validation_failed(
                {
                    "resource": "ReleaseAsset",
                    "code": "custom",
                    "field": "file_count",
                    "message": f"file_count limited to {MAX_ASSETS} assets",
                }
            )
        # fidelity: gh.asset-size-limit
        if size is not None and size > MAX_ASSET_SIZE:
            reply = _validation_failed(
                {
                    "resource": "ReleaseAsset",
                    "code": "custom",
                    "field": "size",
                    "message": f"size must be less than or equal to {MAX_ASSET_SIZE}",
                }
            )
            reply.headers["Connection"] = "close"  # the body is not read
            raise reply
        if size == 0:
            raise _validation_failed(
                {
                    "resource": "ReleaseAsset",
                    "code": "custom",
                    "field": "size",
                    "message": "size must be greater than or equal to 1",
                }
            )

    def _upload_asset(
        self, ctx: _Context, environ: WSGIEnvironment, reset_after: int | None
    ) -> tuple[int, Any]:
        args = ctx.request.args
        raw_name = args.get("name", "")
        if not raw_name:
            raise _validation_failed(
                {"resource": "ReleaseAsset", "code": "missing_field", "field": "name"}
            )
        name = github_asset_name(raw_name)  # fidelity: gh.asset-rename
        label = args.get("label") or None
        content_type = ctx.request.mimetype or "application/octet-stream"
        expected = ctx.request.content_length
        with self.state.lock:
            release = self._release_or_404(ctx)
            self._check_upload(release, name, expected)
            # fidelity: gh.starter-leftover
            # Like GitHub, the asset exists (state "starter", size 0) while bytes arrive.
            asset = Asset(
                id=self.state.next_asset_id(),
                release_id=release.id,
                name=name,
                label=label,
                content_type=content_type,
                state="starter",
            )
            release.assets.append(asset)
        target = self.state.asset_file(asset.id)
        digest = hashlib.sha256()
        size = 0
        stream = get_input_stream(environ)
        started = time.monotonic()
        complete = False
        try:
            with target.open("wb") as out:
                while True:
                    want = CHUNK
                    if reset_after is not None:
                        want = min(want, reset_after - size)
                        if want <= 0:
                            break
                    chunk = stream.read(want)
                    if not chunk:
                        complete = True
                        break
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                    rate = self.faults.bytes_per_second
                    if rate:
                        ahead = size / rate - (time.monotonic() - started)
                        if ahead > 0:
                            time.sleep(ahead)
        except (ClientDisconnected, OSError):
            complete = False
        if not complete or (expected is not None and size != expected):
            target.unlink(missing_ok=True)
            self._drop(ctx, environ, injected=reset_after is not None)
        with self.state.lock:
            asset.path = target
            asset.size = size
            asset.sha256 = digest.hexdigest()  # fidelity: gh.asset-digest
            asset.state = "uploaded"
            asset.updated_at = utcnow()
            return 201, self.asset_json(asset, release)

    # -- handlers: git --------------------------------------------------------------------
    def _get_ref(self, ctx: _Context) -> tuple[int, Any]:
        with self.state.lock:
            ref = self.state.refs.get(f"refs/{ctx.params['ref']}")
            if ref is None:
                raise _not_found()
            return 200, self.ref_json(ref)

    def _matching_refs(self, ctx: _Context) -> tuple[int, Any]:
        prefix = f"refs/{ctx.params['ref']}"
        with self.state.lock:
            refs = sorted(
                (r for name, r in self.state.refs.items() if name.startswith(prefix)),
                key=lambda r: r.ref,
            )
            return 200, [self.ref_json(r) for r in refs]

    def _create_ref(self, ctx: _Context) -> tuple[int, Any]:
        data = self._json_object(ctx)
        ref, sha = data.get("ref"), data.get("sha")
        if not isinstance(ref, str) or not ref.startswith("refs/") or ref.count("/") < 2:
            raise _error(
                422, "Reference name must start with 'refs/' and have at least two slashes."
            )
        if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{40}", sha):
            raise _error(422, "Object does not exist")
        with self.state.lock:
            if ref in self.state.refs:
                raise _error(422, "Reference already exists")
            kind = "tag" if sha in self.state.tags else "commit"
            created = GitRef(ref, sha, kind)
            self.state.refs[ref] = created
            ctx.extra_headers["Location"] = f"{self.repo_api}/git/{ref}"
            return 201, self.ref_json(created)

    def _create_tag(self, ctx: _Context) -> tuple[int, Any]:
        data = self._json_object(ctx)
        tagger = data.get("tagger") or {}
        tag = GitTag(
            sha=hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest(),  # noqa: S324
            tag=str(data.get("tag", "")),
            message=str(data.get("message", "")),
            object_sha=str(data.get("object", "")),
            object_type=str(data.get("type", "commit")),
        )
        if isinstance(tagger, dict):
            tag.tagger_name = str(tagger.get("name", tag.tagger_name))
            tag.tagger_email = str(tagger.get("email", tag.tagger_email))
        with self.state.lock:
            self.state.tags[tag.sha] = tag
            ctx.extra_headers["Location"] = f"{self.repo_api}/git/tags/{tag.sha}"
            return 201, self.tag_json(tag)

    def _get_tag(self, ctx: _Context) -> tuple[int, Any]:
        with self.state.lock:
            tag = self.state.tags.get(ctx.params["tag_sha"])
            if tag is None:
                raise _not_found()
            return 200, self.tag_json(tag)


@functools.cache
def _repo_template() -> str:
    """The spec's full-repository example (shimmed), serialised once per process."""
    example = shimmed_spec()["components"]["examples"]["full-repository-default-response"]
    return json.dumps(example["value"])
