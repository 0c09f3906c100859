"""publish-pypi end to end through the runner contract: a real pypiserver (API tokens) and
the PyPI stand-in in front of another (trusted publishing, attestations, PyPI's rules)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from twine.commands.upload import upload as twine_upload
from twine.settings import Settings

from release_actions_dev.standins.pypi import PypiServer, PyPIStandin, TrustedPublisher
from release_actions_dev.standins.pypi.testing import attest, pypi_for
from release_actions_dev.standins.sigstore import SigstoreStandin
from tests.dists import dist_bytes, wheel_bytes
from tests.harness import StepRun, assert_failed, run_step

TOKEN = "pypi-standin-integration-test-token-0123456789"
JWT = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+")
MINTED = re.compile(r"pypi-[\w-]{40,}")
SDIST = "demo-1.2.3.tar.gz"
WHEEL = "demo-1.2.3-py3-none-any.whl"


@pytest.fixture
def pypiserver(tmp_path: Path) -> Iterator[PypiServer]:
    """A real pypiserver on 127.0.0.1 taking uploads from ``__token__`` / TOKEN."""
    with PypiServer(tmp_path / "index", token=TOKEN) as server:
        yield server


@pytest.fixture
def pypi(github_issuer_standin: SigstoreStandin) -> Iterator[PyPIStandin]:
    """The PyPI stand-in with the trusted publisher octo/example, release.yml for demo."""
    with pypi_for(github_issuer_standin) as standin:
        yield standin


def workspace(tmp_path: Path, *names: str, payload: bytes = b"") -> Path:
    ws = tmp_path / "ws"
    (ws / "dist").mkdir(parents=True, exist_ok=True)
    for name in names or (SDIST, WHEEL):
        (ws / "dist" / name).write_bytes(dist_bytes(name, payload))
    return ws


def publish(
    ws: Path, tmp_path: Path, env: Mapping[str, str] | None = None, /, **inputs: str
) -> StepRun:
    """Run the step on ``ws``; ``env`` adds runner variables (the OIDC endpoint)."""
    return run_step("publish-pypi", inputs, workspace=ws, tmp=tmp_path, extra_env=env)


def assert_no_secret(result: StepRun, *secrets: str) -> None:
    """No token in the log (but the mask commands), the outputs or the summary."""
    shown = "\n".join(
        line for line in result.stdout.splitlines() if not line.startswith("::add-mask::")
    )
    for text in (shown, result.summary, json.dumps(result.outputs)):
        for secret in secrets:
            assert secret not in text
        assert not JWT.search(text), text
        assert not MINTED.search(text), text


def files_of(result: StepRun) -> dict[str, str]:
    return {f["file"]: f["action"] for f in json.loads(result.outputs["files"])}


# -- a real pypiserver, API token ----------------------------------------------------------


def test_uploads_with_an_api_token_and_a_rerun_changes_nothing(
    pypiserver: PypiServer, tmp_path: Path
) -> None:
    ws = workspace(tmp_path)
    result = publish(ws, tmp_path, token=TOKEN, **{"repository-url": pypiserver.url})
    assert result.exit_code == 0, result.stdout
    assert json.loads(result.outputs["uploaded"]) == [WHEEL, SDIST]
    assert json.loads(result.outputs["skipped"]) == []
    assert result.outputs["index-url"] == pypiserver.simple_url
    assert result.outputs["url"] == f"{pypiserver.simple_url}demo/"
    assert (result.outputs["project"], result.outputs["version"]) == ("demo", "1.2.3")
    local = {p.name: p for p in (ws / "dist").iterdir()}
    stored = pypiserver.stored()
    assert set(stored) == set(local)
    for name, digest in stored.items():
        assert digest == json.loads(result.outputs["files"])[[WHEEL, SDIST].index(name)]["sha256"]
    assert "| `demo-1.2.3-py3-none-any.whl` | uploaded |" in result.summary
    assert "attestations are not uploaded with an API token" in result.stdout
    assert f"::add-mask::{TOKEN}" in result.stdout
    assert_no_secret(result, TOKEN)

    before = {p.name: p.stat().st_mtime_ns for p in pypiserver.directory.iterdir()}
    again = publish(ws, tmp_path, token=TOKEN, **{"repository-url": pypiserver.url})
    assert again.exit_code == 0, again.stdout
    assert json.loads(again.outputs["uploaded"]) == []
    assert json.loads(again.outputs["skipped"]) == [WHEEL, SDIST]
    assert {p.name: p.stat().st_mtime_ns for p in pypiserver.directory.iterdir()} == before
    assert "| `demo-1.2.3.tar.gz` | skipped |" in again.summary


def test_other_bytes_under_a_held_name_are_refused_before_any_upload(
    pypiserver: PypiServer, tmp_path: Path
) -> None:
    first = workspace(tmp_path / "first", WHEEL, payload=b"first build")
    assert (
        publish(first, tmp_path, token=TOKEN, **{"repository-url": pypiserver.url}).exit_code == 0
    )
    ws = workspace(tmp_path, payload=b"second build")  # same names, other bytes
    result = publish(ws, tmp_path, token=TOKEN, **{"repository-url": pypiserver.url})
    assert_failed(result, WHEEL, "other bytes", "nothing was uploaded", "new version")
    assert set(pypiserver.stored()) == {WHEEL}  # the sdist was not uploaded either
    assert "file already on the index" in result.stdout


def test_skip_existing_false_refuses_files_the_index_holds(
    pypiserver: PypiServer, tmp_path: Path
) -> None:
    ws = workspace(tmp_path, WHEEL)
    assert publish(ws, tmp_path, token=TOKEN, **{"repository-url": pypiserver.url}).exit_code == 0
    (ws / "dist" / SDIST).write_bytes(dist_bytes(SDIST))
    result = publish(
        ws, tmp_path, token=TOKEN, **{"repository-url": pypiserver.url, "skip-existing": "false"}
    )
    assert_failed(result, WHEEL, "skip-existing", "nothing was uploaded")
    assert set(pypiserver.stored()) == {WHEEL}


@pytest.mark.parametrize(
    ("files", "fragments"),
    [
        pytest.param(
            {
                "demo-1.2.3-cp312-cp312-linux_x86_64.whl": wheel_bytes(
                    tags=("cp312-cp312-linux_x86_64",)
                )
            },
            ("linux_x86_64", "PyPI refuses", "manylinux"),
            id="linux-platform-tag",
        ),
        pytest.param(
            {WHEEL: wheel_bytes(metadata_version="1.2.4")},
            ("says demo 1.2.4", "rebuild"),
            id="mislabelled-wheel",
        ),
        pytest.param(
            {"demo-1.2.4-py3-none-any.whl": dist_bytes("demo-1.2.4-py3-none-any.whl")},
            ("2 projects or versions", "demo 1.2.4"),
            id="mixed-versions",
        ),
        pytest.param(
            {"demo-1.2.3-py3-none-any.whl.sigstore.json": b"{}"},
            ("not wheels or sdists", "narrow `files`"),
            id="not-a-dist",
        ),
    ],
)
def test_bad_dists_are_refused_before_any_request(
    pypiserver: PypiServer, tmp_path: Path, files: dict[str, bytes], fragments: tuple[str, ...]
) -> None:
    ws = workspace(tmp_path, SDIST)
    for name, data in files.items():
        (ws / "dist" / name).write_bytes(data)
    result = publish(ws, tmp_path, token=TOKEN, **{"repository-url": pypiserver.url})
    assert_failed(result, *fragments)
    assert pypiserver.stored() == {}


def test_a_wrong_token_is_explained(pypiserver: PypiServer, tmp_path: Path) -> None:
    ws = workspace(tmp_path, WHEEL)
    wrong = "pypi-standin-wrong-token-0123456789abcdef0123456789"
    result = publish(ws, tmp_path, token=wrong, **{"repository-url": pypiserver.url})
    assert_failed(result, "refused", "HTTP 403", "API token")
    assert pypiserver.stored() == {}
    assert_no_secret(result, wrong)


def test_dry_run_uploads_nothing(pypiserver: PypiServer, tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    result = publish(
        ws, tmp_path, token=TOKEN, **{"repository-url": pypiserver.url, "dry-run": "true"}
    )
    assert result.exit_code == 0, result.stdout
    assert files_of(result) == {WHEEL: "would-upload", SDIST: "would-upload"}
    assert "**Dry run**" in result.summary
    assert pypiserver.stored() == {}


def test_a_file_the_index_holds_but_did_not_list_is_refused(
    pypiserver: PypiServer, tmp_path: Path
) -> None:
    """The index read shows no file, the upload is answered "already exists" (pypiserver:
    400 to twine) and a second read still shows none: refused as a race, nothing changed."""
    ws = workspace(tmp_path, WHEEL)
    settings = Settings(
        repository_url=pypiserver.url,
        username="__token__",
        password=TOKEN,
        non_interactive=True,
        disable_progress_bar=True,
    )
    twine_upload(settings, [str(ws / "dist" / WHEEL)])
    # The index-url is read before that upload would be seen: an empty index elsewhere.
    with PypiServer(tmp_path / "empty") as empty:
        result = publish(
            ws,
            tmp_path,
            token=TOKEN,
            **{"repository-url": pypiserver.url, "index-url": empty.simple_url},
        )
    assert_failed(result, WHEEL, "another upload got there")
    assert set(pypiserver.stored()) == {WHEEL}


# -- the PyPI stand-in: trusted publishing, attestations ------------------------------------


@pytest.mark.fidelity(
    "pypi.oidc-audience",
    "pypi.oidc-mint-token",
    "pypi.attestations-verified",
    "pypi.simple-json",
    "pypi.upload-token-scope",
)
def test_trusted_publishing_uploads_with_attestations_and_converges(
    pypi: PyPIStandin, github_issuer_standin: SigstoreStandin, tmp_path: Path
) -> None:
    ws = workspace(tmp_path)
    attest(github_issuer_standin, sorted((ws / "dist").iterdir()), ws / "signatures")
    env = github_issuer_standin.ambient_env()
    result = publish(ws, tmp_path, env, **{"repository-url": pypi.upload_url})
    assert result.exit_code == 0, result.stdout
    assert pypi.uploads == [WHEEL, SDIST]
    assert set(pypi.stored()) == {WHEEL, SDIST}
    assert result.outputs["index-url"] == pypi.simple_url
    assert all(f["attestation"] for f in json.loads(result.outputs["files"]))
    assert f"| `{WHEEL}` | uploaded |" in result.summary
    assert f"`{WHEEL}.publish.attestation`" in result.summary
    assert "trusted publishing (octo/example, workflow release.yml)" in result.summary
    (minted,) = pypi.minted_tokens
    assert f"::add-mask::{minted}" in result.stdout
    assert_no_secret(result, minted)

    again = publish(
        ws, tmp_path, github_issuer_standin.ambient_env(), **{"repository-url": pypi.upload_url}
    )
    assert again.exit_code == 0, again.stdout
    assert files_of(again) == {WHEEL: "skipped", SDIST: "skipped"}
    assert len(pypi.minted_tokens) == 1  # nothing to upload: no exchange
    assert pypi.uploads == [WHEEL, SDIST]


@pytest.mark.fidelity("pypi.publisher-lookup")
@pytest.mark.parametrize(
    ("claims", "fragments"),
    [
        pytest.param(
            {"job_workflow_ref": "octo/example/.github/workflows/ci.yml@refs/tags/v1.0.0"},
            ("invalid-publisher", "workflow ci.yml"),
            id="other-workflow",
        ),
        pytest.param(
            {"repository": "octo/fork"},
            ("invalid-publisher", "repository octo/fork"),
            id="other-repository",
        ),
    ],
)
def test_trusted_publishing_refusals_are_explained(
    pypi: PyPIStandin,
    github_issuer_standin: SigstoreStandin,
    tmp_path: Path,
    claims: dict[str, str],
    fragments: tuple[str, ...],
) -> None:
    ws = workspace(tmp_path)
    env = github_issuer_standin.ambient_env(**claims)
    result = publish(
        ws, tmp_path, env, **{"repository-url": pypi.upload_url, "attestations": "false"}
    )
    error = assert_failed(result, *fragments, "Manage project")
    assert "trusted publishing" in error
    assert pypi.stored() == {}
    assert_no_secret(result)


@pytest.mark.fidelity("pypi.publisher-environment")
def test_a_publisher_bound_to_an_environment_needs_the_job_in_it(
    github_issuer_standin: SigstoreStandin, tmp_path: Path
) -> None:
    publisher = TrustedPublisher("octo/example", "release.yml", "pypi", projects=("demo",))
    ws = workspace(tmp_path)
    with pypi_for(github_issuer_standin, publishers=[publisher]) as pypi:
        outside = publish(
            ws,
            tmp_path,
            github_issuer_standin.ambient_env(),
            **{"repository-url": pypi.upload_url, "attestations": "false"},
        )
        assert_failed(outside, "invalid-publisher", "environment")
        inside = publish(
            ws,
            tmp_path,
            github_issuer_standin.ambient_env(
                environment="pypi", sub="repo:octo/example:environment:pypi"
            ),
            **{"repository-url": pypi.upload_url, "attestations": "false"},
        )
        assert inside.exit_code == 0, inside.stdout
        assert "environment pypi" in inside.summary
        assert set(pypi.stored()) == {WHEEL, SDIST}


def test_a_missing_attestation_is_refused_before_any_upload(
    pypi: PyPIStandin, github_issuer_standin: SigstoreStandin, tmp_path: Path
) -> None:
    ws = workspace(tmp_path)
    attest(github_issuer_standin, [ws / "dist" / WHEEL], ws / "signatures")
    result = publish(
        ws, tmp_path, github_issuer_standin.ambient_env(), **{"repository-url": pypi.upload_url}
    )
    assert_failed(result, f"{SDIST} has no attestation", "run the sign step", "attestations: false")
    assert pypi.stored() == {}
    assert pypi.minted_tokens == []  # refused before the exchange


def test_an_attestation_of_other_bytes_is_refused(
    pypi: PyPIStandin, github_issuer_standin: SigstoreStandin, tmp_path: Path
) -> None:
    ws = workspace(tmp_path)
    attest(github_issuer_standin, sorted((ws / "dist").iterdir()), ws / "signatures")
    (ws / "dist" / WHEEL).write_bytes(dist_bytes(WHEEL, b"rebuilt after signing"))
    result = publish(
        ws, tmp_path, github_issuer_standin.ambient_env(), **{"repository-url": pypi.upload_url}
    )
    assert_failed(result, f"does not attest {WHEEL}", "never rebuild")
    assert pypi.stored() == {}


def test_an_attestation_signed_by_another_workflow_is_refused_before_any_upload(
    pypi: PyPIStandin, github_issuer_standin: SigstoreStandin, tmp_path: Path
) -> None:
    ws = workspace(tmp_path)
    other = "octo/example/.github/workflows/sign.yml@refs/tags/v1.0.0"
    attest(
        github_issuer_standin,
        sorted((ws / "dist").iterdir()),
        ws / "signatures",
        job_workflow_ref=other,
        workflow_ref=other,
    )
    result = publish(
        ws, tmp_path, github_issuer_standin.ambient_env(), **{"repository-url": pypi.upload_url}
    )
    assert_failed(result, "sign.yml", "release.yml", "trusted publisher")
    assert pypi.stored() == {}


def test_dry_run_checks_the_trusted_publisher_and_uploads_nothing(
    pypi: PyPIStandin, github_issuer_standin: SigstoreStandin, tmp_path: Path
) -> None:
    ws = workspace(tmp_path)
    attest(github_issuer_standin, sorted((ws / "dist").iterdir()), ws / "signatures")
    result = publish(
        ws,
        tmp_path,
        github_issuer_standin.ambient_env(),
        **{"repository-url": pypi.upload_url, "dry-run": "true"},
    )
    assert result.exit_code == 0, result.stdout
    assert files_of(result) == {WHEEL: "would-upload", SDIST: "would-upload"}
    assert len(pypi.minted_tokens) == 1
    assert pypi.stored() == {}
    assert pypi.uploads == []
    assert_no_secret(result, *pypi.minted_tokens)


def test_without_id_token_permission_the_fix_is_named(pypi: PyPIStandin, tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    result = publish(ws, tmp_path, **{"repository-url": pypi.upload_url})
    assert_failed(result, "id-token: write", "trusted publisher", "`token`")
    assert pypi.stored() == {}


def test_attestations_with_a_token_are_contradictory(pypi: PyPIStandin, tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    result = publish(
        ws, tmp_path, token=TOKEN, **{"repository-url": pypi.upload_url, "attestations": "true"}
    )
    assert_failed(result, "only from trusted publishing", "attestations: false")
    assert pypi.stored() == {}


def test_sign_then_publish_in_one_job(
    pypi: PyPIStandin, github_issuer_standin: SigstoreStandin, tmp_path: Path
) -> None:
    """The sign step's attestations are the ones publish-pypi sends, and PyPI verifies."""
    ws = workspace(tmp_path)
    env = github_issuer_standin.ambient_env()
    signed = run_step(
        "sign",
        {
            "files": "dist/*",
            "trust-config": str(github_issuer_standin.trust_config_path),
            "provenance": "false",
        },
        workspace=ws,
        tmp=tmp_path,
        extra_env=env,
    )
    assert signed.exit_code == 0, signed.stdout
    result = publish(ws, tmp_path, env, **{"repository-url": pypi.upload_url})
    assert result.exit_code == 0, result.stdout
    assert pypi.uploads == [WHEEL, SDIST]
    assert [f["attestation"] for f in json.loads(result.outputs["files"])] == [True, True]
    assert sorted(p.name for p in (ws / "dist").iterdir()) == sorted([WHEEL, SDIST])


def test_an_upload_token_about_to_expire_is_exchanged_again(
    github_issuer_standin: SigstoreStandin, tmp_path: Path
) -> None:
    """Minted tokens that live 2 minutes (under the 5-minute margin) are renewed before
    each upload: one exchange to check the publisher, then one per file."""
    ws = workspace(tmp_path)
    with pypi_for(github_issuer_standin, minted_lifetime=120) as pypi:
        result = publish(
            ws,
            tmp_path,
            github_issuer_standin.ambient_env(),
            **{"repository-url": pypi.upload_url, "attestations": "false"},
        )
        assert result.exit_code == 0, result.stdout
        assert set(pypi.stored()) == {WHEEL, SDIST}
        assert len(pypi.minted_tokens) == 3
        assert "exchanging a fresh OIDC token" in result.stdout
        assert_no_secret(result, *pypi.minted_tokens)
