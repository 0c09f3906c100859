"""Validate the stand-in's traffic against GitHub's OpenAPI description (committed subset).

Example::

    from release_actions_dev.standins.github.openapi import ApiRequest, ApiResponse, validator

    checker = validator()  # parsed once per process, then cached
    errors = checker.request_errors(
        ApiRequest(method="post", path="/repos/o/r/releases", path_pattern=None,
                   path_params={}, query={}, headers={}, content_type="application/json",
                   body=b'{"tag_name": "v1", "draft": "yes"}')
    )
    assert errors  # draft must be a boolean

The committed ``spec/github-rest-subset.json`` is GitHub's description, unmodified. The
shims below are applied to an in-memory copy used for validation only; each one answers a
known gap between the description and what GitHub (and PyGithub) really do. They are listed
in ``spec/README.md`` too.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

__all__ = [
    "SPEC_FILE",
    "ApiRequest",
    "ApiResponse",
    "SpecValidator",
    "load_spec",
    "shimmed_spec",
    "validator",
    "without_empty_label",
]

SPEC_FILE = "github-rest-subset.json"
_CACHE_SIZE = 2048
_UPLOAD = ("/repos/{owner}/{repo}/releases/{release_id}/assets", "post")


@functools.cache
def load_spec() -> Mapping[str, Any]:
    """The committed subset, as GitHub publishes it (read once per process)."""
    text = resources.files(__package__).joinpath("spec", SPEC_FILE).read_text(encoding="utf-8")
    spec: dict[str, Any] = json.loads(text)
    return spec


def spec_version() -> str:
    """The pinned ``@octokit/openapi`` version the subset was extracted from."""
    return str(load_spec()["info"]["x-extracted-from"]["version"])


def shimmed_spec() -> dict[str, Any]:
    """A deep copy of the subset with the documented spec-vs-reality shims applied."""
    spec = copy.deepcopy(dict(load_spec()))

    # fidelity: gh.openapi-validation
    # Shim 1 — paths, not servers. The description says uploads go to
    # https://uploads.github.com and everything else to https://api.github.com (GHES:
    # /api/uploads and /api/v3); the stand-in serves them on loopback origins of its own
    # and matches operations by their path inside those prefixes.
    spec.pop("servers", None)
    for item in spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict):
                operation.pop("servers", None)

    # Shim 2 — upload content types. Only application/octet-stream is declared, but GitHub
    # takes the asset's media type from Content-Type (docs: "Use the required Content-Type
    # header to provide the media type of the asset", e.g. application/zip), and PyGithub
    # sends mimetypes.guess_type() of the file.
    upload = spec["paths"][_UPLOAD[0]][_UPLOAD[1]]
    content = upload["requestBody"]["content"]
    content["*/*"] = copy.deepcopy(content["application/octet-stream"])

    # Shim 3 — PyGithub's upload_asset always sends ``label=`` (empty when not given);
    # GitHub accepts it, the description does not allow empty values. Declaring
    # ``allowEmptyValue`` would work but openapi-core warns on every use (deprecated), so
    # ``without_empty_label`` drops that one empty value before validation instead.
    # Shim 4 — a failed upload leaves an asset in state "starter" (documented in the
    # upload operation's own description), but the release-asset schema's enum only lists
    # "uploaded" and "open".
    state = spec["components"]["schemas"]["release-asset"]["properties"]["state"]
    state["enum"] = [*state["enum"], "starter"]

    # Shim 5 — the duplicate-name 422 of the upload has no declared body; GitHub sends the
    # usual validation-error body ({"message": "Validation Failed", "errors": [...]}).
    upload["responses"]["422"] = {"$ref": "#/components/responses/validation_failed"}

    # Shim 6 — any operation can answer 401 (bad credentials), 403 (no permission,
    # secondary rate limit), 404, 422 (immutable release) or 5xx; most operations do not
    # declare them. Undeclared statuses are validated against basic-error.
    default = {
        "description": "Any error GitHub may return (stand-in shim)",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/basic-error"}}},
    }
    for item in spec["paths"].values():
        for method, operation in item.items():
            if method != "parameters":
                operation["responses"].setdefault("default", default)

    # Shim 7 — the spec's own full-repository example (the stand-in's template for
    # GET /repos/{owner}/{repo}) lacks has_discussions and language, both required by the
    # full-repository schema (language is nullable), and its ``source`` lacks language too.
    example = spec["components"]["examples"]["full-repository-default-response"]["value"]
    example.setdefault("has_discussions", False)
    example.setdefault("language", None)
    example["source"].setdefault("language", None)

    # Shim 8 — ``{ref}`` (and ``{tag}``) may contain "/" ("tags/v1.0.0"; the parameter is
    # marked ``x-multi-segment: true``), but OpenAPI path templating matches one segment.
    # Not a change to the document: the stand-in passes openapi-core the matched path
    # pattern and parameters from its own router (see ``ApiRequest.path_pattern``).
    return spec


def without_empty_label(
    spec_path: str | None, method: str, query: Mapping[str, list[str]]
) -> dict[str, list[str]]:
    """Shim 3: the query of an upload with PyGithub's empty ``label=`` left out."""
    if (spec_path, method.lower()) == _UPLOAD and query.get("label") == [""]:
        return {k: v for k, v in query.items() if k != "label"}
    return dict(query)


