"""The GitHub stand-in, driven by PyGithub (and raw HTTP where PyGithub cannot say it).

Example::

    .venv/bin/python -m pytest tests/standins/test_github_standin.py -q

Each test names the rules of ``src/release_actions_dev/standins/FIDELITY.md`` it exercises.
PyGithub's own ``upload_asset`` only accepts an upload URL on the API's port or on a
sibling host name, so tests that upload with it use the GHES layout (``ghes`` fixture).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from github import Auth, BadCredentialsException, Github, GithubException, UnknownObjectException
from github.GithubRetry import GithubRetry

from release_actions_dev.standins.github import (
    GitHubStandin,
    SpecViolationError,
    github_asset_name,
    github_standin_fixture,
)
from release_actions_dev.standins.github.app import MAX_ASSET_SIZE, MAX_ASSETS, ROUTES
from release_actions_dev.standins.github.openapi import load_spec, spec_version


def client(standin: GitHubStandin, token: str | None = None, **options: Any) -> Github:
    """PyGithub against the stand-in, without PyGithub's write throttle (tests stay fast)."""
    options.setdefault("retry", None)
    return Github(
        base_url=standin.api_url,
        auth=Auth.Token(token or standin.token),
        seconds_between_requests=0,
        seconds_between_writes=0,
        **options,
    )


def get(url: str, **options: Any) -> requests.Response:
    return requests.request("GET", url, timeout=30, **options)


def post(url: str, **options: Any) -> requests.Response:
    return requests.request("POST", url, timeout=30, **options)


def headers(standin: GitHubStandin, token: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token or standin.token}"}


def new_draft(repo: Any, tag: str, message: str = "", **options: Any) -> Any:
    """A draft through PyGithub, which sends ``make_latest`` always ("true" unless told)."""
    options.setdefault("make_latest", "false")
    return repo.create_git_release(tag, tag, message, draft=True, **options)


def upload_url(standin: GitHubStandin, release_id: int) -> str:
    return str(standin.app.release_json(standin.release(release_id))["upload_url"]).split("{")[0]


def upload(
    standin: GitHubStandin, release_id: int, name: str, data: bytes, **options: Any
) -> requests.Response:
    """POST ``data`` to the release's ``upload_url`` (the uploads host)."""
    return post(
        upload_url(standin, release_id),
        params={"name": name},
        data=data,
        headers=headers(standin) | {"Content-Type": "application/octet-stream"},
        **options,
    )


@pytest.fixture
def ghes() -> Iterator[GitHubStandin]:
    """The GitHub Enterprise Server layout: /api/v3 and /api/uploads on one origin."""
    yield from github_standin_fixture(layout="ghes")


@pytest.fixture
def wheel(tmp_path: Path) -> Path:
    path = tmp_path / "demo-1.0.0-py3-none-any.whl"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 40)
    return path


# -- spec, pin and startup ----------------------------------------------------------------


def test_routes_are_the_spec_operations() -> None:
    spec = load_spec()
    assert spec_version() == "23.0.2"
    for route in ROUTES:
        operation = spec["paths"][route.spec_path][route.method.lower()]
        assert operation["operationId"] == route.operation_id
    served = {(r.spec_path, r.method.lower()) for r in ROUTES}
    declared = {(p, m) for p, item in spec["paths"].items() for m in item if m != "parameters"}
    assert served == declared


def test_startup_is_fast_after_first_load() -> None:
    with GitHubStandin():
        pass  # first load parses the spec
    started = time.perf_counter()
    with GitHubStandin() as standin:
        response = get(f"{standin.api_url}/rate_limit", headers=headers(standin))
        ready = time.perf_counter() - started
    assert response.status_code == 200
    print(f"stand-in started and answered in {ready * 1000:.1f} ms")
    assert ready < 0.5


# -- hosts and layouts ----------------------------------------------------------------------


@pytest.mark.fidelity("gh.upload-origin", "gh.rate-limit-headers")
def test_uploads_have_their_own_origin(github_standin: GitHubStandin) -> None:
    gh = github_standin
    release = gh.seed_release(tag_name="v1.0.0", draft=True)
    target = upload_url(gh, release.id)
    assert target.startswith(gh.uploads_url)
    assert gh.uploads_url.rsplit(":", 1)[1] != gh.api_url.rsplit(":", 1)[1]  # another port
    # The API host does not take uploads (the product must follow upload_url).
    on_api = post(
        f"{gh.api_url}/repos/{gh.repository}/releases/{release.id}/assets?name=a.bin",
        data=b"x",
        headers=headers(gh) | {"Content-Type": "application/octet-stream"},
    )
    assert on_api.status_code == 404
    gh.clear_violations()  # an unknown endpoint is a violation, as it should be
    answer = upload(gh, release.id, "a.bin", b"x")
    assert answer.status_code == 201
    assert "x-ratelimit-limit" not in answer.headers  # recorded: none on uploads.github.com
    assert answer.headers["cache-control"] == "no-cache"
    assert answer.json()["url"].startswith(gh.api_url)  # the asset lives on the API
    # Nothing but uploads on the uploads host.
    assert get(f"{gh.uploads_url}/rate_limit", headers=headers(gh)).status_code == 404
    [recorded] = gh.requests_for("repos/upload-release-asset")
    assert recorded.server == "uploads"


