"""The GitHub stand-in, driven by PyGithub (and raw HTTP where PyGithub cannot say it).

Example::

    .venv/bin/python -m pytest tests/standins/test_github_standin.py -q
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
from release_actions_dev.standins.github.app import ROUTES
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


# -- releases -----------------------------------------------------------------------------


def test_create_release_with_pygithub(github_standin: GitHubStandin) -> None:
    repo = client(github_standin).get_repo(github_standin.repository)
    assert repo.default_branch == "main"
    release = repo.create_git_release("v1.0.0", "Demo 1.0.0", "notes", draft=True)
    assert release.draft
    assert release.upload_url == (
        f"{github_standin.api_url}/repos/{github_standin.repository}"
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


def test_publishing_creates_the_tag_and_duplicate_published_tag_is_422(
    github_standin: GitHubStandin,
) -> None:
    repo = client(github_standin).get_repo(github_standin.repository)
    release = repo.create_git_release("v1.0.0", "v1.0.0", "", draft=True)
    release.update_release("v1.0.0", "", draft=False)
    assert not github_standin.release(release.id).draft
    assert "refs/tags/v1.0.0" in github_standin.state.refs
    # A second draft for the tag is allowed (GitHub allows it) ...
    repo.create_git_release("v1.0.0", "again", "", draft=True)
    # ... a second published release is not.
    with pytest.raises(GithubException) as caught:
        repo.create_git_release("v1.0.0", "again", "", draft=False)
    assert caught.value.status == 422
    assert caught.value.data["errors"][0]["code"] == "already_exists"


def test_list_includes_drafts_across_pages(github_standin: GitHubStandin) -> None:
    draft = github_standin.seed_release(tag_name="v0.0.0", draft=True)  # oldest: last page
    for minor in range(1, 35):
        github_standin.seed_release(tag_name=f"v0.{minor}.0")
    repo = client(github_standin).get_repo(github_standin.repository)
    releases = list(repo.get_releases())
    assert len(releases) == 35
    assert releases[-1].id == draft.id
    assert releases[-1].draft
    pages = github_standin.requests_for("repos/list-releases")
    assert len(pages) == 2  # 30 per page by default


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


def test_by_tag_and_latest_never_return_drafts(github_standin: GitHubStandin) -> None:
    stable = github_standin.seed_release(tag_name="v1.0.0")
    github_standin.seed_release(tag_name="v2.0.0rc1", prerelease=True)
    github_standin.seed_release(tag_name="v2.0.0", draft=True)
    repo = client(github_standin).get_repo(github_standin.repository)
    with pytest.raises(UnknownObjectException):
        repo.get_release("v2.0.0")
    assert repo.get_release("v1.0.0").id == stable.id
    assert repo.get_latest_release().id == stable.id


def test_generate_notes(github_standin: GitHubStandin) -> None:
    github_standin.seed_release(tag_name="v0.9.0")
    repo = client(github_standin).get_repo(github_standin.repository)
    notes = repo.generate_release_notes("v1.0.0")
    assert notes.name == "v1.0.0"
    assert "/compare/v0.9.0...v1.0.0" in notes.body


def test_long_body_is_refused(github_standin: GitHubStandin) -> None:
    repo = client(github_standin).get_repo(github_standin.repository)
    with pytest.raises(GithubException) as caught:
        repo.create_git_release("v1.0.0", "v1.0.0", "x" * 125_001, draft=True)
    assert caught.value.status == 422
    assert github_standin.releases() == []


# -- assets -------------------------------------------------------------------------------


def test_upload_asset_digest_and_state(github_standin: GitHubStandin, wheel: Path) -> None:
    repo = client(github_standin).get_repo(github_standin.repository)
    release = repo.create_git_release("v1.0.0", "v1.0.0", "", draft=True)
    asset = release.upload_asset(str(wheel))
    data = wheel.read_bytes()
    assert asset.name == wheel.name
    assert asset.size == len(data)
    assert asset.state == "uploaded"
    assert asset.digest == f"sha256:{hashlib.sha256(data).hexdigest()}"
    assert asset.browser_download_url.endswith(f"/{wheel.name}")
    [stored] = github_standin.assets(release.id)
    assert stored.read_bytes() == data
    assert stored.path is not None
    assert stored.path.is_file()  # bytes live on disk, not in memory
    [listed] = repo.get_release(release.id).get_assets()
    assert listed.digest == asset.digest


def test_duplicate_asset_name_is_422_already_exists(
    github_standin: GitHubStandin, wheel: Path
) -> None:
    repo = client(github_standin).get_repo(github_standin.repository)
    release = repo.create_git_release("v1.0.0", "v1.0.0", "", draft=True)
    release.upload_asset(str(wheel))
    with pytest.raises(GithubException) as caught:
        release.upload_asset(str(wheel))
    assert caught.value.status == 422
    assert caught.value.data["message"] == "Validation Failed"
    assert caught.value.data["errors"] == [
        {"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}
    ]
    assert len(github_standin.assets(release.id)) == 1


def test_update_and_delete_asset(github_standin: GitHubStandin, wheel: Path) -> None:
    repo = client(github_standin).get_repo(github_standin.repository)
    release = repo.create_git_release("v1.0.0", "v1.0.0", "", draft=True)
    asset = release.upload_asset(str(wheel), label="The wheel")
    assert asset.label == "The wheel"
    renamed = asset.update_asset("renamed file.whl", label="Renamed")
    assert renamed.name == "renamed.file.whl"
    assert asset.delete_asset()
    assert github_standin.assets(release.id) == []


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


def test_uploaded_names_match_the_prediction(github_standin: GitHubStandin, tmp_path: Path) -> None:
    repo = client(github_standin).get_repo(github_standin.repository)
    release = repo.create_git_release("v1.0.0", "v1.0.0", "", draft=True)
    names = ["demo-1.0+local-py3-none-any.whl", "my tool.tar.gz", "x~y:z.zip"]
    for name in names:
        path = tmp_path / name
        path.write_bytes(name.encode())
        asset = release.upload_asset(str(path))
        assert asset.name == github_asset_name(name)
    assert [a.name for a in github_standin.assets(release.id)] == [
        "demo-1.0+local-py3-none-any.whl",
        "my.tool.tar.gz",
        "x.y.z.zip",
    ]


def test_raw_plus_in_query_decodes_to_space(github_standin: GitHubStandin) -> None:
    release = github_standin.seed_release(tag_name="v1.0.0", draft=True)
    url = (
        f"{github_standin.api_url}/repos/{github_standin.repository}"
        f"/releases/{release.id}/assets?name=a+b.whl"
    )
    response = post(
        url,
        data=b"x",
        headers=headers(github_standin) | {"Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 201
    assert response.json()["name"] == "a.b.whl"


def _raw_upload(standin: GitHubStandin, release_id: int, name: str, size: int) -> None:
    """Send an upload over a raw connection; the stand-in may drop it part-way."""
    connection = http.client.HTTPConnection("127.0.0.1", int(standin.url.rsplit(":", 1)[1]))
    connection.putrequest(
        "POST", f"/repos/{standin.repository}/releases/{release_id}/assets?name={name}"
    )
    connection.putheader("Authorization", f"token {standin.token}")
    connection.putheader("Content-Type", "application/octet-stream")
    connection.putheader("Content-Length", str(size))
    connection.endheaders()
    try:
        for _ in range(size // 65536):
            connection.send(b"\0" * 65536)
        connection.getresponse().read()
    finally:
        connection.close()


def test_reset_mid_upload_leaves_a_starter_asset(
    github_standin: GitHubStandin, wheel: Path
) -> None:
    release = github_standin.seed_release(tag_name="v1.0.0", draft=True)
    github_standin.faults.reset("repos/upload-release-asset", after_bytes=100_000)
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        _raw_upload(github_standin, release.id, wheel.name, 4 * 1024 * 1024)
    [starter] = github_standin.assets(release.id)
    assert (starter.name, starter.state, starter.size, starter.digest) == (
        wheel.name,
        "starter",
        0,
        None,
    )
    assert github_standin.requests_for("repos/upload-release-asset")[-1].status is None

    # The leftover blocks the name until deleted, exactly like GitHub.
    gh_release = client(github_standin).get_repo(github_standin.repository).get_release(release.id)
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


def test_seeded_starter_asset(github_standin: GitHubStandin) -> None:
    release = github_standin.seed_release(tag_name="v1.0.0", draft=True)
    github_standin.seed_asset(release.id, name="demo.whl", state="starter")
    repo = client(github_standin).get_repo(github_standin.repository)
    [asset] = repo.get_release(release.id).assets
    assert (asset.state, asset.size, asset.digest) == ("starter", 0, None)


# -- immutable releases -------------------------------------------------------------------


def test_immutable_release_refuses_asset_changes(
    github_standin: GitHubStandin, wheel: Path
) -> None:
    seeded = github_standin.seed_release(tag_name="v1.0.0", immutable=True)
    github_standin.seed_asset(seeded.id, name="demo.tar.gz", data=b"sdist")
    repo = client(github_standin).get_repo(github_standin.repository)
    release = repo.get_release("v1.0.0")
    assert release.raw_data["immutable"] is True
    with pytest.raises(GithubException) as upload:
        release.upload_asset(str(wheel))
    assert upload.value.status == 422
    assert upload.value.data["message"] == "Cannot upload assets to an immutable release"
    [asset] = release.get_assets()
    with pytest.raises(GithubException) as delete:
        asset.delete_asset()
    assert delete.value.status == 422
    assert delete.value.data["errors"][0]["message"] == (
        "Cannot delete asset from an immutable release"
    )
    with pytest.raises(GithubException):
        release.update_release("v1.0.0", "notes", tag_name="v1.0.1")
    # Title and notes may still change (github/docs#45730).
    assert release.update_release("New title", "New notes").body == "New notes"
    assert [a.name for a in github_standin.assets(seeded.id)] == ["demo.tar.gz"]


def test_repository_setting_makes_published_releases_immutable(wheel: Path) -> None:
    with GitHubStandin(immutable_releases=True) as standin:
        repo = client(standin).get_repo(standin.repository)
        release = repo.create_git_release("v1.0.0", "v1.0.0", "", draft=True)
        assert release.raw_data["immutable"] is False
        release.upload_asset(str(wheel))  # drafts accept assets
        published = release.update_release("v1.0.0", "", draft=False)
        assert published.raw_data["immutable"] is True
        with pytest.raises(GithubException):
            published.upload_asset(str(wheel), name="other.whl")
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


def test_bad_credentials(github_standin: GitHubStandin) -> None:
    with pytest.raises(BadCredentialsException):
        client(github_standin, token="wrong").get_repo(github_standin.repository)
    response = get(f"{github_standin.api_url}/rate_limit")
    assert response.status_code == 401
    assert response.json()["message"] == "Bad credentials"


def test_read_only_token_cannot_write(github_standin: GitHubStandin) -> None:
    [token] = github_standin.read_only_tokens
    repo = client(github_standin, token=token).get_repo(github_standin.repository)
    assert list(repo.get_releases()) == []
    with pytest.raises(GithubException) as caught:
        repo.create_git_release("v1.0.0", "v1.0.0", "", draft=True)
    assert caught.value.status == 403
    assert caught.value.data["message"] == "Resource not accessible by integration"
    assert github_standin.releases() == []


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


def test_pygithub_retry_rides_out_two_502s(github_standin: GitHubStandin, wheel: Path) -> None:
    release = github_standin.seed_release(tag_name="v1.0.0", draft=True)
    github_standin.faults.status("POST /repos/*/releases/*/assets", 502, times=2)
    retry = GithubRetry(total=3, backoff_factor=0.01)
    repo = client(github_standin, retry=retry).get_repo(github_standin.repository)
    asset = repo.get_release(release.id).upload_asset(str(wheel))
    assert asset.state == "uploaded"
    statuses = [r.status for r in github_standin.requests_for("repos/upload-release-asset")]
    assert statuses == [502, 502, 201]
    assert len(github_standin.assets(release.id)) == 1


def test_injected_status_on_a_large_upload_is_read_by_the_client(
    github_standin: GitHubStandin, tmp_path: Path
) -> None:
    release = github_standin.seed_release(tag_name="v1.0.0", draft=True)
    big = tmp_path / "big.bin"
    big.write_bytes(b"\1" * (8 * 1024 * 1024))
    github_standin.faults.status("repos/upload-release-asset", 502, times=1)
    gh_release = client(github_standin).get_repo(github_standin.repository).get_release(release.id)
    with pytest.raises(GithubException) as caught:
        gh_release.upload_asset(str(big))
    assert caught.value.status == 502
    assert gh_release.upload_asset(str(big)).size == 8 * 1024 * 1024


def test_secondary_rate_limit_shape(github_standin: GitHubStandin) -> None:
    github_standin.faults.secondary_rate_limit("repos/create-release", retry_after=7)
    repo = client(github_standin).get_repo(github_standin.repository)
    with pytest.raises(GithubException) as caught:
        repo.create_git_release("v1.0.0", "v1.0.0", "", draft=True)
    assert caught.value.status == 403
    assert caught.value.data["message"].startswith("You have exceeded a secondary rate limit")
    assert caught.value.headers is not None
    assert caught.value.headers["retry-after"] == "7"
    assert repo.create_git_release("v1.0.0", "v1.0.0", "", draft=True).draft


def test_write_rate_cap(github_standin: GitHubStandin) -> None:
    github_standin.faults.write_rate_limit(3)
    url = f"{github_standin.api_url}/repos/{github_standin.repository}/releases"
    codes = [
        post(url, json={"tag_name": f"v{n}", "draft": True}, headers=headers(github_standin))
        for n in range(4)
    ]
    assert [c.status_code for c in codes] == [201, 201, 201, 403]
    assert "secondary rate limit" in codes[-1].json()["message"]
    assert 0 < int(codes[-1].headers["Retry-After"]) <= 60
    assert get(url, headers=headers(github_standin)).status_code == 200  # reads pass
    assert len(github_standin.releases()) == 3


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
    url = (
        f"{github_standin.api_url}/repos/{github_standin.repository}"
        f"/releases/{release.id}/assets?name=big.bin"
    )
    started = time.perf_counter()
    response = post(
        url,
        data=b"\1" * (1024 * 1024),
        headers=headers(github_standin) | {"Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 201
    assert time.perf_counter() - started >= 0.45


def test_concurrent_uploads(github_standin: GitHubStandin) -> None:
    release = github_standin.seed_release(tag_name="v1.0.0", draft=True)
    url = f"{github_standin.api_url}/repos/{github_standin.repository}/releases/{release.id}/assets"
    results: list[int] = []

    def upload(n: int) -> None:
        response = post(
            url,
            params={"name": f"f{n}.bin"},
            data=bytes([n]) * 100_000,
            headers=headers(github_standin) | {"Content-Type": "application/octet-stream"},
        )
        results.append(response.status_code)

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(16)]
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
    repo.create_git_release("v2.0.0", "v2.0.0", "", draft=True)
    assert [r.operation_id for r in github_standin.mutating_requests()] == ["repos/create-release"]


# -- validation is real ---------------------------------------------------------------------


@pytest.fixture
def unchecked_standin() -> Iterator[GitHubStandin]:
    """A stand-in whose violations the test inspects itself."""
    with GitHubStandin() as standin:
        yield standin


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


def test_broken_response_is_a_violation(unchecked_standin: GitHubStandin) -> None:
    release = unchecked_standin.seed_release(tag_name="v1.0.0")
    release.overrides["draft"] = "yes"  # internal hook: a deliberately invalid field
    url = f"{unchecked_standin.api_url}/repos/{unchecked_standin.repository}/releases/{release.id}"
    assert get(url, headers=headers(unchecked_standin)).status_code == 200
    [violation] = unchecked_standin.violations
    assert violation.kind == "response"
    assert violation.operation_id == "repos/get-release"
    assert "draft" in violation.message


def test_unknown_endpoint_is_a_violation(unchecked_standin: GitHubStandin) -> None:
    url = f"{unchecked_standin.api_url}/repos/{unchecked_standin.repository}/pulls"
    assert get(url, headers=headers(unchecked_standin)).status_code == 404
    assert [v.kind for v in unchecked_standin.violations] == ["request", "response"]
    assert unchecked_standin.violations[0].operation_id is None


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
