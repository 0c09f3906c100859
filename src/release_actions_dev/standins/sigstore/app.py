"""The WSGI application serving the stand-in's OIDC issuer, Fulcio, Rekor and TSA on one origin.

Example::

    from release_actions_dev.standins._server import LoopbackServer

    app = SigstoreApp(settings=Settings())
    with LoopbackServer(app) as server:
        app.bind(server.url)
        # GET {server.url}/oidc/.well-known/openid-configuration, POST /api/v2/signingCert, …

Routes (the paths real clients use, so one origin serves all three services):

* ``GET  /oidc/.well-known/openid-configuration``, ``GET /oidc/.well-known/jwks``
* ``GET  /oidc/actions-token?audience=…`` with ``Authorization: bearer <request token>``:
  the GitHub runner's ambient-token endpoint (``ACTIONS_ID_TOKEN_REQUEST_URL``)
* ``POST /api/v2/signingCert``, ``GET /api/v2/trustBundle`` (Fulcio)
* ``GET  /api/v1/log``, ``POST /api/v1/log/entries``, ``GET /api/v1/log/entries/<uuid>``,
  ``GET /api/v1/log/entries?logIndex=N`` (Rekor v1)
* ``POST /api/v2/log/entries`` (Rekor v2, rekor-tiles' write API)
* ``POST /api/v1/timestamp``, ``GET /api/v1/timestamp/certchain`` (RFC 3161 timestamp authority)

Fault injection and latency apply per service: ``"rekor"`` covers both logs' entry
endpoints, ``"tsa"`` the timestamp endpoint.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from release_actions_dev.standins.sigstore.ca import CertificateAuthority, ClaimError
from release_actions_dev.standins.sigstore.oidc import DEFAULT_AUDIENCE, TokenError, TokenIssuer
from release_actions_dev.standins.sigstore.rekor import EntryError, TransparencyLog
from release_actions_dev.standins.sigstore.rekor2 import DuplicateEntry, TransparencyLogV2
from release_actions_dev.standins.sigstore.tsa import TimestampAuthority, TimestampRequestError

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["OIDC_PREFIX", "Service", "Settings", "SigstoreApp"]

Service = Literal["oidc", "fulcio", "rekor", "tsa"]
SERVICES: tuple[Service, ...] = ("oidc", "fulcio", "rekor", "tsa")
OIDC_PREFIX = "/oidc"


@dataclass
class Settings:
    """Tunable behaviour and fault injection; safe to change while the server runs."""

    token_lifetime: float = 300.0
    cert_lifetime: float = 600.0
    latency: dict[Service, float] = field(default_factory=lambda: dict.fromkeys(SERVICES, 0.0))
    requests: Counter[Service] = field(default_factory=Counter)
    _failures: dict[Service, list[int]] = field(
        default_factory=lambda: {service: [] for service in SERVICES}
    )
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, service: Service, times: int = 1, *, status: int = 502) -> None:
        """Answer the next ``times`` requests to ``service`` with ``status``."""
        with self._lock:
            self._failures[service].extend([status] * times)

    def pending_failures(self, service: Service) -> int:
        with self._lock:
            return len(self._failures[service])

    def admit(self, service: Service) -> int | None:
        """Count a request, sleep its latency; return an injected status if one is due."""
        with self._lock:
            self.requests[service] += 1
            status = self._failures[service].pop(0) if self._failures[service] else None
            delay = self.latency.get(service, 0.0)
        if delay > 0:
            time.sleep(delay)
        return status


def _json(data: object, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(data), status=status, mimetype="application/json", headers=dict(headers or {})
    )


def _grpc_error(status: int, code: int, message: str) -> Response:
    # Fulcio's grpc-gateway error body.
    return _json({"code": code, "message": message, "details": []}, status)


def _rekor_error(status: int, message: str) -> Response:
    return _json({"code": status, "message": message}, status)


class CertificateRequestError(Exception):
    """A signing-certificate request Fulcio would refuse (HTTP 400)."""


class SigstoreApp:
    """All the services. Create, serve, then ``bind`` to the served URL before use."""

    def __init__(
        self,
        *,
        settings: Settings,
        ca: CertificateAuthority | None = None,
        issuer_url: str | None = None,
    ) -> None:
        self.settings = settings
        self.ca = ca or CertificateAuthority.generate()
        self.tsa = TimestampAuthority.generate()
        self._issuer_url = issuer_url
        self._issuer: TokenIssuer | None = None
        self._log: TransparencyLog | None = None
        self._log_v2: TransparencyLogV2 | None = None
        self._base_url: str | None = None
        self._ambient: dict[str, dict[str, object]] = {}
        self._ambient_lock = threading.Lock()
        self._urls = Map(
            [
                Rule(f"{OIDC_PREFIX}/.well-known/openid-configuration", endpoint="discovery"),
                Rule(f"{OIDC_PREFIX}/.well-known/jwks", endpoint="jwks"),
                Rule(f"{OIDC_PREFIX}/actions-token", endpoint="ambient", methods=["GET"]),
                Rule("/api/v2/signingCert", endpoint="signing_cert", methods=["POST"]),
                Rule("/api/v2/trustBundle", endpoint="trust_bundle", methods=["GET"]),
                Rule("/api/v1/log", endpoint="log_info", methods=["GET"]),
                Rule("/api/v1/log/entries", endpoint="entries", methods=["GET", "POST"]),
                Rule("/api/v1/log/entries/<uuid>", endpoint="entry", methods=["GET"]),
                Rule("/api/v2/log/entries", endpoint="entries_v2", methods=["POST"]),
                Rule("/api/v1/timestamp", endpoint="timestamp", methods=["POST"]),
                Rule("/api/v1/timestamp/certchain", endpoint="tsa_chain", methods=["GET"]),
            ]
        )

    def bind(self, base_url: str) -> None:
        """Fix the URLs (known once the server listens) and create the issuer and log."""
        self._base_url = base_url
        self._issuer = TokenIssuer.generate(url=self._issuer_url or base_url + OIDC_PREFIX)
        host = base_url.split("://", 1)[-1]
        self._log = TransparencyLog.generate(origin=f"rekor-standin.{host}")
        self._log_v2 = TransparencyLogV2.generate(origin=host)

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("SigstoreApp.bind() has not been called")
        return self._base_url

    @property
    def issuer(self) -> TokenIssuer:
        if self._issuer is None:
            raise RuntimeError("SigstoreApp.bind() has not been called")
        return self._issuer

    @property
    def log(self) -> TransparencyLog:
        if self._log is None:
            raise RuntimeError("SigstoreApp.bind() has not been called")
        return self._log

    @property
    def log_v2(self) -> TransparencyLogV2:
        if self._log_v2 is None:
            raise RuntimeError("SigstoreApp.bind() has not been called")
        return self._log_v2

    @property
    def ambient_url(self) -> str:
        return f"{self.base_url}{OIDC_PREFIX}/actions-token"

    def register_ambient(self, overrides: Mapping[str, object]) -> str:
        """A new runner request token whose tokens carry ``overrides``."""
        request_token = secrets.token_urlsafe(24)
        with self._ambient_lock:
            self._ambient[request_token] = dict(overrides)
        return request_token

    # WSGI ---------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        try:
            endpoint, args = self._urls.bind_to_environ(environ).match()
            response = getattr(self, f"_on_{endpoint}")(request, **args)
        except NotFound:
            response = _json({"code": 404, "message": "not found"}, 404)
        except MethodNotAllowed:
            response = _json({"code": 405, "message": "method not allowed"}, 405)
        except HTTPException as exc:  # pragma: no cover - werkzeug's other errors
            response = exc.get_response(environ)
        result: Iterable[bytes] = response(environ, start_response)
        return result

    def _service_gate(self, service: Service) -> Response | None:
        status = self.settings.admit(service)
        if status is None:
            return None
        message = f"injected fault: HTTP {status}"
        if service == "fulcio":
            return _grpc_error(status, 14, message)
        return _rekor_error(status, message)

    # OIDC ---------------------------------------------------------------------------------

    def _on_discovery(self, request: Request) -> Response:
        return _json(self.issuer.discovery())

    def _on_jwks(self, request: Request) -> Response:
        return _json(self.issuer.jwks())

    def _on_ambient(self, request: Request) -> Response:
        # fidelity: sig.ambient-token
        if (gate := self._service_gate("oidc")) is not None:
            return gate
        scheme, _, request_token = request.headers.get("Authorization", "").partition(" ")
        with self._ambient_lock:
            overrides = self._ambient.get(request_token.strip())
        if scheme.lower() != "bearer" or overrides is None:
            return _json({"message": "Unauthorized: bad ACTIONS_ID_TOKEN_REQUEST_TOKEN"}, 401)
        audience = request.args.get("audience", DEFAULT_AUDIENCE)
        token = self.issuer.issue(
            lifetime=self.settings.token_lifetime, audience=audience, **overrides
        )
        return _json({"count": len(token), "value": token})

    # Fulcio -------------------------------------------------------------------------------

    def _on_trust_bundle(self, request: Request) -> Response:
        return _json({"chains": [{"certificates": [self.ca.root_pem]}]})

    def _on_signing_cert(self, request: Request) -> Response:
        if (gate := self._service_gate("fulcio")) is not None:
            return gate
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return _grpc_error(401, 16, "missing bearer identity token")
        try:
            claims = self.issuer.verify(token.strip(), audience=DEFAULT_AUDIENCE)
        except TokenError as exc:
            return _grpc_error(401, 16, f"There was an error processing the identity token: {exc}")
        try:
            public_key = _proven_public_key(request.get_data(), claims)
        except CertificateRequestError as exc:
            return _grpc_error(400, 3, str(exc))
        try:
            leaf = self.ca.issue(public_key, claims=claims, lifetime=self.settings.cert_lifetime)
        except ClaimError as exc:
            return _grpc_error(400, 3, str(exc))
        # fidelity: sig.fulcio-response
        chain = [leaf.public_bytes(serialization.Encoding.PEM).decode(), self.ca.root_pem]
        return _json({"signedCertificateEmbeddedSct": {"chain": {"certificates": chain}}}, 201)

    # Rekor --------------------------------------------------------------------------------

    def _on_log_info(self, request: Request) -> Response:
        return _json(self.log.info())

    def _on_entries(self, request: Request) -> Response:
        if (gate := self._service_gate("rekor")) is not None:
            return gate
        if request.method == "GET":
            raw_index = request.args.get("logIndex", "")
            if not raw_index.isdigit():
                return _rekor_error(400, "logIndex must be a non-negative integer")
            found = self.log.get(index=int(raw_index))
            return _json(found) if found else _rekor_error(404, "entry not found")
        try:
            proposed = json.loads(request.get_data())
        except ValueError:
            return _rekor_error(400, "request body is not JSON")
        # fidelity: sig.rekor1-errors
        try:
            status, response = self.log.submit(proposed)
        except EntryError as exc:
            return _rekor_error(400, str(exc))
        (uuid,) = response
        location = {"Location": f"/api/v1/log/entries/{uuid}"}
        if status == 409:
            return _json(
                {"code": 409, "message": f"an equivalent entry already exists: {uuid}"},
                409,
                location,
            )
        return _json(response, 201, {**location, "ETag": uuid})

    def _on_entries_v2(self, request: Request) -> Response:
        if (gate := self._service_gate("rekor")) is not None:
            return gate
        try:
            proposed = json.loads(request.get_data())
        except ValueError:
            return _grpc_error(400, 3, "request body is not JSON")
        # fidelity: sig.rekor2-errors
        try:
            entry = self.log_v2.submit(proposed)
        except EntryError as exc:
            return _grpc_error(400, 3, f"invalid hashedrekord request: {exc}")
        except DuplicateEntry as exc:
            return _grpc_error(409, 6, str(exc))
        return _json(entry, 201)

    # Timestamp authority ------------------------------------------------------------------

    def _on_timestamp(self, request: Request) -> Response:
        if (gate := self._service_gate("tsa")) is not None:
            return gate
        # fidelity: sig.tsa-request
        if request.mimetype != "application/timestamp-query":
            return _rekor_error(415, "expected Content-Type application/timestamp-query")
        try:
            reply = self.tsa.respond(request.get_data())
        except TimestampRequestError as exc:
            return _rekor_error(400, str(exc))
        return Response(reply, status=200, mimetype="application/timestamp-reply")

    def _on_tsa_chain(self, request: Request) -> Response:
        return Response(self.tsa.chain_pem, mimetype="application/pem-certificate-chain")

    def _on_entry(self, request: Request, uuid: str) -> Response:
        if (gate := self._service_gate("rekor")) is not None:
            return gate
        found = self.log.get(uuid=uuid)
        return _json(found) if found else _rekor_error(404, "entry not found")


def _proven_public_key(body: bytes, claims: Mapping[str, Any]) -> ec.EllipticCurvePublicKey:
    """The requested key, after checking the proof that the caller holds its private half.

    Accepts Fulcio v2's two request forms: a signed CSR, or a public key with a
    signature over the token's ``sub`` claim (``proofOfPossession``).
    """
    # fidelity: sig.fulcio-request
    try:
        request = json.loads(body)
    except ValueError as exc:
        raise CertificateRequestError("request body is not JSON") from exc
    if not isinstance(request, dict):
        raise CertificateRequestError("request body must be a JSON object")
    key: object
    if "certificateSigningRequest" in request:
        try:
            pem = base64.b64decode(request["certificateSigningRequest"], validate=True)
            csr = x509.load_pem_x509_csr(pem)
        except (TypeError, ValueError, binascii.Error) as exc:
            raise CertificateRequestError(
                "certificateSigningRequest is not a base64 PEM CSR"
            ) from exc
        if not csr.is_signature_valid:
            raise CertificateRequestError(
                "the CSR's signature (proof of possession) does not verify"
            )
        key = csr.public_key()
    elif isinstance(request.get("publicKeyRequest"), dict):
        key_request = request["publicKeyRequest"]
        try:
            key = serialization.load_pem_public_key(
                str(key_request["publicKey"]["content"]).encode()
            )
            proof = base64.b64decode(key_request["proofOfPossession"], validate=True)
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            raise CertificateRequestError(
                "publicKeyRequest needs publicKey.content and a proof"
            ) from exc
        if isinstance(key, ec.EllipticCurvePublicKey):
            try:
                key.verify(proof, str(claims["sub"]).encode(), ec.ECDSA(hashes.SHA256()))
            except InvalidSignature as exc:
                raise CertificateRequestError(
                    "proofOfPossession does not verify against the key"
                ) from exc
    else:
        raise CertificateRequestError("expected certificateSigningRequest or publicKeyRequest")
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise CertificateRequestError("the stand-in issues certificates for ECDSA keys only")
    return key