@pytest.mark.fidelity("gh.upload-origin")
def test_ghes_layout_serves_api_v3_and_api_uploads(ghes: GitHubStandin, wheel: Path) -> None:
    assert ghes.api_url == f"{ghes.url}/api/v3"
    assert ghes.uploads_url == f"{ghes.url}/api/uploads"
    repo = client(ghes).get_repo(ghes.repository)
    release = new_draft(repo, "v1.0.0")
    assert release.url.startswith(f"{ghes.url}/api/v3/repos/")
    assert release.upload_url.startswith(f"{ghes.url}/api/uploads/repos/")
    asset = release.upload_asset(str(wheel))  # PyGithub's own check passes: /api/, same port
    assert asset.state == "uploaded"
    assert [a.name for a in repo.get_release(release.id).get_assets()] == [wheel.name]
    assert ghes.environ()["GITHUB_API_URL"] == ghes.api_url
    assert ghes.environ()["GITHUB_SERVER_URL"] == ghes.url
    # Pagination links keep the /api/v3 prefix.
    for minor in range(3):
        ghes.seed_release(tag_name=f"v0.{minor}.0")
    page = get(f"{ghes.api_url}/repos/{ghes.repository}/releases?per_page=2", headers=headers(ghes))
    assert page.links["next"]["url"].startswith(f"{ghes.api_url}/repos/")


@pytest.mark.fidelity("gh.upload-origin")
def test_ghes_with_uploads_on_their_own_origin() -> None:
    with GitHubStandin(layout="ghes", own_uploads_origin=True) as standin:
        release = standin.seed_release(tag_name="v1.0.0", draft=True)
        assert standin.uploads_url.endswith("/api/uploads")
        assert not standin.uploads_url.startswith(standin.url)
        assert upload(standin, release.id, "a.bin", b"x").status_code == 201
        standin.assert_no_violations()


def test_pygithub_upload_asset_refuses_an_upload_port_unlike_the_api(
    github_standin: GitHubStandin, wheel: Path
) -> None:
    """PyGithub's URL check (real behaviour of the library): an upload URL on the API's host
    must share its port; a sibling host (uploads.github.com) would pass, loopback has none."""
    release = github_standin.seed_release(tag_name="v1.0.0", draft=True)
    gh_release = client(github_standin).get_repo(github_standin.repository).get_release(release.id)
    with pytest.raises(AssertionError):
        gh_release.upload_asset(str(wheel))
    assert github_standin.requests_for("repos/upload-release-asset") == []


# -- releases -----------------------------------------------------------------------------


@pytest.mark.fidelity("gh.draft-no-tag")
def test_create_release_with_pygithub(github_standin: GitHubStandin) -> None:
    repo = client(github_standin).get_repo(github_standin.repository)
    assert repo.default_branch == "main"
    release = repo.create_git_release(
        "v1.0.0", "Demo 1.0.0", "notes", draft=True, make_latest="false"
    )
    assert release.draft
    assert release.upload_url == (
        f"{github_standin.uploads_url}/repos/{github_standin.repository}"
        f"/releases/{release.id}/assets{{?name,label}}"
    )
    stored = github_standin.release(release.id)
    assert (stored.tag_name, stored.name, stored.body, stored.draft) == (
        "v1.0.0",
        "Demo 1.0.0",
        "notes",
        True,
    )
    assert "refs/tags/v1.0.0" not in github_standin.state.refs  # drafts create no tag
    [create] = github_standin.requests_for("repos/create-release")
    assert create.status == 201
    assert create.json["tag_name"] == "v1.0.0"


@pytest.mark.fidelity("gh.tag-already-released", "gh.draft-no-tag")
def test_publishing_creates_the_tag_and_duplicate_published_tag_is_422(
    github_standin: GitHubStandin,
) -> None:
    repo = client(github_standin).get_repo(github_standin.repository)
    release = new_draft(repo, "v1.0.0")
    release.update_release("v1.0.0", "", draft=False)
    assert not github_standin.release(release.id).draft
    assert "refs/tags/v1.0.0" in github_standin.state.refs
    # A second draft for the tag is allowed (GitHub allows it) ...
    new_draft(repo, "v1.0.0")
    # ... a second published release is not.
    with pytest.raises(GithubException) as caught:
        repo.create_git_release("v1.0.0", "again", "", draft=False)
    assert caught.value.status == 422
    assert caught.value.data["errors"] == [
        {"resource": "Release", "code": "already_exists", "field": "tag_name"}
    ]


@pytest.mark.fidelity("gh.make-latest-draft")
def test_make_latest_true_is_refused_for_drafts_and_prereleases(
    github_standin: GitHubStandin,
) -> None:
    refusal = {
        "resource": "Release",
        "code": "custom",
        "message": "Latest release cannot be draft or prerelease.",
    }
    repo = client(github_standin).get_repo(github_standin.repository)
    with pytest.raises(GithubException) as draft:  # PyGithub sends make_latest="true" by default
        repo.create_git_release("v1.0.0", "v1.0.0", "", draft=True)
    assert draft.value.status == 422
    assert draft.value.data["message"] == "Validation Failed"
    assert draft.value.data["errors"] == [refusal]
    with pytest.raises(GithubException) as pre:
        repo.create_git_release("v2.0.0rc1", "rc", "", prerelease=True, make_latest="true")
    assert pre.value.data["errors"] == [refusal]
    assert github_standin.releases() == []
    made = new_draft(repo, "v1.0.0")  # make_latest "false" on a draft is accepted
    with pytest.raises(GithubException) as patch:
        made.update_release("v1.0.0", "", draft=True, make_latest="true")  # stays a draft
    assert patch.value.data["errors"] == [refusal]
    url = f"{github_standin.api_url}/repos/{github_standin.repository}/releases"
    plain = post(url, json={"tag_name": "v3.0.0", "draft": True}, headers=headers(github_standin))
    assert plain.status_code == 201  # no make_latest at all: fine


@pytest.mark.fidelity("gh.make-latest-publish", "gh.latest-no-drafts")
def test_publishing_decides_latest_and_forgets_the_drafts_make_latest(
    github_standin: GitHubStandin,
) -> None:
    gh = github_standin
    old = gh.seed_release(tag_name="v0.9.0")
    assert gh.state.latest_release_id == old.id
    repo = client(gh).get_repo(gh.repository)
    draft = new_draft(repo, "v1.0.0")  # created with make_latest "false" ...
    draft.update_release("v1.0.0", "", draft=False)  # ... published without it: latest
    assert repo.get_latest_release().id == draft.id
    pre = repo.create_git_release(
        "v2.0.0rc1", "rc", "", draft=True, prerelease=True, make_latest="false"
    )
    pre.update_release("v2.0.0rc1", "", draft=False, prerelease=True)
    assert repo.get_latest_release().id == draft.id  # prereleases are never latest
    kept = new_draft(repo, "v1.0.1")
    kept.update_release("v1.0.1", "", draft=False, make_latest="false")
    assert repo.get_latest_release().id == draft.id


