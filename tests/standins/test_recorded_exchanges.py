"""Replay GitHub traffic recorded for real (``@octokit/fixtures``) against the stand-in.

Example::

    .venv/bin/python -m pytest tests/standins/test_recorded_exchanges.py -q

Each scenario of ``src/release_actions_dev/standins/github/recorded/`` (extracted by
``scripts/extract_octokit_fixtures.py``) starts from the recorded state (``setup.json``: the
release, and an earlier upload, seeded into the stand-in), then sends every recorded request
— to the stand-in's API or uploads host, as the recording went to api.github.com or
uploads.github.com — and compares the answer with the recorded one: the same status, the
same keys with values of the same JSON type, the same values where they are not ids, dates,
URLs or the recorder's account, URLs on the matching host with the same path, and the same
rate-limit headers (present on the API, absent on the uploads host).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from release_actions_dev.standins.github import GitHubStandin, github_standin_fixture
from release_actions_dev.standins.github.openapi import load_spec

TOKEN = "0000000000000000000000000000000000000001"  # the recordings' normalised token
SCENARIOS = ("release-assets", "release-assets-conflict")
#: Compared by JSON type only: ids, dates, counts, request ids, commit shas.
VOLATILE = {
    "id",
    "node_id",
    "created_at",
    "updated_at",
    "published_at",
    "download_count",
    "request_id",
    "target_commitish",
}
#: The recorder's account: compared by keys and types only.
ACCOUNTS = {"author", "uploader"}
#: Keys GitHub's description gained after the recording (2022-07-19), per schema.
ADDED_SINCE = {
    "release": {"immutable", "updated_at"},
    "release-asset": {"digest"},
    "simple-user": {"user_view_type"},
}


@cache
def recorded(name: str) -> Any:
    folder = resources.files("release_actions_dev.standins.github").joinpath("recorded")
    return json.loads(folder.joinpath(name).read_text(encoding="utf-8"))


def exchanges(scenario: str) -> list[dict[str, Any]]:
    data = recorded(f"{scenario}.json")
    assert isinstance(data, list)
    return data


@pytest.fixture(params=SCENARIOS)
def scenario(request: pytest.FixtureRequest) -> Iterator[tuple[str, GitHubStandin]]:
    name = str(request.param)
    yield from (
        (name, standin)
        for standin in github_standin_fixture(
            owner="octokit-fixture-org", repo=name, token=TOKEN, read_only_tokens=()
        )
    )


# -- comparing ------------------------------------------------------------------------------
def _kind(value: Any) -> str:
    return (
        "number"
        if isinstance(value, int | float) and not isinstance(value, bool)
        else (type(value).__name__)
    )


def _origin_map(gh: GitHubStandin) -> dict[str, str]:
    return {
        "https://api.github.com": gh.api_url,
        "https://uploads.github.com": gh.uploads_url,
        "https://github.com": gh.app.web_url,
    }


def _same_url(theirs: str, ours: str, gh: GitHubStandin) -> str | None:
    """Why ``ours`` is not the stand-in's spelling of the recorded URL ``theirs``."""
    parts = urlsplit(theirs)
    origin = f"{parts.scheme}://{parts.netloc}"
    mapped = _origin_map(gh).get(origin)
    if mapped is None:
        return None  # another host (avatars): not modelled
    if not ours.startswith(mapped):
        return f"{ours!r} is not on {mapped} (recorded on {origin})"
    digits = re.compile(r"\d+")
    want = digits.sub("<n>", theirs[len(origin) :])
    got = digits.sub("<n>", ours[len(mapped) :])
    return None if want == got else f"path {got!r} instead of {want!r}"


def shape_problems(
    theirs: Any, ours: Any, gh: GitHubStandin, *, where: str = "", values: bool = True
) -> list[str]:
    """Every way ``ours`` differs from the recorded ``theirs`` (see the module docstring)."""
    key = where.rsplit(".", 1)[-1]
    if isinstance(theirs, dict):
        if not isinstance(ours, dict):
            return [f"{where}: {_kind(ours)} instead of an object"]
        problems = [f"{where}.{k}: missing" for k in theirs if k not in ours]
        extra = set(ours) - set(theirs)
        allowed = set().union(*ADDED_SINCE.values())
        problems += [f"{where}.{k}: not in the recording" for k in sorted(extra - allowed)]
        for k in theirs.keys() & ours.keys():
            problems += shape_problems(
                theirs[k], ours[k], gh, where=f"{where}.{k}", values=values and k not in ACCOUNTS
            )
        return problems
    if isinstance(theirs, list):
        if not isinstance(ours, list) or len(ours) != len(theirs):
            return [f"{where}: {ours!r} instead of {len(theirs)} items"]
        return [
            p
            for i, (t, o) in enumerate(zip(theirs, ours, strict=True))
            for p in shape_problems(t, o, gh, where=f"{where}[{i}]", values=values)
        ]
    if theirs is not None and _kind(theirs) != _kind(ours):
        return [f"{where}: {_kind(ours)} instead of {_kind(theirs)}"]
    if not values or key in VOLATILE:
        return []
    if key.endswith("url") and isinstance(theirs, str) and isinstance(ours, str):
        why = _same_url(theirs, ours, gh)
        return [f"{where}: {why}"] if why else []
    return [] if theirs == ours else [f"{where}: {ours!r} instead of {theirs!r}"]


