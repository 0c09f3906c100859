"""Which log signs what: decided from the trust config, refused before any request."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sigstore._internal.rekor.client import RekorClient
from sigstore._internal.rekor.client_v2 import RekorV2Client
from sigstore.models import ClientTrustConfig, InvalidBundle

from release_actions.signing.errors import TrustConfigError
from release_actions.signing.plan import signing_plan
from release_actions.signing.retry import is_transient
from release_actions_dev.standins.sigstore import SigstoreStandin


@pytest.fixture(scope="module")
def standin() -> Iterator[SigstoreStandin]:
    with SigstoreStandin() as running:
        yield running


def _config(standin: SigstoreStandin, tmp_path: Path, **shape: object) -> ClientTrustConfig:
    path = standin.write_trust_config(tmp_path / "trust.json", **shape)  # type: ignore[arg-type]
    return ClientTrustConfig.from_json(path.read_text())


@pytest.mark.fidelity("sig.signing-config")
def test_production_shape_signs_bundles_on_v1_with_the_tsa(
    standin: SigstoreStandin, tmp_path: Path
) -> None:
    plan = signing_plan(_config(standin, tmp_path), attestations=True, source="t.json")
    assert plan.rekor_version == 1
    assert isinstance(plan.bundles._rekor, RekorClient)
    assert [t.url for t in plan.bundles._tsa_clients] == [standin.tsa_url]
    # Attestations: Rekor v1, no TSA (an attestation has nowhere to keep a timestamp).
    assert plan.attestations is not None
    assert isinstance(plan.attestations._rekor, RekorClient)
    assert plan.attestations._tsa_clients == []
    assert plan.describe() == ("Rekor v1 + 1 timestamp authority; PEP 740 attestations on Rekor v1")
    assert (
        signing_plan(_config(standin, tmp_path), attestations=False, source="t").attestations
        is None
    )


@pytest.mark.fidelity("sig.signing-config")
def test_rekor_v2_shape_puts_attestations_on_its_v1_log(
    standin: SigstoreStandin, tmp_path: Path
) -> None:
    plan = signing_plan(_config(standin, tmp_path, rekor=(2, 1)), attestations=True, source="t")
    assert plan.rekor_version == 2
    assert isinstance(plan.bundles._rekor, RekorV2Client)
    assert plan.attestations is not None
    assert isinstance(plan.attestations._rekor, RekorClient)


def test_rekor_v2_only_refuses_attestations_and_says_what_to_set(
    standin: SigstoreStandin, tmp_path: Path
) -> None:
    trust = _config(standin, tmp_path, rekor=(2,))
    with pytest.raises(TrustConfigError) as caught:
        signing_plan(trust, attestations=True, source="trust.json")
    assert "trust.json" in caught.value.message
    assert "Nothing was signed" in caught.value.message
    assert "`attestations: false`" in (caught.value.fix or "")
    assert "Rekor v1 log" in (caught.value.fix or "")
    assert signing_plan(trust, attestations=False, source="t").rekor_version == 2


def test_rekor_v2_without_a_timestamp_authority_is_refused(
    standin: SigstoreStandin, tmp_path: Path
) -> None:
    with pytest.raises(TrustConfigError, match="no timestamp authority"):
        signing_plan(
            _config(standin, tmp_path, rekor=(2, 1), timestamps=False),
            attestations=False,
            source="t",
        )
    document = json.loads(standin.write_trust_config(tmp_path / "t.json", rekor=(2, 1)).read_text())
    document["trustedRoot"]["timestampAuthorities"] = []
    with pytest.raises(TrustConfigError, match="trusted root lists no timestamp authority"):
        signing_plan(
            ClientTrustConfig.from_json(json.dumps(document)), attestations=False, source="t"
        )


def test_a_bundle_without_a_timestamp_is_retried_other_invalid_bundles_are_not() -> None:
    assert is_transient(
        InvalidBundle("bundle must contain an inclusion promise or signed timestamp(s)")
    )
    assert not is_transient(InvalidBundle("entry must contain an inclusion proof"))
