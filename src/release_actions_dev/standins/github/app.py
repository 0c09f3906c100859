"""The GitHub stand-in's WSGI application: routing, auth, faults, validation, recording.

Example::

    from pathlib import Path
    from release_actions_dev.standins._server import LoopbackServer
    from release_actions_dev.standins.github.app import StandinApp
    from release_actions_dev.standins.github.state import RepoState

    state = RepoState(owner="o", repo="r", default_branch="main", storage=Path("/tmp/x"))
    app = StandinApp(state=state, tokens={"t0ken": "write"})
    with LoopbackServer(app) as server:
        app.base_url = server.url
        ...  # Github(base_url=server.url, auth=Auth.Token("t0ken"))

Most users want ``release_actions_dev.standins.github.GitHubStandin``, which wires this up.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, NamedTuple
from urllib.parse import urlencode

from werkzeug.exceptions import ClientDisconnected, HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import get_input_stream

from release_actions_dev.standins.github.faults import (
    SECONDARY_RATE_LIMIT_DOCS,
    SECONDARY_RATE_LIMIT_MESSAGE,
    FaultPlan,
)
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
#: Writes GitHub counts against the "content-creating requests per minute" limit.
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


def _rule(route: Route) -> Rule:
    path = re.sub(
        r"\{(\w+)\}",
        lambda m: f"<path:{m[1]}>" if m[1] in _MULTI_SEGMENT else f"<{m[1]}>",
        route.spec_path,
    )
    return Rule(path, endpoint=route, methods=[route.method])


_URL_MAP = Map([_rule(r) for r in ROUTES], merge_slashes=False, strict_slashes=False)


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
    return _Reply(
        status, {"message": message, "documentation_url": DOCS, "status": str(status)} | extra
    )


def _not_found() -> _Reply:
    return _error(404, "Not Found")


def _validation_failed(*errors: Mapping[str, Any]) -> _Reply:
    return _error(422, "Validation Failed", errors=[dict(e) for e in errors])


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


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


@dataclass
class _Context:
    request: Request
    route: Route | None
    params: dict[str, str]
    json: Any = None
    token_access: Literal["write", "read"] | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)


class StandinApp:
    """WSGI application serving one repository of the GitHub REST API."""

    def __init__(
        self,
        *,
        state: RepoState,
        tokens: Mapping[str, Literal["write", "read"]],
        faults: FaultPlan | None = None,
        validate: bool = True,
        login: str = "release-bot",
    ) -> None:
        self.state = state
        self.tokens = dict(tokens)
        self.faults = faults or FaultPlan()
        self.login = login
        self.base_url = "http://127.0.0.1"
        self.requests: list[RecordedRequest] = []
        self.violations: list[Violation] = []
        self.validation_seconds = 0.0
        self.validations = 0
        self._validator: SpecValidator | None = validator() if validate else None
        self._record_lock = threading.Lock()
        self._rate_used = 0
        self._rate_reset = int(time.time()) + 3600
        self._handlers: dict[str, Callable[[_Context], tuple[int, Any]]] = {
            "rate-limit/get": self._rate_limit,
            "repos/get": self._get_repo,
            "repos/list-releases": self._list_releases,
            "repos/create-release": self._create_release,
            "repos/get-latest-release": self._latest_release,
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

    # -- URLs ---------------------------------------------------------------------------
    @property
    def repo_api(self) -> str:
        return f"{self.base_url}/repos/{self.state.owner}/{self.state.repo}"

    @property
    def repo_web(self) -> str:
        return f"{self.base_url}/{self.state.owner}/{self.state.repo}"

    # -- WSGI ---------------------------------------------------------------------------
    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        adapter = _URL_MAP.bind_to_environ(environ)
        route: Route | None
        try:
            matched, params = adapter.match()
            route = matched if isinstance(matched, Route) else None
        except HTTPException:
            route, params = None, {}
        ctx = _Context(request=request, route=route, params=dict(params))
        operation_id = route.operation_id if route else None
        method = request.method.upper()
        path = request.path
        injected = False
        status: int | None = None
        try:
            delay = self.faults.delay_for(operation_id=operation_id, method=method, path=path)
            if delay:
                time.sleep(delay)
            status, body, headers, injected = self._serve(ctx, environ)
        except _Dropped:
            raise  # recorded by _drop, before the client could notice
        except ConnectionError:
            self._record(ctx, None, injected=False)  # the client went away
            raise
        response = self._response(status, body, headers)
        if not injected:
            self._validate_response(ctx, response)
        self._record(ctx, status, injected=injected)
        return response(environ, start_response)

    def _serve(
        self, ctx: _Context, environ: WSGIEnvironment
    ) -> tuple[int, Any, dict[str, str], bool]:
        """Status, JSON body, headers and whether the answer was an injected fault."""
        route = ctx.route
        is_upload = route is not None and route.operation_id == "repos/upload-release-asset"
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
                return fault.status, body, dict(fault.headers), True
            if fault is not None and fault.kind == "reset":
                if not is_upload:
                    self._drop(ctx, environ)
                reset_after = fault.after_bytes
            if route.operation_id in _CONTENT_CREATING:
                self._check_write_rate()
            if body_invalid:
                raise _error(422, "Invalid request.\n\n" + "\n".join(request_errors))
            self._check_repo(ctx)
            if is_upload:
                status, body = self._upload_asset(ctx, environ, reset_after)
            else:
                status, body = self._handlers[route.operation_id](ctx)
            return status, body, ctx.extra_headers, False
        except _Reply as reply:
            if is_upload:
                self._drain(environ)
            return reply.status, reply.body, reply.headers, False

    def _drop(self, ctx: _Context, environ: WSGIEnvironment, *, injected: bool = True) -> None:
        """Record the request as dropped (status ``None``), then reset the connection."""
        self._record(ctx, None, injected=injected)
        _drop_connection(environ)

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
        if self._validator is None:
            return []
        is_upload = ctx.route is not None and ctx.route.operation_id == "repos/upload-release-asset"
        # Upload bodies are streamed to disk, never buffered: validate the envelope only.
        body = b"" if is_upload else ctx.request.get_data(cache=True)
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
        )
        with self._record_lock:
            self.requests.append(recorded)

    def _response(self, status: int, body: Any, headers: Mapping[str, str]) -> Response:
        if status == 204 or body is None:
            response = Response(status=status)
        else:
            response = Response(
                json.dumps(body), status=status, content_type="application/json; charset=utf-8"
            )
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
        header = ctx.request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        access = self.tokens.get(token.strip()) if scheme.lower() in {"token", "bearer"} else None
        if access is None:
            raise _error(401, "Bad credentials")
        ctx.token_access = access
        if access == "read" and ctx.request.method not in {"GET", "HEAD"}:
            raise _error(403, "Resource not accessible by integration")

    def _check_write_rate(self) -> None:
        wait = self.faults.count_write()
        if wait is not None:
            body = {
                "message": SECONDARY_RATE_LIMIT_MESSAGE,
                "documentation_url": SECONDARY_RATE_LIMIT_DOCS,
                "status": "403",
            }
            raise _Reply(403, body, {"Retry-After": str(max(1, math.ceil(wait)))})

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
            return self.state.release(self._int_param(ctx, "release_id"))
        except KeyError:
            raise _not_found() from None

    def _asset_or_404(self, ctx: _Context) -> Asset:
        try:
            return self.state.asset(self._int_param(ctx, "asset_id"))
        except KeyError:
            raise _not_found() from None

    def _json_object(self, ctx: _Context) -> dict[str, Any]:
        if ctx.json is None:
            return {}
        if not isinstance(ctx.json, dict):
            raise _error(400, "Problems parsing JSON")
        return ctx.json

    # -- representations ------------------------------------------------------------------
    def user_json(self) -> dict[str, Any]:
        login = self.login
        base = f"{self.base_url}/users/{login}"
        return {
            "login": login,
            "id": 41898282,
            "node_id": "MDM6Qm90NDE4OTgyODI=",
            "avatar_url": f"{self.base_url}/avatars/{login}",
            "gravatar_id": "",
            "url": base,
            "html_url": f"{self.base_url}/{login}",
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

    def asset_json(self, asset: Asset, release: Release) -> dict[str, Any]:
        tag = release.tag_name if not release.draft else f"untagged-{release.id:x}"
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
        tag_path = release.tag_name if not release.draft else f"untagged-{release.id:x}"
        published = not release.draft
        return {
            "url": api,
            "html_url": f"{self.repo_web}/releases/tag/{tag_path}",
            "assets_url": f"{api}/assets",
            "upload_url": f"{api}/assets{{?name,label}}",
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
            return f'<{self.base_url}{ctx.request.path}?{query}>; rel="{rel}"'

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
            .replace("https://api.github.com", self.base_url)
            .replace("https://github.com", self.base_url)
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
        can_write = ctx.token_access in {"write"}
        data["permissions"] = {
            "admin": False,
            "maintain": False,
            "push": can_write,
            "triage": can_write,
            "pull": True,
        }
        return 200, data

    # -- handlers: releases ---------------------------------------------------------------
    def _list_releases(self, ctx: _Context) -> tuple[int, Any]:
        with self.state.lock:
            releases = self.state.releases_newest_first()
            return 200, [self.release_json(r) for r in self._paginate(ctx, releases)]

    def _get_release(self, ctx: _Context) -> tuple[int, Any]:
        with self.state.lock:
            return 200, self.release_json(self._release_or_404(ctx))

    def _release_by_tag(self, ctx: _Context) -> tuple[int, Any]:
        with self.state.lock:
            published = [
                r for r in self.state.find_releases(tag_name=ctx.params["tag"]) if not r.draft
            ]
            if not published:
                raise _not_found()
            return 200, self.release_json(published[0])

    def _latest_release(self, ctx: _Context) -> tuple[int, Any]:
        with self.state.lock:
            latest = self.state.latest_release()
            if latest is None:
                raise _not_found()
            return 200, self.release_json(latest)

    def _check_release_fields(self, data: Mapping[str, Any], *, creating: bool) -> None:
        body = data.get("body")
        if isinstance(body, str) and len(body) > MAX_BODY_CHARS:
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

    def _tag_taken(self, tag_name: str, *, other_than: int | None = None) -> bool:
        return any(
            not r.draft and r.id != other_than for r in self.state.find_releases(tag_name=tag_name)
        )

    def _create_release(self, ctx: _Context) -> tuple[int, Any]:
        data = self._json_object(ctx)
        self._check_release_fields(data, creating=True)
        with self.state.lock:
            tag_name = str(data["tag_name"])
            draft = bool(data.get("draft", False))
            if not draft and self._tag_taken(tag_name):
                raise _validation_failed(
                    {"resource": "Release", "code": "already_exists", "field": "tag_name"}
                )
            make_latest = data.get("make_latest", "true")
            name = data.get("name")
            body = data.get("body")
            if data.get("generate_release_notes"):
                notes = self._notes(tag_name, None)
                name = name or notes["name"]
                body = f"{body}\n\n{notes['body']}" if body else notes["body"]
            release = self.state.add_release(
                tag_name=tag_name,
                draft=draft,
                prerelease=bool(data.get("prerelease", False)),
                name=name,
                body=body,
                target_commitish=data.get("target_commitish") or self.state.default_branch,
                make_latest=None if make_latest == "legacy" else make_latest == "true",
            )
            ctx.extra_headers["Location"] = f"{self.repo_api}/releases/{release.id}"
            return 201, self.release_json(release)

    def _update_release(self, ctx: _Context) -> tuple[int, Any]:
        data = self._json_object(ctx)
        self._check_release_fields(data, creating=False)
        with self.state.lock:
            release = self._release_or_404(ctx)
            if release.immutable:
                # Measured (github/docs#45730): title, notes, prerelease and make_latest may
                # change; the tag may not move. Unpublishing is refused too (assumption).
                if "tag_name" in data and data["tag_name"] != release.tag_name:
                    raise _validation_failed(
                        {
                            "resource": "Release",
                            "code": "custom",
                            "field": "tag_name",
                            "message": "Cannot change the tag of an immutable release",
                        }
                    )
                if data.get("draft") is True:
                    raise _validation_failed(
                        {
                            "resource": "Release",
                            "code": "custom",
                            "field": "draft",
                            "message": "Cannot unpublish an immutable release",
                        }
                    )
            new_tag = str(data.get("tag_name", release.tag_name))
            publishing = release.draft and data.get("draft") is False
            if (
                publishing or (not release.draft and new_tag != release.tag_name)
            ) and self._tag_taken(new_tag, other_than=release.id):
                raise _validation_failed(
                    {"resource": "Release", "code": "already_exists", "field": "tag_name"}
                )
            release.tag_name = new_tag
            for key in ("target_commitish", "name", "body"):
                if key in data:
                    setattr(release, key, data[key])
            if "prerelease" in data:
                release.prerelease = bool(data["prerelease"])
            make_latest = data.get("make_latest")
            if publishing:
                self.state.publish(
                    release,
                    make_latest=None if make_latest in {None, "legacy"} else make_latest == "true",
                )
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
            self.state.delete_release(release.id)
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
            return 200, self.asset_json(asset, self.state.release(asset.release_id))

    def _update_asset(self, ctx: _Context) -> tuple[int, Any]:
        data = self._json_object(ctx)
        with self.state.lock:
            asset = self._asset_or_404(ctx)
            release = self.state.release(asset.release_id)
            if release.immutable:
                raise _validation_failed(
                    {
                        "resource": "ReleaseAsset",
                        "code": "custom",
                        "message": "Cannot update asset on an immutable release",
                    }
                )
            if "name" in data:
                name = github_asset_name(str(data["name"]))
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
                raise _validation_failed(
                    {
                        "resource": "ReleaseAsset",
                        "code": "custom",
                        "message": "Cannot delete asset from an immutable release",
                    }
                )
            self.state.delete_asset(asset.id)
        return 204, None

    def _upload_asset(
        self, ctx: _Context, environ: WSGIEnvironment, reset_after: int | None
    ) -> tuple[int, Any]:
        args = ctx.request.args
        raw_name = args.get("name", "")
        if not raw_name:
            raise _error(
                422,
                "Validation Failed",
                errors=[{"resource": "ReleaseAsset", "code": "missing_field", "field": "name"}],
            )
        name = github_asset_name(raw_name)
        label = args.get("label") or None
        content_type = ctx.request.mimetype or "application/octet-stream"
        with self.state.lock:
            release = self._release_or_404(ctx)
            if release.immutable:
                raise _error(422, "Cannot upload assets to an immutable release")
            if release.asset_named(name) is not None:
                raise _validation_failed(
                    {"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}
                )
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
        expected = ctx.request.content_length
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
            asset.sha256 = digest.hexdigest()
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