@dataclass(slots=True)
class ApiRequest:
    """A request as openapi-core's ``Request`` + ``SupportsPathPattern`` protocols want it."""

    method: str
    path: str
    path_pattern: str | None
    path_params: Mapping[str, Any]
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    content_type: str
    body: bytes | None
    host_url: str = "http://127.0.0.1"
    parameters: RequestParameters = field(init=False)

    def __post_init__(self) -> None:
        params = RequestParameters(
            path=dict(self.path_params),
            query=ImmutableMultiDict([(k, v) for k, vs in self.query.items() for v in vs]),
            header=Headers(list(self.headers.items())),
        )
        self.parameters = params


@dataclass(frozen=True, slots=True)
class ApiResponse:
    """A response as openapi-core's ``Response`` protocol wants it."""

    status_code: int
    content_type: str
    headers: Mapping[str, str]
    data: bytes | None


class SpecValidator:
    """openapi-core validation of requests and responses against the shimmed subset."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        started = time.perf_counter()
        self._openapi = OpenAPI.from_dict(dict(spec), config=Config())
        self._lock = threading.Lock()
        self._cache: OrderedDict[Hashable, tuple[str, ...]] = OrderedDict()
        self.cache_hits = 0
        self.load_seconds = time.perf_counter() - started

    @staticmethod
    def _messages(errors: Iterable[Exception]) -> list[str]:
        messages: list[str] = []
        for error in errors:
            cause = error.__cause__
            details = getattr(cause, "schema_errors", None) or getattr(error, "schema_errors", None)
            if details:
                text = f"{type(error).__name__}: " + "; ".join(
                    f"{'/'.join(str(p) for p in d.path) or '<root>'}: {d.message}" for d in details
                )
            else:
                text = f"{type(error).__name__}: {error}"
                if cause is not None:
                    text += f" ({type(cause).__name__}: {cause})"
            messages.append(text)
        return messages

    def request_errors(self, request: ApiRequest) -> list[str]:
        """Every way ``request`` violates the description (empty when it conforms)."""
        key = (
            "request",
            request.method,
            request.path_pattern,
            request.path,
            tuple(sorted((k, tuple(v)) for k, v in request.query.items())),
            request.content_type,
            _digest(request.body),
        )
        return self._memo(key, lambda: self._openapi.iter_request_errors(request))

    def response_errors(self, request: ApiRequest, response: ApiResponse) -> list[str]:
        """Every way ``response`` (to ``request``) violates the description."""
        volatile = {"x-ratelimit-remaining", "x-ratelimit-used", "x-ratelimit-reset", "date"}
        key = (
            "response",
            request.method,
            request.path_pattern,
            request.path,
            response.status_code,
            response.content_type,
            tuple(
                sorted(
                    (k.lower(), v) for k, v in response.headers.items() if k.lower() not in volatile
                )
            ),
            _digest(response.data),
        )
        return self._memo(key, lambda: self._openapi.iter_response_errors(request, response))

    def _memo(self, key: Hashable, run: Callable[[], Iterable[Exception]]) -> list[str]:
        """Validation results by content: an identical message is validated once.

        The rate-limit headers (which change on every response) are left out of the key;
        they are only declared, as integers, on ``GET /rate_limit``, whose body changes
        with them anyway.
        """
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                self.cache_hits += 1
                return list(self._cache[key])
        errors = self._messages(run())
        with self._lock:
            self._cache[key] = tuple(errors)
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return errors


def _digest(data: bytes | None) -> bytes | None:
    return hashlib.blake2b(data, digest_size=16).digest() if data is not None else None


@functools.cache
def validator() -> SpecValidator:
    """The process-wide validator (building it parses and checks the spec: done once)."""
    return SpecValidator(shimmed_spec())
