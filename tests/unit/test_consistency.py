"""The release-consistency invariant on real signature files (made with the Sigstore stand-in)."""

from __future__ import annotations

import hashlib
from functools import partial
from pathlib import Path

import pytest

from release_actions.consistency import ReleaseFile, check_consistency
from release_actions_dev.standins.sigstore import SigstoreStandin
from tests.dists import dist_bytes
from tests.harness import run_step

WHEEL = "demo-1.2.3-py3-none-any.whl"
SDIST = "demo-1.2.3.tar.gz"


@pytest.fixture(scope="module")
def signed(
    shared_sigstore_standin: SigstoreStandin, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, bytes]:
    """The dists and every signature file `sign` makes for them (bundles, provenance,
    attestations), read back as bytes: name → content."""
    standin = shared_sigstore_standin
    ws = tmp_path_factory.mktemp("signed")
    (ws / "dist").mkdir()
    for name in (WHEEL, SDIST):
        (ws / "dist" / name).write_bytes(dist_bytes(name))
    result = run_step(
        "sign",
        {"files": "dist/*", "trust-config": str(standin.trust_config_path)},
        workspace=ws,
        tmp=ws.parent / f"{ws.name}-runs",
        extra_env=standin.ambient_env(),
    )
    assert result.exit_code == 0, result.stdout
    files = {p.name: p.read_bytes() for p in (ws / "dist").iterdir()}
    files.update({p.name: p.read_bytes() for p in (ws / "signatures").iterdir()})
    return files


def release(files: dict[str, bytes], *, digests: bool = True) -> list[ReleaseFile]:
    return [
        ReleaseFile(
            name, hashlib.sha256(data).hexdigest() if digests else None, partial(bytes, data)
        )
        for name, data in files.items()
    ]


def test_a_signed_release_is_consistent_and_every_dist_covered(signed: dict[str, bytes]) -> None:
    report = check_consistency(release(signed))
    assert report.ok, report.problems
    assert [(d.name, d.bundle, d.attestation, d.provenance) for d in report.dists] == [
        (WHEEL, True, True, True),
        (SDIST, True, True, True),
    ]
    assert report.claims == 5  # two bundles, two attestations, one provenance
    assert "consistent" in report.headline()


def test_unknown_digests_are_hashed_from_the_bytes(signed: dict[str, bytes]) -> None:
    assert check_consistency(release(signed, digests=False)).ok


def test_a_dist_replaced_without_its_signatures_is_inconsistent(signed: dict[str, bytes]) -> None:
    files = dict(signed)
    files[WHEEL] = dist_bytes(WHEEL, payload=b"rebuilt with other bytes")
    report = check_consistency(release(files))
    assert not report.ok
    assert report.stale == (
        "demo-1.2.3-py3-none-any.whl.publish.attestation",
        "demo-1.2.3-py3-none-any.whl.sigstore.json",
        "demo-1.2.3.intoto.jsonl",
    )
    assert any(
        p.startswith(f"{WHEEL}.sigstore.json signs {WHEEL} with sha256") for p in report.problems
    )
    assert next(d for d in report.dists if d.name == WHEEL).bundle is False


def test_a_claim_about_a_file_not_on_the_release_is_a_problem(signed: dict[str, bytes]) -> None:
    files = {k: v for k, v in signed.items() if k != SDIST}
    report = check_consistency(release(files))
    assert f"{SDIST}.sigstore.json signs {SDIST}, which is not on the release" in report.problems
    assert (
        "demo-1.2.3.intoto.jsonl lists demo-1.2.3.tar.gz, which is not on the release"
        in report.problems
    )


def test_an_unreadable_signature_file_is_a_problem(signed: dict[str, bytes]) -> None:
    files = dict(signed)
    files[f"{SDIST}.sigstore.json"] = b"{not json"
    report = check_consistency(release(files))
    assert report.stale == (f"{SDIST}.sigstore.json",)


def test_unsigned_releases_make_no_claims_and_are_consistent(tmp_path: Path) -> None:
    report = check_consistency(release({WHEEL: dist_bytes(WHEEL)}))
    assert report.ok
    assert report.dists[0].bundle is False