@pytest.mark.fidelity("gh.list-order", "gh.draft-visibility")
def test_list_includes_drafts_across_pages_newest_first(github_standin: GitHubStandin) -> None:
    draft = github_standin.seed_release(tag_name="v0.0.0", draft=True)  # oldest: last page
    for minor in range(1, 35):
        github_standin.seed_release(tag_name=f"v0.{minor}.0")
    repo = client(github_standin).get_repo(github_standin.repository)
    releases = list(repo.get_releases())
    assert len(releases) == 35
    assert [r.id for r in releases] == sorted((r.id for r in releases), reverse=True)
    assert releases[-1].id == draft.id
    assert releases[-1].draft
    pages = github_standin.requests_for("repos/list-releases")
    assert len(pages) == 2  # 30 per page by default


@pytest.mark.fidelity("gh.draft-visibility", "gh.by-tag-no-drafts")
def test_drafts_are_invisible_to_a_read_only_token(github_standin: GitHubStandin) -> None:
    gh = github_standin
    draft = gh.seed_release(tag_name="v1.0.0", draft=True)
    gh.seed_asset(draft.id, name="a.whl", data=b"a")
    published = gh.seed_release(tag_name="v0.9.0")
    [token] = gh.read_only_tokens
    repo = client(gh, token=token).get_repo(gh.repository)
    assert [r.id for r in repo.get_releases()] == [published.id]
    with pytest.raises(UnknownObjectException):
        repo.get_release(draft.id)
    with pytest.raises(UnknownObjectException):
        repo.get_release("v1.0.0")
    base = f"{gh.api_url}/repos/{gh.repository}/releases"
    assert get(f"{base}/{draft.id}/assets", headers=headers(gh, token)).status_code == 404
    writer = client(gh).get_repo(gh.repository)
    assert {r.id for r in writer.get_releases()} == {draft.id, published.id}


@pytest.mark.fidelity("gh.repo-permissions")
def test_repository_permissions_only_for_tokens_that_are_not_installation_tokens() -> None:
    with GitHubStandin(
        token="ghp_personal_write", read_only_tokens=("ghs_installation_read",)
    ) as gh:
        url = f"{gh.api_url}/repos/{gh.repository}"
        personal = get(url, headers=headers(gh, "ghp_personal_write")).json()
        assert personal["permissions"]["push"] is True
        installation = get(url, headers=headers(gh, "ghs_installation_read")).json()
        assert "permissions" not in installation  # GITHUB_TOKEN is an installation token
        gh.assert_no_violations()


@pytest.mark.fidelity("gh.list-pagination")
def test_link_header_pagination(github_standin: GitHubStandin) -> None:
    for minor in range(25):
        github_standin.seed_release(tag_name=f"v0.{minor}.0")
    base = f"{github_standin.api_url}/repos/{github_standin.repository}/releases"
    first = get(base, params={"per_page": 10}, headers=headers(github_standin))
    assert len(first.json()) == 10
    assert first.links["next"]["url"] == f"{base}?per_page=10&page=2"
    assert first.links["last"]["url"] == f"{base}?per_page=10&page=3"
    assert "prev" not in first.links
    last = get(first.links["last"]["url"], headers=headers(github_standin))
    assert len(last.json()) == 5
    assert "next" not in last.links
    assert last.links["first"]["url"] == f"{base}?per_page=10&page=1"
    capped = get(base, params={"per_page": 500}, headers=headers(github_standin))
    assert len(capped.json()) == 25
    assert "Link" not in capped.headers


@pytest.mark.fidelity("gh.by-tag-no-drafts", "gh.latest-no-drafts")
def test_by_tag_and_latest_never_return_drafts(github_standin: GitHubStandin) -> None:
    stable = github_standin.seed_release(tag_name="v1.0.0")
    github_standin.seed_release(tag_name="v2.0.0rc1", prerelease=True)
    github_standin.seed_release(tag_name="v2.0.0", draft=True)
    repo = client(github_standin).get_repo(github_standin.repository)
    with pytest.raises(UnknownObjectException):
        repo.get_release("v2.0.0")
    assert repo.get_release("v1.0.0").id == stable.id
    assert repo.get_latest_release().id == stable.id


@pytest.mark.fidelity("gh.content-limits")
def test_generate_notes(github_standin: GitHubStandin) -> None:
    github_standin.seed_release(tag_name="v0.9.0")
    github_standin.faults.content_limits(per_minute=0, per_hour=0)  # creation: blocked
    repo = client(github_standin).get_repo(github_standin.repository)
    notes = repo.generate_release_notes("v1.0.0")  # creates nothing: not a content request
    assert notes.name == "v1.0.0"
    assert "/compare/v0.9.0...v1.0.0" in notes.body


@pytest.mark.fidelity("gh.body-limit", "gh.error-shape")
def test_long_body_is_refused(github_standin: GitHubStandin) -> None:
    repo = client(github_standin).get_repo(github_standin.repository)
    with pytest.raises(GithubException) as caught:
        new_draft(repo, "v1.0.0", message="x" * 125_001)
    assert caught.value.status == 422
    assert caught.value.data["status"] == "422"
    assert caught.value.data["errors"] == [
        {
            "resource": "Release",
            "code": "custom",
            "field": "body",
            "message": "body is too long (maximum is 125000 characters)",
        }
    ]
    assert github_standin.releases() == []


# -- assets -------------------------------------------------------------------------------


