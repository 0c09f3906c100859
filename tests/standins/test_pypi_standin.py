"""The PyPI stand-in against PyPI's documented behaviour, driven with requests and twine."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from pypi_simple import ACCEPT_JSON_ONLY, PyPISimple
from twine.commands.upload import upload as twine_upload
from twine.settings import Settings

from release_actions.dists import pypi_accepts_platform
from release_actions_dev.standins.pypi import PyPIStandin, TrustedPublisher
from release_actions_dev.standins.pypi.rules import valid_platform_tag
from release_actions_dev.standins.pypi.testing import API_TOKEN, attest, pypi_for
from release_actions_dev.standins.sigstore import SigstoreStandin
from tests.dists import dist_bytes, wheel_bytes

WHEEL = "demo-1.2.3-py3-none-any.whl"


@pytest.fixture
def pypi(github_issuer_standin: SigstoreStandin) -> Iterator[PyPIStandin]:
    with pypi_for(
        github_issuer_standin, api_tokens={API_TOKEN: None, "pypi-only-other": ("other",)}
    ) as standin:
        yield standin


def mint(pypi: PyPIStandin, token: str) -> requests.Response:
    return requests.post(f"{pypi.url}/_/oidc/mint-token", json={"token": token}, timeout=10)


def upload(pypi: PyPIStandin, path: Path, password: str, *extra: Path) -> requests.Response:
    """twine's upload, returning the index's answer (twine raises it as HTTPError)."""
    settings = Settings(
        repository_url=pypi.upload_url,
        username="__token__",
        password=password,
        non_interactive=True,
        disable_progress_bar=True,
        attestations=bool(extra),
    )
    try:
        twine_upload(settings, [str(path), *map(str, extra)])
    except requests.HTTPError as exc:
        if exc.response is None:
            raise
        return exc.response
    response = requests.Response()
    response.status_code = 200
    return response


def write(tmp_path: Path, name: str, data: bytes | None = None) -> Path:
    path = tmp_path / "dist" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(dist_bytes(name) if data is None else data)
    return path


def minted_token(pypi: PyPIStandin, sigstore: SigstoreStandin) -> str:
    response = mint(pypi, sigstore.issue_token(audience="pypi"))
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


# -- trusted publishing ----------------------------------------------------------------------


@pytest.mark.fidelity("pypi.oidc-audience")
def test_audience_endpoint(github_issuer_standin: SigstoreStandin) -> None:
    with pypi_for(github_issuer_standin, audience="testpypi") as pypi:
        answer = requests.get(f"{pypi.url}/_/oidc/audience", timeout=10)
        assert answer.json() == {"audience": "testpypi"}
    with pypi_for(github_issuer_standin, trusted_publishing=False) as pypi:
        answer = requests.get(f"{pypi.url}/_/oidc/audience", timeout=10)
        assert answer.status_code == 403
        assert answer.json() == {"message": "Trusted publishing functionality not enabled"}


@pytest.mark.fidelity("pypi.oidc-mint-token")
def test_mint_token_answers_a_15_minute_token(
    pypi: PyPIStandin, github_issuer_standin: SigstoreStandin
) -> None:
    answer = mint(pypi, github_issuer_standin.issue_token(audience="pypi"))
    assert answer.status_code == 200
    body = answer.json()
    assert body["success"] is True
    assert body["token"].startswith("pypi-")
    assert abs(body["expires"] - (time.time() + 900)) < 5
    legacy = requests.post(
        f"{pypi.url}/_/oidc/github/mint-token",
        json={"token": github_issuer_standin.issue_token(audience="pypi")},
        timeout=10,
    )
    assert legacy.status_code == 200


@pytest.mark.fidelity("pypi.oidc-errors", "pypi.oidc-token-verified")
def test_mint_token_refusals(pypi: PyPIStandin, github_issuer_standin: SigstoreStandin) -> None:
    def codes(answer: requests.Response) -> list[tuple[str, str]]:
        assert answer.status_code == 422
        assert answer.json()["message"] == "Token request failed"
        return [(e["code"], e["description"]) for e in answer.json()["errors"]]

    bad_payload = requests.post(f"{pypi.url}/_/oidc/mint-token", json={"tok": "x"}, timeout=10)
    assert codes(bad_payload)[0][0] == "invalid-payload"
    assert codes(mint(pypi, "not.a.jwt")) == [("invalid-payload", "malformed JWT")]
    with SigstoreStandin() as foreign:  # an issuer PyPI does not know
        assert codes(mint(pypi, foreign.issue_token(audience="pypi"))) == [
            ("invalid-payload", "unknown trusted publishing issuer")
        ]
    wrong_audience = github_issuer_standin.issue_token(audience="sigstore")
    assert codes(mint(pypi, wrong_audience)) == [("invalid-token", "malformed or invalid token")]
    expired = github_issuer_standin.issue_token(audience="pypi", lifetime=-120)
    assert codes(mint(pypi, expired)) == [("invalid-token", "malformed or invalid token")]
    header, payload, signature = github_issuer_standin.issue_token(audience="pypi").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["repository"] = "octo/forged"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert codes(mint(pypi, f"{header}.{forged}.{signature}"))[0][0] == "invalid-token"


@pytest.mark.fidelity("pypi.oidc-reuse-token")
def test_a_token_is_exchanged_once(
    pypi: PyPIStandin, github_issuer_standin: SigstoreStandin
) -> None:
    token = github_issuer_standin.issue_token(audience="pypi")
    assert mint(pypi, token).status_code == 200
    again = mint(pypi, token)
    assert again.json()["errors"] == [
        {"code": "invalid-reuse-token", "description": "invalid token: already used"}
    ]


@pytest.mark.fidelity("pypi.publisher-lookup")
@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({}, None),
        ({"repository": "Octo/Example"}, "Publisher with matching claims was not found"),
        (
            {"job_workflow_ref": "octo/example/.github/workflows/ci.yml@refs/tags/v1.0.0"},
            "Publisher with matching claims was not found",
        ),
        ({"repository_owner_id": "1"}, "Publisher with matching claims was not found"),
        (
            {"job_workflow_ref": "octo/example/.github/workflows/release.yml@refs/heads/other"},
            "The job_workflow_ref claim does not match",
        ),
        ({"sub": "repo:octo/other:ref:refs/tags/v1.0.0"}, "Check failed for required claim 'sub'"),
    ],
)
def test_publisher_matching(
    pypi: PyPIStandin,
    github_issuer_standin: SigstoreStandin,
    claims: dict[str, Any],
    reason: str | None,
) -> None:
    answer = mint(pypi, github_issuer_standin.issue_token(audience="pypi", **claims))
    if reason is None:
        assert answer.status_code == 200
        return
    (error,) = answer.json()["errors"]
    assert error["code"] == "invalid-publisher"
    assert error["description"].startswith("valid token, but no corresponding publisher (")
    assert reason in error["description"]


@pytest.mark.fidelity("pypi.publisher-environment")
def test_publishers_with_and_without_an_environment(
    github_issuer_standin: SigstoreStandin,
) -> None:
    bound = TrustedPublisher("octo/example", "release.yml", "release", projects=("demo",))
    with pypi_for(github_issuer_standin, publishers=[bound]) as pypi:
        plain = github_issuer_standin.issue_token(audience="pypi")
        assert mint(pypi, plain).json()["errors"][0]["code"] == "invalid-publisher"
        inside = github_issuer_standin.issue_token(audience="pypi", environment="Release")
        assert mint(pypi, inside).status_code == 200  # environment names are case-insensitive
    general = TrustedPublisher("octo/example", "release.yml", projects=("demo",))
    with pypi_for(github_issuer_standin, publishers=[general]) as pypi:
        any_env = github_issuer_standin.issue_token(audience="pypi", environment="staging")
        assert mint(pypi, any_env).status_code == 200


# -- uploads -----------------------------------------------------------------------------------


@pytest.mark.fidelity("pypi.upload-auth", "pypi.error-in-status-line")
def test_uploads_need_a_known_token(pypi: PyPIStandin, tmp_path: Path) -> None:
    answer = upload(pypi, write(tmp_path, WHEEL), "pypi-unknown")
    assert answer.status_code == 403
    assert answer.reason.startswith("Invalid or non-existent authentication information.")
    assert "Invalid or non-existent authentication information." in answer.text
    assert pypi.stored() == {}
    assert upload(pypi, write(tmp_path, WHEEL), API_TOKEN).status_code == 200
    assert set(pypi.stored()) == {WHEEL}


@pytest.mark.fidelity("pypi.upload-token-scope")
def test_a_token_uploads_only_to_its_projects(
    pypi: PyPIStandin, github_issuer_standin: SigstoreStandin, tmp_path: Path
) -> None:
    answer = upload(pypi, write(tmp_path, WHEEL), "pypi-only-other")
    assert answer.status_code == 403
    assert answer.reason.startswith("The given token isn't allowed to upload to project 'demo'")
    minted = minted_token(pypi, github_issuer_standin)  # the publisher covers demo only
    other = write(tmp_path, "other-1.0-py3-none-any.whl")
    assert upload(pypi, other, minted).status_code == 403
    assert upload(pypi, write(tmp_path, WHEEL), minted).status_code == 200
    assert set(pypi.stored()) == {WHEEL}


@pytest.mark.fidelity("pypi.upload-digest")
def test_a_wrong_digest_is_refused(pypi: PyPIStandin) -> None:
    data = dist_bytes(WHEEL)
    answer = requests.post(
        pypi.upload_url,
        data={
            ":action": "file_upload",
            "protocol_version": "1",
            "name": "demo",
            "version": "1.2.3",
            "filetype": "bdist_wheel",
            "sha256_digest": hashlib.sha256(b"other").hexdigest(),
        },
        files={"content": (WHEEL, data)},
        auth=("__token__", API_TOKEN),
        timeout=10,
    )
    assert answer.status_code == 400
    assert answer.reason == (
        "The digest supplied does not match a digest calculated from the uploaded file."
    )
    assert pypi.stored() == {}


@pytest.mark.fidelity("pypi.file-exists")
def test_a_held_file_name_takes_only_the_same_bytes(pypi: PyPIStandin, tmp_path: Path) -> None:
    path = write(tmp_path, WHEEL)
    assert upload(pypi, path, API_TOKEN).status_code == 200
    assert upload(pypi, path, API_TOKEN).status_code == 200  # identical: OK, nothing changes
    assert pypi.uploads == [WHEEL]
    other = write(tmp_path / "other", WHEEL, dist_bytes(WHEEL, b"rebuilt"))
    answer = upload(pypi, other, API_TOKEN)
    assert answer.status_code == 400
    blake2 = hashlib.blake2b(other.read_bytes(), digest_size=32).hexdigest()
    assert answer.reason == (
        f"File already exists ('{WHEEL}', with blake2_256 hash '{blake2}'). See "
        "https://pypi.org/help/#file-name-reuse for more information."
    )
    assert pypi.stored() == {WHEEL: hashlib.sha256(path.read_bytes()).hexdigest()}


@pytest.mark.fidelity("pypi.platform-tag")
def test_linux_platform_tags_are_refused(pypi: PyPIStandin, tmp_path: Path) -> None:
    name = "demo-1.2.3-cp312-cp312-linux_x86_64.whl"
    path = write(tmp_path, name, wheel_bytes(tags=("cp312-cp312-linux_x86_64",)))
    answer = upload(pypi, path, API_TOKEN)
    assert answer.status_code == 400
    assert answer.reason == f"Binary wheel '{name}' has an unsupported platform tag 'linux_x86_64'."
    assert pypi.stored() == {}
    for accepted in (
        "manylinux_2_28_x86_64",
        "musllinux_1_2_aarch64",
        "manylinux2014_x86_64",
        "macosx_11_0_arm64",
        "macosx_10_9_x86_64",
        "win_amd64",
        "linux_armv7l",
        "ios_13_0_arm64_iphoneos",
        "android_21_arm64_v8a",
        "pyemscripten_2025_0_wasm32",
    ):
        assert valid_platform_tag(accepted), accepted
    for refused in ("linux_x86_64", "macosx_11_2_arm64", "manylinux_2_28_sparc", "linux_aarch64"):
        assert not valid_platform_tag(refused), refused


@pytest.mark.fidelity("pypi.attestations-trusted-only")
def test_attestations_need_trusted_publishing(
    pypi: PyPIStandin, github_issuer_standin: SigstoreStandin, tmp_path: Path
) -> None:
    path = write(tmp_path, WHEEL)
    (attestation,) = attest(github_issuer_standin, [path], tmp_path / "signatures")
    answer = upload(pypi, path, API_TOKEN, attestation)
    assert answer.status_code == 400
    assert answer.reason == (
        "Invalid attestations supplied during upload: Attestations are only supported when "
        "using Trusted Publishing"
    )
    assert pypi.stored() == {}


@pytest.mark.fidelity("pypi.attestations-verified")
def test_attestations_are_verified_against_the_publisher_and_the_file(
    pypi: PyPIStandin, github_issuer_standin: SigstoreStandin, tmp_path: Path
) -> None:
    path = write(tmp_path, WHEEL)
    other = "octo/example/.github/workflows/sign.yml@refs/tags/v1.0.0"
    (foreign,) = attest(
        github_issuer_standin,
        [path],
        tmp_path / "foreign",
        job_workflow_ref=other,
        workflow_ref=other,
    )
    answer = upload(pypi, path, minted_token(pypi, github_issuer_standin), foreign)
    assert answer.status_code == 400
    assert answer.reason.startswith(
        "Invalid attestations supplied during upload: Could not verify the uploaded artifact "
        "using the included attestation: "
    )
    assert "Build Config URI" in answer.reason

    rebuilt = write(tmp_path / "rebuilt", WHEEL, dist_bytes(WHEEL, b"rebuilt"))
    (stale,) = attest(github_issuer_standin, [rebuilt], tmp_path / "stale")
    answer = upload(pypi, path, minted_token(pypi, github_issuer_standin), stale)
    assert answer.status_code == 400
    assert answer.reason.endswith("subject does not match distribution digest")
    assert pypi.stored() == {}

    (good,) = attest(github_issuer_standin, [path], tmp_path / "signatures")
    assert upload(pypi, path, minted_token(pypi, github_issuer_standin), good).status_code == 200
    assert set(pypi.stored()) == {WHEEL}


# -- the Simple API ----------------------------------------------------------------------------


@pytest.mark.fidelity("pypi.simple-json", "pypi.simple-html-hash")
def test_simple_api_json_and_html(pypi: PyPIStandin, tmp_path: Path) -> None:
    path = write(tmp_path, WHEEL)
    assert upload(pypi, path, API_TOKEN).status_code == 200
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    as_json = requests.get(
        f"{pypi.simple_url}demo/", headers={"Accept": ACCEPT_JSON_ONLY}, timeout=10
    )
    assert as_json.headers["Content-Type"] == "application/vnd.pypi.simple.v1+json"
    assert as_json.json()["files"][0]["hashes"] == {"sha256": digest}
    as_html = requests.get(f"{pypi.simple_url}demo/", timeout=10)
    assert as_html.headers["Content-Type"].startswith("text/html")
    assert f"#sha256={digest}" in as_html.text
    with PyPISimple(pypi.simple_url) as client:  # a third-party reader of both forms
        (package,) = client.get_project_page("demo").packages
        assert package.digests == {"sha256": digest}
    assert (
        requests.get(f"{pypi.simple_url}Demo/", timeout=10, allow_redirects=False).status_code
        == 301
    )
    assert requests.get(f"{pypi.simple_url}nothing/", timeout=10).status_code == 404


#: Platform tags of every family warehouse knows, accepted and refused ones.
PLATFORM_CORPUS = [
    *(f"{p}_{a}" for p in ("linux", "win") for a in ("x86_64", "aarch64", "armv6l", "armv7l", "amd64", "arm64", "ia64")),
    *(f"manylinux{v}_{a}" for v in ("1", "2010", "2014") for a in ("x86_64", "i686", "aarch64", "riscv64")),
    *(f"{libc}linux_{v}_{a}" for libc in ("many", "musl") for v in ("2_17", "1_2", "2_28")
      for a in ("x86_64", "ppc64", "ppc64le", "s390x", "riscv64", "sparc", "loongarch64")),
    *(f"macosx_{major}_{minor}_{a}" for major in ("10", "11", "15", "16", "26") for minor in ("0", "9", "2")
      for a in ("x86_64", "arm64", "universal2", "fat3", "fat32", "mips")),
    *(f"ios_13_0_{a}_{s}" for a in ("arm64", "x86_64", "armv7") for s in ("iphoneos", "iphonesimulator", "ipados")),
    *(f"android_{level}_{a}" for level in ("21", "35") for a in ("arm64_v8a", "armeabi_v7a", "x86", "mips")),
    "pyemscripten_2024_0_wasm32", "pyemscripten_2025_0_wasm32", "pyemscripten_2025_0_wasm64",
    "pyemscripten_2025_0_wasm32x", "emscripten_3_1_58_wasm32", "any", "win32", "cygwin_x86_64",
]  # fmt: skip


@pytest.mark.fidelity("pypi.platform-tag")
def test_the_product_refuses_exactly_the_platform_tags_pypi_refuses() -> None:
    """The product's own check (release_actions.dists) and the stand-in's model of PyPI are
    written apart from the same source; they must agree tag for tag."""
    disagree = [t for t in PLATFORM_CORPUS if pypi_accepts_platform(t) != valid_platform_tag(t)]
    assert disagree == []
    assert 20 < sum(map(valid_platform_tag, PLATFORM_CORPUS)) < len(PLATFORM_CORPUS) - 20
