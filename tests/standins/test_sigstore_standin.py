"""The loopback Sigstore stand-in, exercised only through sigstore-python's real API."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pypi_attestations import Attestation, Distribution, GitHubPublisher
from rfc3161_client import (
    HashAlgorithm,
    TimestampRequestBuilder,
    VerifierBuilder,
    decode_timestamp_response,
)
from rfc3161_client import VerificationError as Rfc3161VerificationError
from sigstore._internal.fulcio.client import ExpiredCertificate, FulcioClientError
from sigstore._internal.rekor import RekorClientError
from sigstore._internal.rekor.client import RekorClient
from sigstore._internal.rekor.client_v2 import RekorV2Client
from sigstore.dsse import DigestSet, Statement, StatementBuilder, Subject
from sigstore.errors import Error as SigstoreError
from sigstore.errors import VerificationError
from sigstore.models import Bundle, ClientTrustConfig, InvalidBundle
from sigstore.oidc import ExpiredIdentity, IdentityError, IdentityToken, Issuer, detect_credential
from sigstore.sign import SigningContext
from sigstore.verify import Verifier, policy

from release_actions_dev.standins.sigstore import GITHUB_ISSUER, SigstoreStandin
from release_actions_dev.standins.sigstore.rekor import MerkleTree

ARTIFACT = b"example-1.0.0.tar.gz contents\n"


def _statement(name: str, data: bytes) -> Statement:
    return (
        StatementBuilder()
        .subjects(
            [
                Subject(
                    name=name, digest=DigestSet(root={"sha256": hashlib.sha256(data).hexdigest()})
                )
            ]
        )
        .predicate_type("https://slsa.dev/provenance/v1")
        .predicate({"buildDefinition": {"buildType": "https://example.com/release@v1"}})
        .build()
    )


def _sign(standin: SigstoreStandin, data: bytes = ARTIFACT, *, token: str | None = None) -> Bundle:
    context = SigningContext.from_trust_config(standin.trust_config)
    with context.signer(IdentityToken(token or standin.issue_token())) as signer:
        return signer.sign_artifact(data)


def _verifier(standin: SigstoreStandin) -> Verifier:
    return Verifier(trusted_root=standin.trust_config.trusted_root)


def _github_policy(standin: SigstoreStandin) -> policy.VerificationPolicy:
    """What a downstream verifier writes by hand for the default release workflow."""
    return policy.AllOf(
        [
            policy.Identity(
                identity="https://github.com/octo/example/.github/workflows/release.yml@refs/tags/v1.0.0",
                issuer=standin.issuer_url,
            ),
            policy.GitHubWorkflowRepository("octo/example"),
            policy.GitHubWorkflowRef("refs/tags/v1.0.0"),
            policy.GitHubWorkflowSHA(str(standin.expected_claims()["sha"])),
            policy.GitHubWorkflowTrigger("push"),
            policy.GitHubWorkflowName("Release"),
            policy.OIDCSourceRepositoryURI("https://github.com/octo/example"),
            policy.OIDCBuildConfigURI(
                "https://github.com/octo/example/.github/workflows/release.yml@refs/tags/v1.0.0"
            ),
            policy.OIDCBuildTrigger("push"),
        ]
    )


# Trust configuration and tokens -----------------------------------------------------------


@pytest.mark.fidelity("sig.oidc-discovery", "sig.signing-config")
def test_trust_config_file_loads_and_names_the_standin(
    shared_sigstore_standin: SigstoreStandin,
) -> None:
    standin = shared_sigstore_standin
    config = ClientTrustConfig.from_json(standin.trust_config_path.read_text())
    signing = config.signing_config
    assert signing.get_fulcio().url == standin.url
    assert signing.get_oidc_url() == standin.issuer_url == f"{standin.url}/oidc"
    assert [t.url for t in signing.get_tlogs()] == [f"{standin.url}/api/v1"]  # type: ignore[attr-defined]
    assert config.trusted_root.get_fulcio_certs() == [standin.ca.root]
    # sigstore's own OIDC discovery works against the issuer.
    assert Issuer(signing.get_oidc_url()).oidc_config.token_endpoint.startswith(standin.url)


@pytest.mark.fidelity("sig.token-claims")
def test_token_has_github_actions_shape(shared_sigstore_standin: SigstoreStandin) -> None:
    standin = shared_sigstore_standin
    token = IdentityToken(standin.issue_token())
    assert token.issuer == standin.issuer_url
    assert token.identity == "repo:octo/example:ref:refs/tags/v1.0.0"
    payload = token._unverified_claims
    assert payload["aud"] == "sigstore"
    assert payload["job_workflow_ref"] == (
        "octo/example/.github/workflows/release.yml@refs/tags/v1.0.0"
    )
    for claim in ("iat", "nbf", "exp", "workflow_ref", "repository_owner", "sha", "run_id"):
        assert claim in payload
    header = json.loads(base64.urlsafe_b64decode(str(token).split(".")[0] + "=="))
    assert header["alg"] == "ES256"

    derived = IdentityToken(standin.issue_token(repository="acme/lib", ref="refs/tags/v2.0"))
    assert derived.identity == "repo:acme/lib:ref:refs/tags/v2.0"
    assert derived._unverified_claims["workflow_ref"].startswith("acme/lib/.github/")


# Signing and verifying --------------------------------------------------------------------


@pytest.mark.fidelity("sig.fulcio-sct", "sig.rekor1-set", "sig.rekor1-entry")
def test_artifact_bundle_verifies_with_github_identity_policy(
    shared_sigstore_standin: SigstoreStandin,
) -> None:
    standin = shared_sigstore_standin
    bundle = _sign(standin)
    verifier = _verifier(standin)
    verifier.verify_artifact(ARTIFACT, bundle, _github_policy(standin))
    verifier.verify_artifact(ARTIFACT, bundle, standin.policy())
    standin.verifier().verify_artifact(ARTIFACT, bundle, standin.policy())
    # The bundle survives a JSON round trip, as written to disk by the product.
    verifier.verify_artifact(ARTIFACT, Bundle.from_json(bundle.to_json()), standin.policy())


@pytest.mark.fidelity("sig.rekor1-entry")
def test_dsse_bundle_verifies(shared_sigstore_standin: SigstoreStandin) -> None:
    standin = shared_sigstore_standin
    context = SigningContext.from_trust_config(standin.trust_config)
    statement = _statement("example-1.0.0.tar.gz", ARTIFACT)
    with context.signer(IdentityToken(standin.issue_token())) as signer:
        bundle = signer.sign_dsse(statement)
    payload_type, payload = _verifier(standin).verify_dsse(bundle, _github_policy(standin))
    assert payload_type == "application/vnd.in-toto+json"
    subject = json.loads(payload)["subject"][0]
    assert subject["digest"]["sha256"] == hashlib.sha256(ARTIFACT).hexdigest()


@pytest.mark.fidelity("sig.fulcio-response", "sig.cert-lifetime", "sig.fulcio-sct")
def test_certificate_is_fulcio_shaped(shared_sigstore_standin: SigstoreStandin) -> None:
    standin = shared_sigstore_standin
    cert = _sign(standin).signing_certificate
    assert cert.subject == x509.Name([])
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.critical
    assert san.value.get_values_for_type(x509.UniformResourceIdentifier) == [
        "https://github.com/octo/example/.github/workflows/release.yml@refs/tags/v1.0.0"
    ]
    key_usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert key_usage.critical
    assert key_usage.value.digital_signature
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [x509.oid.ExtendedKeyUsageOID.CODE_SIGNING]
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert 600 <= lifetime.total_seconds() <= 601
    issuer_v2 = cert.extensions.get_extension_for_oid(
        x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
    )
    assert issuer_v2.value.public_bytes()[0] == 0x0C  # DER UTF8String
    legacy = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1"))
    assert legacy.value.public_bytes() == standin.issuer_url.encode()


@pytest.mark.fidelity("sig.fulcio-response", "sig.token-claims")
def test_reusable_workflow_signs_as_the_called_workflow(
    shared_sigstore_standin: SigstoreStandin,
) -> None:
    standin = shared_sigstore_standin
    called = "octo/shared/.github/workflows/sign.yml@refs/heads/main"
    bundle = _sign(standin, token=standin.issue_token(job_workflow_ref=called))
    verifier = _verifier(standin)
    caller_policy = policy.AllOf(
        [
            policy.Identity(identity=f"https://github.com/{called}", issuer=standin.issuer_url),
            policy.OIDCBuildSignerURI(f"https://github.com/{called}"),
            policy.OIDCBuildConfigURI(
                "https://github.com/octo/example/.github/workflows/release.yml@refs/tags/v1.0.0"
            ),
            policy.GitHubWorkflowRepository("octo/example"),
        ]
    )
    verifier.verify_artifact(ARTIFACT, bundle, caller_policy)
    assert standin.identity(job_workflow_ref=called) == f"https://github.com/{called}"
    with pytest.raises(VerificationError, match="SANs do not match"):
        verifier.verify_artifact(ARTIFACT, bundle, standin.policy())


def test_github_issuer_mode_satisfies_pypi_attestations(
    github_issuer_standin: SigstoreStandin, tmp_path: Path
) -> None:
    standin = github_issuer_standin
    assert standin.issuer_url == GITHUB_ISSUER
    dist_path = tmp_path / "example-1.0.0-py3-none-any.whl"
    dist_path.write_bytes(b"not really a wheel")
    dist = Distribution.from_file(dist_path)
    context = SigningContext.from_trust_config(standin.trust_config)
    with context.signer(IdentityToken(standin.issue_token())) as signer:
        attestation = Attestation.sign(signer, dist)
    # Attestation.verify() is hard-wired to the public-good root; verify its bundle instead.
    round_tripped = Attestation.model_validate_json(attestation.model_dump_json())
    publisher = GitHubPublisher(repository="octo/example", workflow="release.yml")
    _, payload = _verifier(standin).verify_dsse(round_tripped.to_bundle(), publisher._as_policy())
    statement = json.loads(payload)
    assert statement["predicateType"] == "https://docs.pypi.org/attestations/publish/v1"
    assert statement["subject"][0]["digest"]["sha256"] == dist.digest
    wrong = GitHubPublisher(repository="octo/example", workflow="other.yml")
    with pytest.raises(VerificationError):
        _verifier(standin).verify_dsse(round_tripped.to_bundle(), wrong._as_policy())


# Negative cases ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad_policy",
    [
        pytest.param(
            policy.Identity(
                identity="https://github.com/octo/example/.github/workflows/other.yml@refs/tags/v1.0.0"
            ),
            id="other-workflow",
        ),
        pytest.param(
            policy.Identity(
                identity="https://github.com/octo/example/.github/workflows/release.yml@refs/tags/v1.0.0",
                issuer=GITHUB_ISSUER,
            ),
            id="other-issuer",
        ),
        pytest.param(policy.GitHubWorkflowRepository("evil/example"), id="other-repository"),
        pytest.param(policy.GitHubWorkflowRef("refs/heads/main"), id="other-ref"),
        pytest.param(policy.GitHubWorkflowTrigger("pull_request_target"), id="other-trigger"),
    ],
)
def test_wrong_identity_is_rejected(
    shared_sigstore_standin: SigstoreStandin, bad_policy: policy.VerificationPolicy
) -> None:
    bundle = _sign(shared_sigstore_standin)
    with pytest.raises(VerificationError):
        _verifier(shared_sigstore_standin).verify_artifact(ARTIFACT, bundle, bad_policy)


def test_tampered_artifact_is_rejected(shared_sigstore_standin: SigstoreStandin) -> None:
    standin = shared_sigstore_standin
    bundle = _sign(standin)
    with pytest.raises(VerificationError):
        _verifier(standin).verify_artifact(ARTIFACT + b"!", bundle, standin.policy())


def test_tampered_dsse_payload_is_rejected(shared_sigstore_standin: SigstoreStandin) -> None:
    standin = shared_sigstore_standin
    context = SigningContext.from_trust_config(standin.trust_config)
    with context.signer(IdentityToken(standin.issue_token())) as signer:
        bundle = signer.sign_dsse(_statement("a.tar.gz", ARTIFACT))
    document = json.loads(bundle.to_json())
    statement = json.loads(base64.b64decode(document["dsseEnvelope"]["payload"]))
    statement["subject"][0]["digest"]["sha256"] = "0" * 64
    document["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    with pytest.raises(VerificationError):
        _verifier(standin).verify_dsse(Bundle.from_json(json.dumps(document)), standin.policy())


@pytest.mark.fidelity("sig.trusted-root")
def test_foreign_trust_root_is_rejected(
    shared_sigstore_standin: SigstoreStandin, github_issuer_standin: SigstoreStandin
) -> None:
    bundle = _sign(shared_sigstore_standin)
    with pytest.raises(VerificationError):
        _verifier(github_issuer_standin).verify_artifact(ARTIFACT, bundle, policy.UnsafeNoOp())


@pytest.mark.fidelity("sig.fulcio-request", "sig.token-expiry")
def test_fulcio_refuses_bad_requests(shared_sigstore_standin: SigstoreStandin) -> None:
    standin = shared_sigstore_standin
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([]))
        .sign(key, hashes.SHA256())
    )
    body = {
        "certificateSigningRequest": base64.b64encode(
            csr.public_bytes(serialization.Encoding.PEM)
        ).decode()
    }
    url = f"{standin.url}/api/v2/signingCert"

    def post(token: str, payload: object = body) -> requests.Response:
        return requests.post(
            url, json=payload, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )

    assert post(standin.issue_token()).status_code == 201
    assert post(standin.issue_token(lifetime=-10)).status_code == 401  # expired
    assert post(standin.issue_token(audience="pypi")).status_code == 401
    with SigstoreStandin() as other:
        assert post(other.issue_token()).status_code == 401  # signed by another issuer
    assert post(standin.issue_token(job_workflow_ref=None)).status_code == 400
    # A proof of possession by another key.
    other_key = ec.generate_private_key(ec.SECP256R1())
    proof = other_key.sign(b"repo:octo/example:ref:refs/tags/v1.0.0", ec.ECDSA(hashes.SHA256()))
    key_request = {
        "publicKeyRequest": {
            "publicKey": {
                "algorithm": "ECDSA",
                "content": key.public_key()
                .public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
                .decode(),
            },
            "proofOfPossession": base64.b64encode(proof).decode(),
        }
    }
    assert post(standin.issue_token(), key_request).status_code == 400


@pytest.mark.fidelity("sig.rekor1-entry", "sig.rekor1-errors")
def test_rekor_refuses_entries_whose_signature_does_not_verify(
    shared_sigstore_standin: SigstoreStandin,
) -> None:
    standin = shared_sigstore_standin
    bundle = _sign(standin)
    cert_b64 = base64.b64encode(
        bundle.signing_certificate.public_bytes(serialization.Encoding.PEM)
    ).decode()
    entry = {
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hashlib.sha256(b"x").hexdigest()}},
            "signature": {
                "content": base64.b64encode(bundle.signature).decode(),
                "publicKey": {"content": cert_b64},
            },
        },
    }
    before = standin.log.size
    response = requests.post(f"{standin.url}/api/v1/log/entries", json=entry, timeout=10)
    assert response.status_code == 400
    assert "signature" in response.json()["message"]
    envelope = {"payload": "e30=", "payloadType": "application/vnd.in-toto+json", "signatures": []}
    envelope["signatures"] = [{"sig": base64.b64encode(bundle.signature).decode()}]  # type: ignore[list-item]
    dsse_entry = {
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {"proposedContent": {"envelope": json.dumps(envelope), "verifiers": [cert_b64]}},
    }
    response = requests.post(f"{standin.url}/api/v1/log/entries", json=dsse_entry, timeout=10)
    assert response.status_code == 400
    assert standin.log.size == before


# Rekor's read side ------------------------------------------------------------------------


@pytest.mark.fidelity("sig.rekor1-errors", "sig.merkle-tree")
def test_rekor_log_info_and_entry_lookup(shared_sigstore_standin: SigstoreStandin) -> None:
    standin = shared_sigstore_standin
    bundle = _sign(standin)
    client = RekorClient(standin.url)
    info = client.log.get()
    assert info.tree_size == standin.log.size >= 1
    assert info.signed_tree_head.startswith(standin.log.origin)
    body = bundle.log_entry._inner.canonicalized_body
    uuid = f"{standin.log.tree_id:016x}" + hashlib.sha256(b"\x00" + body).hexdigest()
    fetched = client.log.entries.get(uuid=uuid)
    assert fetched._inner.canonicalized_body == body
    assert fetched._inner.log_index == bundle.log_entry._inner.log_index
    # Proved against the current tree, which sigstore's verifier accepts too.
    signature = bundle._inner.message_signature
    assert signature is not None
    refetched = Bundle._from_parts(bundle.signing_certificate, signature, fetched)
    _verifier(standin).verify_artifact(ARTIFACT, refetched, standin.policy())


@pytest.mark.fidelity("sig.rekor1-checkpoint")
def test_checkpoint_is_a_signed_note(shared_sigstore_standin: SigstoreStandin) -> None:
    checkpoint = _sign(shared_sigstore_standin).log_entry._inner.inclusion_proof.checkpoint
    assert checkpoint is not None
    note, signature_line = checkpoint.envelope.split("\n\n")
    origin, size, root_b64, *_ = note.split("\n")
    assert origin.endswith(f" - {shared_sigstore_standin.log.tree_id}")
    assert int(size) >= 1
    assert len(base64.b64decode(root_b64)) == 32
    assert signature_line.startswith("\u2014 ")
    assert signature_line.endswith("\n")
    signature = base64.b64decode(signature_line.split()[-1])
    assert signature[:4] == shared_sigstore_standin.log.log_id[:4]


def _root_from_proof(index: int, size: int, leaf: bytes, proof: list[bytes]) -> bytes:
    """RFC 9162 section 2.1.3.2, written independently of the stand-in."""

    def node(a: bytes, b: bytes) -> bytes:
        return hashlib.sha256(b"\x01" + a + b).digest()

    fn, sn, r = index, size - 1, hashlib.sha256(b"\x00" + leaf).digest()
    for p in proof:
        assert sn != 0
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    assert sn == 0
    return r


@pytest.mark.fidelity("sig.merkle-tree")
def test_merkle_tree_inclusion_proofs() -> None:
    tree = MerkleTree()
    leaves = [f"leaf {i}".encode() for i in range(37)]
    for leaf in leaves:
        tree.append(leaf)
    for size in range(1, len(leaves) + 1):
        root = tree.root(size)
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            assert _root_from_proof(index, size, leaves[index], proof) == root
    # Known value: the root of a one-leaf tree is the leaf hash.
    assert tree.root(1) == hashlib.sha256(b"\x00leaf 0").digest()


# Ambient credentials ----------------------------------------------------------------------


@pytest.mark.fidelity("sig.ambient-token")
def test_detect_credential_gets_a_fresh_token_from_the_runner_endpoint(
    sigstore_standin: SigstoreStandin, sigstore_ambient_env: dict[str, str]
) -> None:
    raw = detect_credential()
    assert raw is not None
    token = IdentityToken(raw)
    assert token.issuer == sigstore_standin.issuer_url
    assert sigstore_ambient_env["GITHUB_REPOSITORY"] == "octo/example"
    assert sigstore_ambient_env["GITHUB_REF_NAME"] == "v1.0.0"
    context = SigningContext.from_trust_config(sigstore_standin.trust_config)
    with context.signer(token) as signer:
        bundle = signer.sign_artifact(ARTIFACT)
    _verifier(sigstore_standin).verify_artifact(ARTIFACT, bundle, sigstore_standin.policy())
    assert sigstore_standin.request_counts["oidc"] == 1


def test_ambient_env_carries_claim_overrides(
    shared_sigstore_standin: SigstoreStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = shared_sigstore_standin.ambient_env(repository="acme/lib", event_name="release")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    raw = detect_credential()
    assert raw is not None
    claims = IdentityToken(raw)._unverified_claims
    assert (claims["repository"], claims["event_name"]) == ("acme/lib", "release")
    assert env["GITHUB_REPOSITORY"] == "acme/lib"


@pytest.mark.fidelity("sig.ambient-token")
def test_ambient_endpoint_refuses_a_wrong_request_token(
    sigstore_standin: SigstoreStandin,
    sigstore_ambient_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "not-the-runner-token")
    with pytest.raises(IdentityError, match="401"):
        detect_credential()
    monkeypatch.delenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    with pytest.raises(IdentityError, match="ACTIONS_ID_TOKEN_REQUEST_TOKEN"):
        detect_credential()


# Faults -----------------------------------------------------------------------------------


def test_rekor_502_is_an_error_and_sigstore_does_not_retry(
    sigstore_standin: SigstoreStandin, sigstore_signing_context: SigningContext
) -> None:
    sigstore_standin.fail_next("rekor", 1, status=502)
    with sigstore_signing_context.signer(IdentityToken(sigstore_standin.issue_token())) as signer:
        with pytest.raises(RekorClientError, match="502") as caught:
            signer.sign_artifact(ARTIFACT)
        # The HTTP status is reachable for a retry policy through the implicit context.
        assert isinstance(caught.value.__context__, requests.HTTPError)
        assert caught.value.__context__.response is not None
        assert caught.value.__context__.response.status_code == 502
        assert sigstore_standin.request_counts["rekor"] == 1  # no retry inside sigstore
        bundle = signer.sign_artifact(ARTIFACT)  # the next attempt goes through
    _verifier(sigstore_standin).verify_artifact(ARTIFACT, bundle, sigstore_standin.policy())
    assert sigstore_standin.log.size == 1


def test_fulcio_fault_and_latency(sigstore_standin: SigstoreStandin) -> None:
    sigstore_standin.fail_next("fulcio", 1, status=503)
    context = SigningContext.from_trust_config(sigstore_standin.trust_config)
    with pytest.raises(FulcioClientError) as caught:
        context.signer(IdentityToken(sigstore_standin.issue_token())).__enter__()
    assert isinstance(caught.value.__cause__, requests.HTTPError)
    assert caught.value.__cause__.response is not None
    assert caught.value.__cause__.response.status_code == 503
    sigstore_standin.set_latency("rekor", 0.2)
    started = time.perf_counter()
    _sign(sigstore_standin)
    assert time.perf_counter() - started >= 0.2


@pytest.mark.fidelity("sig.cert-lifetime", "sig.token-expiry")
def test_expired_certificate_and_token_mid_batch(
    sigstore_standin: SigstoreStandin, sigstore_ambient_env: dict[str, str]
) -> None:
    sigstore_standin.cert_lifetime = 1
    sigstore_standin.token_lifetime = 1
    context = SigningContext.from_trust_config(sigstore_standin.trust_config)
    raw = detect_credential()
    assert raw is not None
    token = IdentityToken(raw)
    with context.signer(token) as signer:
        first = signer.sign_artifact(b"first")
        expiry = max(
            first.signing_certificate.not_valid_after_utc.timestamp(),
            float(token._unverified_claims["exp"]),
        )
        time.sleep(max(0.0, expiry - time.time()) + 0.05)
        with pytest.raises(ExpiredCertificate):
            signer.sign_artifact(b"second")
    assert not token.in_validity_period()
    with pytest.raises(ExpiredIdentity), context.signer(token):
        pass
    # What the product does: a fresh ambient token, a new signer.
    fresh = detect_credential()
    assert fresh is not None
    with context.signer(IdentityToken(fresh)) as signer:
        second = signer.sign_artifact(b"second")
    verifier = _verifier(sigstore_standin)
    verifier.verify_artifact(b"first", first, sigstore_standin.policy())
    verifier.verify_artifact(b"second", second, sigstore_standin.policy())
    assert first.signing_certificate != second.signing_certificate


# Concurrency ------------------------------------------------------------------------------


def test_many_signatures_from_threads_with_one_signer(sigstore_standin: SigstoreStandin) -> None:
    standin = sigstore_standin
    standin.set_latency("rekor", 0.02)
    context = SigningContext.from_trust_config(standin.trust_config)
    artifacts = [f"file {i}\n".encode() for i in range(50)]
    with (
        context.signer(IdentityToken(standin.issue_token())) as signer,
        ThreadPoolExecutor(max_workers=10) as pool,
    ):
        started = time.perf_counter()
        bundles = list(pool.map(signer.sign_artifact, artifacts))
        elapsed = time.perf_counter() - started
    assert elapsed < 50 * 0.02  # concurrent: faster than the serial latency alone
    assert standin.request_counts["fulcio"] == 1  # one certificate for the batch
    assert standin.log.size == 50
    indexes = sorted(b.log_entry._inner.log_index for b in bundles)
    assert indexes == list(range(50))
    verifier = _verifier(standin)
    for data, bundle in zip(artifacts, bundles, strict=True):
        verifier.verify_artifact(data, bundle, standin.policy())


# Trust configuration shapes -----------------------------------------------------------------


@pytest.mark.fidelity("sig.signing-config", "sig.trusted-root")
def test_default_trust_config_is_public_good_production_shape(
    shared_sigstore_standin: SigstoreStandin, tmp_path: Path
) -> None:
    """Fulcio + Rekor v1 + TSA, as root-signing's signing_config.v0.2.json since July 2025;
    the trusted root names every key (both logs, the CT log, the CA, the TSA chain)."""
    standin = shared_sigstore_standin
    document = json.loads(standin.trust_config_path.read_text())
    signing = document["signingConfig"]
    assert [s["majorApiVersion"] for s in signing["rekorTlogUrls"]] == [1]
    assert [s["url"] for s in signing["tsaUrls"]] == [f"{standin.url}/api/v1/timestamp"]
    assert signing["rekorTlogConfig"] == signing["tsaConfig"] == {"selector": "ANY"}
    config = standin.trust_config
    assert [type(t) for t in config.signing_config.get_tlogs()] == [RekorClient]
    assert [t.url for t in config.signing_config.get_tsas()] == [standin.tsa_url]
    root = document["trustedRoot"]
    assert [t["publicKey"]["keyDetails"] for t in root["tlogs"]] == [
        "PKIX_ECDSA_P256_SHA_256",
        "PKIX_ED25519",
    ]
    chain = root["timestampAuthorities"][0]["certChain"]["certificates"]
    assert [base64.b64decode(c["rawBytes"]) for c in chain] == [
        c.public_bytes(serialization.Encoding.DER) for c in standin.tsa.chain
    ]
    # The opt-in v2 shape lists v2 before v1 by the same operator: sigstore picks v2, and
    # force_tlog_version = 1 (pypi-attestations' CLI) picks v1 from the same file.
    v2 = ClientTrustConfig.from_json(
        standin.write_trust_config(tmp_path / "v2.json", rekor=(2, 1)).read_text()
    )
    assert [type(t) for t in v2.signing_config.get_tlogs()] == [RekorV2Client]
    v2.force_tlog_version = 1
    assert [type(t) for t in v2.signing_config.get_tlogs()] == [RekorClient]
    only_v2 = ClientTrustConfig.from_json(
        standin.write_trust_config(tmp_path / "only.json", rekor=(2,)).read_text()
    )
    only_v2.force_tlog_version = 1
    with pytest.raises(SigstoreError, match="No valid Rekor transparency log"):
        only_v2.signing_config  # noqa: B018


# RFC 3161 timestamp authority ---------------------------------------------------------------


@pytest.mark.fidelity("sig.tsa-request", "sig.tsa-response", "sig.tsa-chain")
def test_timestamp_authority_answers_as_sigstores_does(
    shared_sigstore_standin: SigstoreStandin,
) -> None:
    standin = shared_sigstore_standin
    message = b"the signature bytes of a bundle"
    request = (
        TimestampRequestBuilder()
        .hash_algorithm(HashAlgorithm.SHA256)
        .data(message)
        .nonce(nonce=True)
        .build()
    )
    response = requests.post(
        standin.tsa_url,
        data=request.as_bytes(),
        headers={"Content-Type": "application/timestamp-query"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/timestamp-reply"
    reply = decode_timestamp_response(response.content)
    info = reply.tst_info
    assert info.policy.dotted_string == "1.3.6.1.4.1.57264.2"
    assert info.nonce == request.nonce
    assert info.gen_time.microsecond == 0
    assert abs(info.gen_time.timestamp() - time.time()) < 5
    assert info.accuracy.seconds == 1
    assert info.message_imprint.message == hashlib.sha256(message).digest()
    assert len(reply.signed_data.certificates) == 1  # the leaf, because certReq was set
    verifier = (
        VerifierBuilder()
        .tsa_certificate(standin.tsa.leaf)
        .add_root_certificate(standin.tsa.root)
        .build()
    )
    assert verifier.verify_message(reply, message)
    eku = standin.tsa.leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical
    assert list(eku.value) == [x509.oid.ExtendedKeyUsageOID.TIME_STAMPING]
    chain = requests.get(f"{standin.tsa_url}/certchain", timeout=10).text
    assert x509.load_pem_x509_certificates(chain.encode()) == standin.tsa.chain
    # Another TSA's chain does not verify it.
    with SigstoreStandin() as other:
        foreign = (
            VerifierBuilder()
            .tsa_certificate(other.tsa.leaf)
            .add_root_certificate(other.tsa.root)
            .build()
        )
        with pytest.raises(Rfc3161VerificationError):
            foreign.verify_message(reply, message)


@pytest.mark.fidelity("sig.tsa-request")
def test_timestamp_authority_refuses_what_sigstores_refuses(
    shared_sigstore_standin: SigstoreStandin,
) -> None:
    url = shared_sigstore_standin.tsa_url
    query = {"Content-Type": "application/timestamp-query"}
    sha1 = TimestampRequestBuilder().hash_algorithm(HashAlgorithm.SHA256).data(b"x").build()
    weak = tsp.TimeStampReq.load(sha1.as_bytes())
    weak["message_imprint"] = {
        "hash_algorithm": {"algorithm": "sha1"},
        "hashed_message": hashlib.sha1(b"x").digest(),  # noqa: S324 - the refused case
    }
    assert requests.post(url, data=weak.dump(), headers=query, timeout=10).status_code == 400
    policy_req = tsp.TimeStampReq.load(sha1.as_bytes())
    policy_req["req_policy"] = "1.2.3.4"
    assert requests.post(url, data=policy_req.dump(), headers=query, timeout=10).status_code == 400
    assert requests.post(url, data=b"not DER", headers=query, timeout=10).status_code == 400
    wrong_type = {"Content-Type": "application/octet-stream"}
    assert (
        requests.post(url, data=sha1.as_bytes(), headers=wrong_type, timeout=10).status_code == 415
    )


@pytest.mark.fidelity("sig.tsa-chain", "sig.rekor1-set")
def test_rekor_v1_bundles_have_two_sources_of_time_and_need_only_one(
    shared_sigstore_standin: SigstoreStandin, tmp_path: Path
) -> None:
    """sigstore-python: one verified time is enough (the SET or a trusted timestamp), but a
    trusted root without any TSA refuses a bundle that carries a timestamp."""
    standin = shared_sigstore_standin
    bundle = _sign(standin)
    assert {t.source.name for t in _verifier(standin)._establish_time(bundle)} == {
        "TIMESTAMP_AUTHORITY",
        "TRANSPARENCY_SERVICE",
    }
    document = json.loads(bundle.to_json())
    del document["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"]
    no_set = Bundle.from_json(json.dumps(document))
    _verifier(standin).verify_artifact(ARTIFACT, no_set, standin.policy())  # the TSA's time
    with SigstoreStandin() as other:  # its TSA signed nothing here: the SET carries the time
        root = json.loads(standin.trust_config_path.read_text())
        root["trustedRoot"]["timestampAuthorities"] = json.loads(
            other.trust_config_path.read_text()
        )["trustedRoot"]["timestampAuthorities"]
        foreign_tsa = ClientTrustConfig.from_json(json.dumps(root)).trusted_root
        Verifier(trusted_root=foreign_tsa).verify_artifact(ARTIFACT, bundle, standin.policy())
        with pytest.raises(VerificationError, match="not enough sources of verified time"):
            Verifier(trusted_root=foreign_tsa).verify_artifact(ARTIFACT, no_set, standin.policy())
    root["trustedRoot"]["timestampAuthorities"] = []
    no_tsa = ClientTrustConfig.from_json(json.dumps(root)).trusted_root
    with pytest.raises(VerificationError, match="no Timestamp Authorities"):
        Verifier(trusted_root=no_tsa).verify_artifact(ARTIFACT, bundle, standin.policy())


# Rekor v2 -------------------------------------------------------------------------------------


def _v2_context(standin: SigstoreStandin, tmp: Path, **shape: object) -> SigningContext:
    path = standin.write_trust_config(tmp / "v2.json", rekor=(2, 1), **shape)  # type: ignore[arg-type]
    return SigningContext.from_trust_config(ClientTrustConfig.from_json(path.read_text()))


@pytest.mark.fidelity(
    "sig.rekor2-request",
    "sig.rekor2-entry",
    "sig.rekor2-response",
    "sig.rekor2-checkpoint",
    "sig.rekor2-log-id",
)
def test_rekor_v2_entries_verify_for_artifacts_and_dsse(
    sigstore_standin: SigstoreStandin, tmp_path: Path
) -> None:
    standin = sigstore_standin
    context = _v2_context(standin, tmp_path)
    statement = _statement("example-1.0.0.tar.gz", ARTIFACT)
    with context.signer(IdentityToken(standin.issue_token())) as signer:
        bundle = signer.sign_artifact(ARTIFACT)
        dsse_bundle = signer.sign_dsse(statement)
    verifier = _verifier(standin)
    verifier.verify_artifact(ARTIFACT, Bundle.from_json(bundle.to_json()), standin.policy())
    payload_type, _ = verifier.verify_dsse(
        Bundle.from_json(dsse_bundle.to_json()), standin.policy()
    )
    assert payload_type == "application/vnd.in-toto+json"
    assert {t.source.name for t in verifier._establish_time(bundle)} == {"TIMESTAMP_AUTHORITY"}
    assert (standin.log.size, standin.log_v2.size) == (0, 2)
    entry = json.loads(bundle.to_json())["verificationMaterial"]["tlogEntries"][0]
    assert entry["kindVersion"] == {"kind": "hashedrekord", "version": "0.0.2"}
    assert "inclusionPromise" not in entry
    assert base64.b64decode(entry["logId"]["keyId"]) == standin.log_v2.log_id
    body = json.loads(base64.b64decode(entry["canonicalizedBody"]))
    spec = body["spec"]["hashedRekordV002"]
    assert body["apiVersion"] == "0.0.2"
    assert spec["data"] == {
        "algorithm": "SHA2_256",
        "digest": base64.b64encode(hashlib.sha256(ARTIFACT).digest()).decode(),
    }
    assert spec["signature"]["verifier"]["keyDetails"] == "PKIX_ECDSA_P256_SHA_256"
    # The DSSE envelope is logged as a hashedrekord over its PAE (rekor-tiles has no DSSE).
    dsse_entry = json.loads(dsse_bundle.to_json())["verificationMaterial"]["tlogEntries"][0]
    assert dsse_entry["kindVersion"] == {"kind": "hashedrekord", "version": "0.0.2"}
    checkpoint = entry["inclusionProof"]["checkpoint"]["envelope"]
    note, signature_line = checkpoint.split("\n\n")
    origin = standin.url.removeprefix("http://")
    assert note.split("\n")[:2] == [origin, "1"]
    assert len(note.split("\n")) == 3  # origin, size, root: no extension lines
    name, encoded = signature_line.removeprefix("\u2014 ").split()
    assert name == origin
    signature = base64.b64decode(encoded)
    assert signature[:4] == standin.log_v2.log_id[:4]
    public = standin.log_v2.key.public_key()
    public.verify(signature[4:], (note + "\n").encode())
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert standin.log_v2.log_id == hashlib.sha256(origin.encode() + b"\n\x01" + raw).digest()


@pytest.mark.fidelity("sig.rekor2-request", "sig.rekor2-errors")
def test_rekor_v2_refuses_what_rekor_tiles_refuses(
    shared_sigstore_standin: SigstoreStandin,
) -> None:
    standin = shared_sigstore_standin
    key = ec.generate_private_key(ec.SECP256R1())
    with standin.signing_context().signer(IdentityToken(standin.issue_token())) as signer:
        cert = signer._signing_cert()
        key_bundle = signer.sign_artifact(ARTIFACT)
    digest = hashlib.sha256(ARTIFACT).digest()
    url = f"{standin.url}/api/v2/log/entries"

    def request(
        signature: bytes, *, digest: bytes = digest, details: str = "PKIX_ECDSA_P256_SHA_256"
    ) -> dict[str, object]:
        return {
            "hashedRekordRequestV002": {
                "digest": base64.b64encode(digest).decode(),
                "signature": {
                    "content": base64.b64encode(signature).decode(),
                    "verifier": {
                        "x509Certificate": {
                            "rawBytes": base64.b64encode(
                                cert.public_bytes(serialization.Encoding.DER)
                            ).decode()
                        },
                        "keyDetails": details,
                    },
                },
            }
        }

    before = standin.log_v2.size
    good = request(key_bundle.signature)
    assert requests.post(url, json=good, timeout=10).status_code == 201
    duplicate = requests.post(url, json=good, timeout=10)
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == 6  # gRPC AlreadyExists
    forged = requests.post(
        url, json=request(key.sign(digest, ec.ECDSA(hashes.SHA256()))), timeout=10
    )
    assert forged.status_code == 400
    assert forged.json()["code"] == 3  # gRPC InvalidArgument
    short = request(key_bundle.signature, digest=digest[:20])
    assert requests.post(url, json=short, timeout=10).status_code == 400
    ed = request(key_bundle.signature, details="PKIX_ED25519")
    assert requests.post(url, json=ed, timeout=10).status_code == 400
    dsse: dict[str, object] = {"dsseRequestV002": {"envelope": {}, "verifiers": []}}
    refused = requests.post(url, json=dsse, timeout=10)
    assert refused.status_code == 400
    assert "must be hashedrekord" in refused.json()["message"]
    assert standin.log_v2.size == before + 1


@pytest.mark.fidelity("sig.rekor2-response", "sig.tsa-chain")
def test_rekor_v2_needs_a_timestamp_to_make_or_verify_a_bundle(
    sigstore_standin: SigstoreStandin, tmp_path: Path
) -> None:
    """What sigstore-python does: without a TSA the v2 entry is made, then no bundle; with a
    timestamp the trusted root does not name, nothing verifies."""
    standin = sigstore_standin
    no_tsa = _v2_context(standin, tmp_path, timestamps=False)
    with (
        no_tsa.signer(IdentityToken(standin.issue_token())) as signer,
        pytest.raises(InvalidBundle, match="inclusion promise or signed timestamp"),
    ):
        signer.sign_artifact(ARTIFACT)
    assert standin.log_v2.size == 1  # the entry exists all the same
    with SigstoreStandin() as other:
        foreign = _v2_context(standin, tmp_path, tsa_url=other.tsa_url)
        with foreign.signer(IdentityToken(standin.issue_token())) as signer:
            bundle = signer.sign_artifact(ARTIFACT)
    with pytest.raises(VerificationError, match="not enough sources of verified time"):
        _verifier(standin).verify_artifact(ARTIFACT, bundle, standin.policy())
    # A TSA failure is only a warning in sigstore-python: with v2 the bundle cannot be built.
    standin.fail_next("tsa", 1, status=503)
    with (
        _v2_context(standin, tmp_path).signer(IdentityToken(standin.issue_token())) as signer,
        pytest.raises(InvalidBundle),
    ):
        signer.sign_artifact(ARTIFACT)


def test_pypi_attestations_cannot_carry_a_rekor_v2_entry(
    github_issuer_standin: SigstoreStandin, tmp_path: Path
) -> None:
    """Why `sign` puts attestations on Rekor v1: PEP 740's verification material has no
    timestamps, so a v2 attestation has no source of time (pypi/pypi-attestations#142)."""
    standin = github_issuer_standin
    dist_path = tmp_path / "example-1.0.0-py3-none-any.whl"
    dist_path.write_bytes(b"not really a wheel")
    with _v2_context(standin, tmp_path).signer(IdentityToken(standin.issue_token())) as signer:
        attestation = Attestation.sign(signer, Distribution.from_file(dist_path))
    assert "inclusionPromise" not in json.dumps(
        attestation.verification_material.transparency_entries[0]
    )
    with pytest.raises(InvalidBundle, match="inclusion promise or signed timestamp"):
        attestation.to_bundle()