@pytest.mark.fidelity("gh.asset-digest", "gh.asset-json")
def test_upload_asset_digest_and_state(ghes: GitHubStandin, wheel: Path) -> None:
    repo = client(ghes).get_repo(ghes.repository)
    release = new_draft(repo, "v1.0.0")
    asset = release.upload_asset(str(wheel))
    data = wheel.read_bytes()
    assert asset.name == wheel.name
    assert asset.size == len(data)
    assert asset.state == "uploaded"
    assert asset.digest == f"sha256:{hashlib.sha256(data).hexdigest()}"
    assert asset.browser_download_url.endswith(f"/{wheel.name}")
    [stored] = ghes.assets(release.id)
    assert stored.read_bytes() == data
    assert stored.path is not None
    assert stored.path.is_file()  # bytes live on disk, not in memory
    ghes.clear_requests()
    [listed] = repo.get_release(release.id).get_assets()
    assert (listed.digest, listed.state, listed.size) == (asset.digest, "uploaded", len(data))
    assert len(ghes.requests) == 2  # the release, one page of assets: nothing completed


@pytest.mark.fidelity("gh.digest-null", "gh.asset-json")
def test_assets_from_before_digests_have_digest_null(github_standin: GitHubStandin) -> None:
    release = github_standin.seed_release(tag_name="v1.0.0")
    github_standin.seed_asset(release.id, name="old.whl", data=b"old", digest_recorded=False)
    repo = client(github_standin).get_repo(github_standin.repository)
    gh_release = repo.get_release(release.id)
    github_standin.clear_requests()
    [asset] = gh_release.get_assets()
    assert asset.digest is None
    assert asset.size == 3
    assert len(github_standin.requests) == 1  # null is a value: no completion request


@pytest.mark.fidelity("gh.asset-download")
def test_asset_bytes_download(github_standin: GitHubStandin) -> None:
    gh = github_standin
    release = gh.seed_release(tag_name="v1.0.0")
    payload = bytes(range(256)) * 4096
    asset = gh.seed_asset(release.id, name="big.bin", data=payload)
    api = f"{gh.api_url}/repos/{gh.repository}/releases/assets/{asset.id}"
    octet = {"Accept": "application/octet-stream"}
    redirect = get(api, headers=headers(gh) | octet, allow_redirects=False)
    assert redirect.status_code == 302
    assert "sig=" in redirect.headers["Location"]
    followed = get(api, headers=headers(gh) | octet)
    assert followed.content == payload
    assert get(redirect.headers["Location"].split("?")[0]).status_code == 404  # signed only
    assert get(api, headers=headers(gh)).json()["id"] == asset.id  # JSON without the Accept
    assert get(gh.app.asset_json(asset, release)["browser_download_url"]).content == payload
    # A draft's download URL needs a token that may push.
    draft = gh.seed_release(tag_name="v2.0.0", draft=True)
    hidden = gh.seed_asset(draft.id, name="d.bin", data=b"draft")
    url = gh.app.asset_json(hidden, draft)["browser_download_url"]
    assert get(url).status_code == 404
    assert get(url, headers=headers(gh)).content == b"draft"
    # PyGithub's own download follows the redirect too.
    gh_asset = client(gh).get_repo(gh.repository).get_release(release.id).get_assets()[0]
    _, _, chunks = gh_asset.download_asset(chunk_size=65536)
    assert b"".join(chunks) == payload


@pytest.mark.fidelity("gh.asset-name-conflict", "gh.upload-error-shape")
def test_duplicate_asset_name_is_422_already_exists(github_standin: GitHubStandin) -> None:
    release = github_standin.seed_release(tag_name="v1.0.0", draft=True)
    assert upload(github_standin, release.id, "a.whl", b"one").status_code == 201
    again = upload(github_standin, release.id, "a.whl", b"two")
    assert again.status_code == 422
    body = again.json()
    assert body["message"] == "Validation Failed"
    assert body["errors"] == [
        {"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}
    ]
    assert body["request_id"] == again.headers["x-github-request-id"]
    assert "status" not in body  # the uploads host's errors carry a request id instead
    assert len(github_standin.assets(release.id)) == 1


@pytest.mark.fidelity("gh.asset-rename")
def test_update_and_delete_asset(ghes: GitHubStandin, wheel: Path) -> None:
    repo = client(ghes).get_repo(ghes.repository)
    release = new_draft(repo, "v1.0.0")
    asset = release.upload_asset(str(wheel), label="The wheel")
    assert asset.label == "The wheel"
    renamed = asset.update_asset("renamed file.whl", label="Renamed")
    assert renamed.name == "renamed.file.whl"
    assert asset.delete_asset()
    assert ghes.assets(release.id) == []


@pytest.mark.fidelity("gh.asset-rename")
@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("demo-1.0.0-py3-none-any.whl", "demo-1.0.0-py3-none-any.whl"),
        ("demo-1.0+local-py3-none-any.whl", "demo-1.0+local-py3-none-any.whl"),
        ("my tool.tar.gz", "my.tool.tar.gz"),
        ("pkg_1.0-1~buster_amd64.deb", "pkg_1.0-1.buster_amd64.deb"),
        ("pkg-1:2.0.tar.gz", "pkg-1.2.0.tar.gz"),
        ("app-(15-5).apk", "app-.15-5.apk"),
        ("a  b", "a.b"),
        ("x%%!!y.txt", "x.y.txt"),
        (".hidden.", "hidden"),
        ("żółw.txt", "zolw.txt"),
    ],
)
def test_github_asset_name(given: str, stored: str) -> None:
    assert github_asset_name(given) == stored


@pytest.mark.fidelity("gh.asset-rename")
def test_uploaded_names_match_the_prediction(ghes: GitHubStandin, tmp_path: Path) -> None:
    repo = client(ghes).get_repo(ghes.repository)
    release = new_draft(repo, "v1.0.0")
    names = ["demo-1.0+local-py3-none-any.whl", "my tool.tar.gz", "x~y:z.zip"]
    for name in names:
        path = tmp_path / name
        path.write_bytes(name.encode())
        asset = release.upload_asset(str(path))
        assert asset.name == github_asset_name(name)
    assert [a.name for a in ghes.assets(release.id)] == [
        "demo-1.0+local-py3-none-any.whl",
        "my.tool.tar.gz",
        "x.y.z.zip",
    ]