# -- replaying ------------------------------------------------------------------------------
def _seed(gh: GitHubStandin, step: dict[str, Any], ids: dict[str, int]) -> None:
    if step["kind"] == "create-release":
        body = step["body"]
        release = gh.seed_release(
            tag_name=body["tag_name"],
            name=body["name"],
            body=body["body"],
            target_commitish=body["target_commitish"],
        )
        ids["release"] = release.id
    elif step["kind"] == "upload-release-asset":
        asset = gh.seed_asset(
            ids["release"],
            name=step["name"],
            data=step["body"].encode(),
            label=step["label"],
            content_type=step["content_type"],
        )
        ids["asset"] = asset.id


def _send(gh: GitHubStandin, exchange: dict[str, Any], ids: dict[str, int]) -> requests.Response:
    scope = str(exchange["scope"]).removesuffix(":443").replace("https://", "")
    base = gh.uploads_url if scope == "uploads.github.com" else gh.api_url
    path = re.sub(
        r"/releases/assets/1000\b", f"/releases/assets/{ids.get('asset', 0)}", exchange["path"]
    )
    path = re.sub(r"/releases/1000/", f"/releases/{ids.get('release', 0)}/", path)
    headers = {
        k: str(v)
        for k, v in exchange["reqheaders"].items()
        if k.lower() not in {"host", "content-length"}
    }
    body = exchange.get("body")
    data = (
        body.encode()
        if isinstance(body, str) and body
        else json.dumps(body).encode()
        if isinstance(body, dict)
        else None
    )
    return requests.request(
        str(exchange["method"]).upper(), base + path, headers=headers, data=data, timeout=30
    )


def test_recorded_exchanges_replay_with_the_same_answers(
    scenario: tuple[str, GitHubStandin],
) -> None:
    name, gh = scenario
    setup = recorded("setup.json")["scenarios"][name]
    ids: dict[str, int] = {}
    problems: list[str] = []
    for index, exchange in enumerate(exchanges(name)):
        for step in setup:
            if step["before"] == index:
                _seed(gh, step, ids)
        answer = _send(gh, exchange, ids)
        label = f"{name}#{index} {exchange['method'].upper()} {exchange['path']}"
        if answer.status_code != exchange["status"]:
            problems.append(f"{label}: status {answer.status_code} instead of {exchange['status']}")
            continue
        theirs_headers = {k.lower(): v for k, v in exchange["headers"].items()}
        for header in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"):
            if (header in theirs_headers) != (header in answer.headers):
                problems.append(f"{label}: header {header} present: {header in answer.headers}")
        for header in ("content-type", "x-github-media-type"):
            if header in theirs_headers and answer.headers.get(header) != theirs_headers[header]:
                problems.append(f"{label}: {header} {answer.headers.get(header)!r}")
        if "x-github-request-id" not in answer.headers:
            problems.append(f"{label}: no x-github-request-id")
        theirs = exchange["response"]
        if exchange["status"] == 204:
            if answer.content:
                problems.append(f"{label}: a body on 204")
            continue
        ours = answer.json()
        problems += [f"{label}: {p}" for p in shape_problems(theirs, ours, gh, where="$")]
        if isinstance(ours, dict) and answer.status_code == 201:
            ids["asset"] = int(ours["id"])
    assert problems == []
    gh.clear_requests()


@pytest.mark.fidelity(
    "gh.asset-json", "gh.asset-name-conflict", "gh.upload-error-shape", "gh.rate-limit-headers"
)
def test_the_rules_the_recordings_show(scenario: tuple[str, GitHubStandin]) -> None:
    """The recorded answers these rules rest on are in the committed data."""
    name, _ = scenario
    recorded_exchanges = exchanges(name)
    uploads = [e for e in recorded_exchanges if "uploads.github.com" in e["scope"]]
    assert uploads
    for exchange in uploads:
        assert not any(h.startswith("x-ratelimit") for h in exchange["headers"])
    for exchange in recorded_exchanges:
        if "api.github.com" in exchange["scope"]:
            assert "x-ratelimit-limit" in exchange["headers"]
    if name == "release-assets-conflict":
        conflict = recorded_exchanges[1]["response"]
        assert recorded_exchanges[1]["status"] == 422
        assert conflict["errors"] == [
            {"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}
        ]
        assert "request_id" in conflict
        assert "status" not in conflict


def test_keys_added_since_the_recording_are_in_githubs_description() -> None:
    schemas = load_spec()["components"]["schemas"]
    for schema, keys in ADDED_SINCE.items():
        assert keys <= set(schemas[schema]["properties"]), schema


def test_the_data_is_what_the_script_extracts() -> None:
    setup = recorded("setup.json")
    assert setup["extracted-from"]["package"] == "@octokit/fixtures"
    assert setup["extracted-from"]["version"] == "23.1.2"
    folder = resources.files("release_actions_dev.standins.github").joinpath("recorded")
    assert "Licensed as MIT" in folder.joinpath("NOTICE").read_text(encoding="utf-8")
    assert [len(exchanges(s)) for s in SCENARIOS] == [6, 5]
    assert PurePosixPath(setup["extracted-from"]["script"]).name == "extract_octokit_fixtures.py"