@pytest.mark.fidelity("gh.asset-rename")
def test_raw_plus_in_query_decodes_to_space(github_standin: GitHubStandin) -> None:
    release = github_standin.seed_release(tag_name="v1.0.0", draft=True)
    response = post(
        f"{upload_url(github_standin, release.id)}?name=a+b.whl",
        data=b"x",
        headers=headers(github_standin) | {"Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 201
    assert response.json()["name"] == "a.b.whl"


def _raw_upload(
    standin: GitHubStandin, release_id: int, name: str, size: int, *, send: int | None = None
) -> tuple[int, bytes]:
    """Send an upload over a raw connection (``send`` bytes of the declared ``size``)."""
    target = upload_url(standin, release_id)
    host, port = target.split("//", 1)[1].split("/", 1)[0].split(":")
    path = "/" + target.split("//", 1)[1].split("/", 1)[1]
    connection = http.client.HTTPConnection(host, int(port))
    connection.putrequest("POST", f"{path}?name={name}")
    connection.putheader("Authorization", f"token {standin.token}")
    connection.putheader("Content-Type", "application/octet-stream")
    connection.putheader("Content-Length", str(size))
    connection.endheaders()
    try:
        for _ in range((size if send is None else send) // 65536):
            connection.send(b"\0" * 65536)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.fidelity("gh.starter-leftover")
def test_reset_mid_upload_leaves_a_starter_asset(ghes: GitHubStandin, wheel: Path) -> None:
    release = ghes.seed_release(tag_name="v1.0.0", draft=True)
    ghes.faults.reset("repos/upload-release-asset", after_bytes=100_000)
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        _raw_upload(ghes, release.id, wheel.name, 4 * 1024 * 1024)
    [starter] = ghes.assets(release.id)
    assert (starter.name, starter.state, starter.size, starter.digest) == (
        wheel.name,
        "starter",
        0,
        None,
    )
    assert ghes.requests_for("repos/upload-release-asset")[-1].status is None

    # The leftover blocks the name until deleted, exactly like GitHub.
    gh_release = client(ghes).get_repo(ghes.repository).get_release(release.id)
    [listed] = gh_release.get_assets()
    assert listed.state == "starter"
    with pytest.raises(GithubException) as caught:
        gh_release.upload_asset(str(wheel))
    assert caught.value.status == 422
    listed.delete_asset()
    assert gh_release.upload_asset(str(wheel)).state == "uploaded"


def test_reset_on_a_json_route(github_standin: GitHubStandin) -> None:
    github_standin.faults.reset("repos/get-latest-release")
    url = f"{github_standin.api_url}/repos/{github_standin.repository}/releases/latest"
    with pytest.raises(requests.ConnectionError):
        get(url, headers=headers(github_standin))
    assert get(url, headers=headers(github_standin)).status_code == 404


@pytest.mark.fidelity("gh.starter-leftover")
def test_seeded_starter_asset(github_standin: GitHubStandin) -> None:
    release = github_standin.seed_release(tag_name="v1.0.0", draft=True)
    github_standin.seed_asset(release.id, name="demo.whl", state="starter")
    repo = client(github_standin).get_repo(github_standin.repository)
    [asset] = repo.get_release(release.id).assets
    assert (asset.state, asset.size, asset.digest) == ("starter", 0, None)


# -- limits -------------------------------------------------------------------------------


@pytest.mark.fidelity("gh.asset-count-limit")
def test_a_release_holds_at_most_1000_assets(github_standin: GitHubStandin) -> None:
    release = github_standin.seed_release(tag_name="v1.0.0", draft=True)
    for number in range(MAX_ASSETS):
        github_standin.seed_asset(release.id, name=f"f{number}.bin", data=b"x")
    refused = upload(github_standin, release.id, "one-more.bin", b"x")
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "resource": "ReleaseAsset",
            "code": "custom",
            "field": "file_count",
            "message": "file_count limited to 1000 assets",
        }
    ]
    assert len(github_standin.assets(release.id)) == MAX_ASSETS


@pytest.mark.fidelity("gh.asset-size-limit")
def test_asset_size_limits(github_standin: GitHubStandin) -> None:
    release = github_standin.seed_release(tag_name="v1.0.0", draft=True)
    status, body = _raw_upload(github_standin, release.id, "huge.bin", MAX_ASSET_SIZE + 1, send=0)
    assert status == 422  # answered from the headers, before any byte of the body
    assert json.loads(body)["errors"] == [
        {
            "resource": "ReleaseAsset",
            "code": "custom",
            "field": "size",
            "message": "size must be less than or equal to 2147483648",
        }
    ]
    empty = upload(github_standin, release.id, "empty.bin", b"")
    assert empty.status_code == 422
    assert empty.json()["errors"][0]["message"] == "size must be greater than or equal to 1"
    assert github_standin.assets(release.id) == []


# -- immutable releases -------------------------------------------------------------------


@pytest.mark.fidelity("gh.immutable-assets", "gh.immutable-edits")
def test_immutable_release_refuses_asset_changes(github_standin: GitHubStandin) -> None:
    gh = github_standin
    seeded = gh.seed_release(tag_name="v1.0.0", immutable=True)
    gh.seed_asset(seeded.id, name="demo.tar.gz", data=b"sdist")
    refused = upload(gh, seeded.id, "demo.whl", b"wheel")
    assert refused.status_code == 422
    assert refused.json() == {
        "message": "Cannot upload assets to an immutable release.",
        "request_id": refused.headers["x-github-request-id"],
        "documentation_url": "https://docs.github.com/rest",
    }
    repo = client(gh).get_repo(gh.repository)
    release = repo.get_release("v1.0.0")
    assert release.raw_data["immutable"] is True
    [asset] = release.get_assets()
    with pytest.raises(GithubException) as delete:
        asset.delete_asset()
    assert delete.value.status == 422
    assert delete.value.data["errors"] == [
        {
            "resource": "ReleaseAsset",
            "code": "custom",
            "message": "Cannot delete asset from an immutable release",
        }
    ]
    with pytest.raises(GithubException) as unpublish:
        release.update_release("v1.0.0", "notes", draft=True)
    assert unpublish.value.data["errors"][0]["message"] == (
        "state cannot be changed when release is immutable"
    )
    with pytest.raises(GithubException) as retarget:
        release.update_release("v1.0.0", "notes", target_commitish="0" * 40)
    assert retarget.value.data["errors"][0]["message"] == (
        "target_commitish cannot be changed when release is immutable"
    )
    with pytest.raises(GithubException):
        release.update_release("v1.0.0", "notes", tag_name="v1.0.1")
    # Title, notes, prerelease and make_latest may still change (github/docs#45730).
    assert release.update_release("New title", "New notes").body == "New notes"
    assert release.update_release("New title", "New notes", make_latest="legacy").name == (
        "New title"
    )
    assert [a.name for a in gh.assets(seeded.id)] == ["demo.tar.gz"]


@pytest.mark.fidelity("gh.immutable-burned-tag")
def test_repository_setting_makes_published_releases_immutable_and_burns_the_tag(
    wheel: Path,
) -> None:
    with GitHubStandin(immutable_releases=True, layout="ghes") as standin:
        repo = client(standin).get_repo(standin.repository)
        release = new_draft(repo, "v1.0.0")
        assert release.raw_data["immutable"] is False
        release.upload_asset(str(wheel))  # drafts accept assets
        published = release.update_release("v1.0.0", "", draft=False)
        assert published.raw_data["immutable"] is True
        with pytest.raises(GithubException):
            published.upload_asset(str(wheel), name="other.whl")
        published.delete_release()  # allowed; the tag name stays used
        again = new_draft(repo, "v1.0.0")  # a draft is accepted (microsoft/hve-core#554) ...
        with pytest.raises(GithubException) as publish:  # ... publishing it is not
            again.update_release("v1.0.0", "", draft=False)
        assert publish.value.status == 422
        messages = [e["message"] for e in publish.value.data["errors"]]
        assert "tag_name was used by an immutable release" in messages
        assert "Published releases must have a valid tag" in messages
        with pytest.raises(GithubException):
            repo.create_git_release("v1.0.0", "v1.0.0", "")
        standin.assert_no_violations()


# -- git refs and tags --------------------------------------------------------------------


def test_git_refs_and_tags(github_standin: GitHubStandin) -> None:
    repo = client(github_standin).get_repo(github_standin.repository)
    head = repo.get_git_ref("heads/main").object.sha
    tag = repo.create_git_tag("v1.0.0", "Release 1.0.0", head, "commit")
    ref = repo.create_git_ref("refs/tags/v1.0.0", tag.sha)
    assert ref.object.type == "tag"
    assert repo.get_git_ref("tags/v1.0.0").object.sha == tag.sha
    assert repo.get_git_tag(tag.sha).object.sha == head
    assert [r.ref for r in repo.get_git_matching_refs("tags/v1")] == ["refs/tags/v1.0.0"]
    with pytest.raises(UnknownObjectException):
        repo.get_git_ref("tags/v9.9.9")
    with pytest.raises(GithubException) as caught:
        repo.create_git_ref("refs/tags/v1.0.0", tag.sha)
    assert caught.value.status == 422


# -- auth and rate limits -----------------------------------------------------------------


@pytest.mark.fidelity("gh.bad-credentials", "gh.error-shape")
def test_bad_credentials(github_standin: GitHubStandin) -> None:
    with pytest.raises(BadCredentialsException):
        client(github_standin, token="wrong").get_repo(github_standin.repository).name  # noqa: B018
    response = get(f"{github_standin.api_url}/rate_limit")
    assert response.status_code == 401
    assert response.json() == {
        "message": "Bad credentials",
        "documentation_url": "https://docs.github.com/rest",
        "status": "401",
    }


@pytest.mark.fidelity("gh.read-only-token")
def test_read_only_token_cannot_write(github_standin: GitHubStandin) -> None:
    [token] = github_standin.read_only_tokens
    repo = client(github_standin, token=token).get_repo(github_standin.repository)
    assert list(repo.get_releases()) == []
    with pytest.raises(GithubException) as caught:
        new_draft(repo, "v1.0.0")
    assert caught.value.status == 403
    assert caught.value.data["message"] == "Resource not accessible by integration"
    assert github_standin.releases() == []


@pytest.mark.fidelity("gh.rate-limit-headers")
def test_rate_limit_headers_on_every_response(github_standin: GitHubStandin) -> None:
    base = f"{github_standin.api_url}/repos/{github_standin.repository}"
    answers = [
        get(f"{base}/releases", headers=headers(github_standin)),
        get(f"{base}/releases/latest", headers=headers(github_standin)),
        get(f"{base}/releases"),
    ]
    assert [a.status_code for a in answers] == [200, 404, 401]
    used = [int(a.headers["x-ratelimit-used"]) for a in answers]
    assert used == sorted(used)
    for answer in answers:
        assert answer.headers["x-ratelimit-limit"] == "5000"
        assert answer.headers["x-ratelimit-resource"] == "core"
        assert int(answer.headers["x-ratelimit-remaining"]) == 5000 - int(
            answer.headers["x-ratelimit-used"]
        )
        assert int(answer.headers["x-ratelimit-reset"]) > time.time()
        assert answer.headers["x-github-media-type"] == "github.v3; format=json"
    rate = client(github_standin).get_rate_limit()
    assert rate.resources.core.limit == 5000


# -- faults -------------------------------------------------------------------------------


def test_status_fault_with_count_and_retry_after(github_standin: GitHubStandin) -> None:
    github_standin.faults.status("repos/list-releases", 502, times=2, retry_after=3)
    url = f"{github_standin.api_url}/repos/{github_standin.repository}/releases"
    answers = [get(url, headers=headers(github_standin)) for _ in range(3)]
    assert [a.status_code for a in answers] == [502, 502, 200]
    assert answers[0].headers["Retry-After"] == "3"
    assert "x-ratelimit-limit" in answers[0].headers
    assert not github_standin.faults.pending
    assert [r.injected for r in github_standin.requests] == [True, True, False]


def test_pygithub_retry_rides_out_two_502s(ghes: GitHubStandin, wheel: Path) -> None:
    release = ghes.seed_release(tag_name="v1.0.0", draft=True)
    ghes.faults.status("POST /repos/*/releases/*/assets", 502, times=2)
    retry = GithubRetry(total=3, backoff_factor=0.01)
    repo = client(ghes, retry=retry).get_repo(ghes.repository)
    asset = repo.get_release(release.id).upload_asset(str(wheel))
    assert asset.state == "uploaded"
    statuses = [r.status for r in ghes.requests_for("repos/upload-release-asset")]
    assert statuses == [502, 502, 201]
    assert len(ghes.assets(release.id)) == 1


def test_injected_status_on_a_large_upload_is_read_by_the_client(
    ghes: GitHubStandin, tmp_path: Path
) -> None:
    release = ghes.seed_release(tag_name="v1.0.0", draft=True)
    big = tmp_path / "big.bin"
    big.write_bytes(b"\1" * (8 * 1024 * 1024))
    ghes.faults.status("repos/upload-release-asset", 502, times=1)
    gh_release = client(ghes).get_repo(ghes.repository).get_release(release.id)
    with pytest.raises(GithubException) as caught:
        gh_release.upload_asset(str(big))
    assert caught.value.status == 502
    assert gh_release.upload_asset(str(big)).size == 8 * 1024 * 1024


@pytest.mark.fidelity("gh.secondary-limit-answer")
def test_secondary_rate_limit_shapes(github_standin: GitHubStandin) -> None:
    gh = github_standin
    gh.faults.secondary_rate_limit("repos/create-release", retry_after=7)
    gh.faults.secondary_rate_limit(
        "repos/create-release", status=429, retry_after=None, reset_in=30
    )
    repo = client(gh).get_repo(gh.repository)
    with pytest.raises(GithubException) as first:
        new_draft(repo, "v1.0.0")
    assert first.value.status == 403
    assert first.value.data["message"].startswith("You have exceeded a secondary rate limit")
    assert first.value.headers is not None
    assert first.value.headers["retry-after"] == "7"
    with pytest.raises(GithubException) as second:
        new_draft(repo, "v1.0.0")
    assert second.value.status == 429
    assert second.value.headers is not None
    assert second.value.headers["x-ratelimit-remaining"] == "0"
    assert 0 < int(second.value.headers["x-ratelimit-reset"]) - time.time() <= 31
    assert "retry-after" not in second.value.headers
    assert new_draft(repo, "v1.0.0").draft


@pytest.mark.fidelity("gh.content-limits", "gh.secondary-limit-answer")
def test_content_creation_limits_per_minute_and_per_hour(github_standin: GitHubStandin) -> None:
    gh = github_standin
    url = f"{gh.api_url}/repos/{gh.repository}/releases"

    def create(n: int) -> requests.Response:
        return post(url, json={"tag_name": f"v{n}", "draft": True}, headers=headers(gh))

    gh.faults.content_limits(per_minute=3, per_hour=None)
    codes = [create(n) for n in range(4)]
    assert [c.status_code for c in codes] == [201, 201, 201, 403]
    assert "secondary rate limit" in codes[-1].json()["message"]
    assert 0 < int(codes[-1].headers["Retry-After"]) <= 60
    assert get(url, headers=headers(gh)).status_code == 200  # reads pass
    gh.faults.content_limits(per_minute=80, per_hour=2, status=429, style="reset")
    hourly = [create(n) for n in range(10, 13)]
    assert [c.status_code for c in hourly] == [201, 201, 429]
    wait = int(hourly[-1].headers["x-ratelimit-reset"]) - time.time()
    assert 60 < wait <= 3601  # the hour's window, not the minute's
    assert len(gh.releases()) == 5


def test_latency_per_route_and_global(github_standin: GitHubStandin) -> None:
    github_standin.faults.latency(0.2, route="repos/get-latest-release")
    base = f"{github_standin.api_url}/repos/{github_standin.repository}/releases"

    def timed(url: str) -> float:
        started = time.perf_counter()
        get(url, headers=headers(github_standin))
        return time.perf_counter() - started

    assert timed(f"{base}/latest") >= 0.2
    assert timed(base) < 0.2
    github_standin.faults.latency(0.1)
    assert timed(base) >= 0.1


def test_bandwidth_cap(github_standin: GitHubStandin) -> None:
    release = github_standin.seed_release(tag_name="v1.0.0", draft=True)
    github_standin.faults.bandwidth(2 * 1024 * 1024)
    started = time.perf_counter()
    response = upload(github_standin, release.id, "big.bin", b"\1" * (1024 * 1024))
    assert response.status_code == 201
    assert time.perf_counter() - started >= 0.45


def test_concurrent_uploads(github_standin: GitHubStandin) -> None:
    release = github_standin.seed_release(tag_name="v1.0.0", draft=True)
    results: list[int] = []

    def send(n: int) -> None:
        response = upload(github_standin, release.id, f"f{n}.bin", bytes([n]) * 100_000)
        results.append(response.status_code)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [201] * 16
    assets = github_standin.assets(release.id)
    assert sorted(a.name for a in assets) == sorted(f"f{n}.bin" for n in range(16))
    for asset in assets:
        n = int(asset.name[1:-4])
        assert asset.sha256 == hashlib.sha256(bytes([n]) * 100_000).hexdigest()


# -- recording ----------------------------------------------------------------------------


def test_read_only_session_records_no_mutation(github_standin: GitHubStandin) -> None:
    github_standin.seed_release(tag_name="v1.0.0", draft=True)
    repo = client(github_standin).get_repo(github_standin.repository)
    list(repo.get_releases())
    assert github_standin.requests
    assert github_standin.mutating_requests() == []
    new_draft(repo, "v2.0.0")
    assert [r.operation_id for r in github_standin.mutating_requests()] == ["repos/create-release"]


# -- validation is real ---------------------------------------------------------------------


@pytest.fixture
def unchecked_standin() -> Iterator[GitHubStandin]:
    """A stand-in whose violations the test inspects itself."""
    with GitHubStandin() as standin:
        yield standin


@pytest.mark.fidelity("gh.openapi-validation")
def test_malformed_request_is_a_violation(unchecked_standin: GitHubStandin) -> None:
    url = f"{unchecked_standin.api_url}/repos/{unchecked_standin.repository}/releases"
    response = post(
        url, json={"tag_name": "v1.0.0", "draft": "yes"}, headers=headers(unchecked_standin)
    )
    assert response.status_code == 422
    assert response.json()["message"].startswith("Invalid request.")
    [violation] = unchecked_standin.violations
    assert violation.kind == "request"
    assert violation.operation_id == "repos/create-release"
    assert "draft" in violation.message
    assert "boolean" in violation.message
    assert unchecked_standin.releases() == []


@pytest.mark.fidelity("gh.openapi-validation")
def test_broken_response_is_a_violation(unchecked_standin: GitHubStandin) -> None:
    release = unchecked_standin.seed_release(tag_name="v1.0.0")
    release.overrides["draft"] = "yes"  # internal hook: a deliberately invalid field
    url = f"{unchecked_standin.api_url}/repos/{unchecked_standin.repository}/releases/{release.id}"
    assert get(url, headers=headers(unchecked_standin)).status_code == 200
    [violation] = unchecked_standin.violations
    assert violation.kind == "response"
    assert violation.operation_id == "repos/get-release"
    assert "draft" in violation.message


@pytest.mark.fidelity("gh.openapi-validation")
def test_unknown_endpoint_is_a_violation(unchecked_standin: GitHubStandin) -> None:
    url = f"{unchecked_standin.api_url}/repos/{unchecked_standin.repository}/pulls"
    assert get(url, headers=headers(unchecked_standin)).status_code == 404
    assert [v.kind for v in unchecked_standin.violations] == ["request", "response"]
    assert unchecked_standin.violations[0].operation_id is None


@pytest.mark.fidelity("gh.openapi-validation")
def test_upload_shims_accept_what_github_accepts(unchecked_standin: GitHubStandin) -> None:
    """Shims 2-5 (spec/README.md): any media type, empty ``label=``, ``starter``, the 422."""
    gh = unchecked_standin
    release = gh.seed_release(tag_name="v1.0.0", draft=True)
    target = upload_url(gh, release.id)
    sent = post(
        target,
        params={"name": "a.zip", "label": ""},
        data=b"zip",
        headers=headers(gh) | {"Content-Type": "application/zip"},
    )
    assert sent.status_code == 201
    assert sent.json()["content_type"] == "application/zip"
    assert upload(gh, release.id, "a.zip", b"again").status_code == 422
    gh.seed_asset(release.id, name="s.bin", state="starter")
    assert get(f"{gh.api_url}/repos/{gh.repository}/releases/{release.id}/assets",
               headers=headers(gh)).status_code == 200  # fmt: skip
    assert gh.violations == []


def test_fixture_helper_fails_on_violations() -> None:
    fixture = github_standin_fixture()
    standin = next(fixture)
    url = f"{standin.api_url}/repos/{standin.repository}/releases"
    post(url, json={"tag_name": 1}, headers=headers(standin))
    with pytest.raises(SpecViolationError, match="tag_name"):
        next(fixture)


def test_validation_overhead_is_small(github_standin: GitHubStandin, wheel: Path) -> None:
    for minor in range(40):
        release = github_standin.seed_release(tag_name=f"v0.{minor}.0")
        github_standin.seed_asset(release.id, name="demo.whl", data=b"x")
    repo = client(github_standin).get_repo(github_standin.repository)
    for _ in range(3):
        list(repo.get_releases())
        repo.get_latest_release()
    overhead = github_standin.validation_overhead
    print(f"mean validation time per request or response: {overhead * 1000:.2f} ms")
    assert overhead < 0.05


def test_recorded_json_bodies(github_standin: GitHubStandin) -> None:
    release = github_standin.seed_release(tag_name="v1.0.0", draft=True)
    repo = client(github_standin).get_repo(github_standin.repository)
    repo.get_release(release.id).update_release("v1.0.0", "body", make_latest="false")
    [patch] = github_standin.requests_for("repos/update-release")
    assert json.loads(json.dumps(patch.json))["make_latest"] == "false"


def test_name_prediction_needs_no_server_dependencies() -> None:
    code = (
        "import sys\n"
        "from release_actions_dev.standins.github import github_asset_name\n"
        "assert github_asset_name('a b.whl') == 'a.b.whl'\n"
        "assert 'openapi_core' not in sys.modules and 'werkzeug' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_before_action_runs_once_ahead_of_the_matching_request(
    github_standin: GitHubStandin,
) -> None:
    """``faults.before`` models another job acting just before our request is served."""
    calls: list[str] = []

    def other_job() -> None:
        calls.append("ran")
        github_standin.seed_release(tag_name="v9.9.9", draft=True)

    github_standin.faults.before("repos/list-releases", other_job)
    repo = Github(base_url=github_standin.api_url, auth=Auth.Token(github_standin.token)).get_repo(
        github_standin.repository
    )
    assert [r.tag_name for r in repo.get_releases()] == ["v9.9.9"]  # seen by this very request
    assert [r.tag_name for r in repo.get_releases()] == ["v9.9.9"]
    assert calls == ["ran"]
