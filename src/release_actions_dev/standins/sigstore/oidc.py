"""The OIDC token issuer of the loopback Sigstore stand-in, in GitHub Actions' shape.

Example::

    issuer = TokenIssuer.generate(url="http://127.0.0.1:8080/oidc")
    token = issuer.issue(repository="acme/lib", ref="refs/tags/v2.0.0")
    claims = issuer.verify(token, audience="sigstore")
    claims["sub"]  # 'repo:acme/lib:ref:refs/tags/v2.0.0'

Tokens are ES256 JWTs signed with the issuer's key (published as a JWKS). Claims derived
from others (``sub``, ``workflow_ref``, ``job_workflow_ref``, ``repository_owner``, …)
follow any override of ``repository``, ``ref`` or ``sha`` unless overridden themselves; an
override of ``None`` removes a claim.
"""

from __future__ import annotations

import base64
import json
import math
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

__all__ = ["DEFAULT_AUDIENCE", "TokenError", "TokenIssuer", "github_claims"]

DEFAULT_AUDIENCE = "sigstore"
DEFAULT_REPOSITORY = "octo/example"
DEFAULT_REF = "refs/tags/v1.0.0"
DEFAULT_SHA = "8f3e1c9d2b7a4e6f0c1d3b5a7e9f2c4d6b8a0e1f"
DEFAULT_WORKFLOW_PATH = ".github/workflows/release.yml"


class TokenError(ValueError):
    """A token that fails verification (Fulcio answers 401)."""


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def github_claims(
    *, issuer: str, audience: str, lifetime: float, overrides: Mapping[str, object]
) -> dict[str, Any]:
    """Claims of a GitHub Actions OIDC token for a tag-push release workflow."""
    # fidelity: sig.token-claims
    repository = str(overrides.get("repository") or DEFAULT_REPOSITORY)
    ref = str(overrides.get("ref") or DEFAULT_REF)
    sha = str(overrides.get("sha") or DEFAULT_SHA)
    owner = repository.split("/", 1)[0]
    workflow_ref = f"{repository}/{DEFAULT_WORKFLOW_PATH}@{ref}"
    ref_type = "tag" if ref.startswith("refs/tags/") else "branch"
    now = time.time()
    claims: dict[str, Any] = {
        "jti": str(uuid.uuid4()),
        "sub": f"repo:{repository}:ref:{ref}",
        "aud": audience,
        "ref": ref,
        "sha": sha,
        "repository": repository,
        "repository_owner": owner,
        "repository_owner_id": "583231",
        "repository_id": "710235161",
        "repository_visibility": "public",
        "run_id": "9876543210",
        "run_number": "42",
        "run_attempt": "1",
        "runner_environment": "github-hosted",
        "actor": owner,
        "actor_id": "583231",
        "workflow": "Release",
        "head_ref": "",
        "base_ref": "",
        "event_name": "push",
        "ref_type": ref_type,
        "ref_protected": "false",
        "workflow_ref": workflow_ref,
        "workflow_sha": sha,
        "job_workflow_ref": workflow_ref,
        "job_workflow_sha": sha,
        "iss": issuer,
        "nbf": int(now),
        "exp": math.ceil(now + lifetime),  # at least ``lifetime`` from now
        "iat": int(now),
    }
    for name, value in overrides.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


@dataclass(frozen=True)
class TokenIssuer:
    """Signs and verifies ES256 tokens for one issuer URL."""

    url: str
    key: ec.EllipticCurvePrivateKey
    kid: str

    @classmethod
    def generate(cls, *, url: str) -> TokenIssuer:
        return cls(url=url, key=ec.generate_private_key(ec.SECP256R1()), kid=uuid.uuid4().hex)

    def sign(self, claims: Mapping[str, Any]) -> str:
        """Encode and sign ``claims`` as a compact JWT."""
        header = {"alg": "ES256", "typ": "JWT", "kid": self.kid}
        signing_input = (
            f"{_b64url(json.dumps(header, separators=(',', ':')).encode())}."
            f"{_b64url(json.dumps(dict(claims), separators=(',', ':')).encode())}"
        )
        r, s = decode_dss_signature(
            self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        )
        return f"{signing_input}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    def issue(
        self,
        *,
        lifetime: float = 300,
        audience: str = DEFAULT_AUDIENCE,
        **overrides: object,
    ) -> str:
        """A signed GitHub Actions-shaped token; see ``github_claims``."""
        return self.sign(
            github_claims(
                issuer=self.url, audience=audience, lifetime=lifetime, overrides=overrides
            )
        )

    def verify(self, token: str, *, audience: str = DEFAULT_AUDIENCE) -> dict[str, Any]:
        """Check signature, issuer, audience and validity period; return the claims."""
        # fidelity: sig.token-expiry
        try:
            header_b64, payload_b64, signature_b64 = token.split(".")
            header = json.loads(_b64url_decode(header_b64))
            claims = json.loads(_b64url_decode(payload_b64))
            signature = _b64url_decode(signature_b64)
        except ValueError as exc:
            raise TokenError("malformed token") from exc
        if not isinstance(header, dict) or header.get("alg") != "ES256":
            raise TokenError("unsupported token algorithm")
        if not isinstance(claims, dict) or len(signature) != 64:
            raise TokenError("malformed token")
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        try:
            self.key.public_key().verify(
                der, f"{header_b64}.{payload_b64}".encode(), ec.ECDSA(hashes.SHA256())
            )
        except InvalidSignature as exc:
            raise TokenError("token signature does not verify") from exc
        if claims.get("iss") != self.url:
            raise TokenError(f"unexpected issuer {claims.get('iss')!r}")
        aud = claims.get("aud")
        if aud != audience and not (isinstance(aud, list) and audience in aud):
            raise TokenError(f"unexpected audience {aud!r}")
        now = time.time()
        exp, nbf = claims.get("exp"), claims.get("nbf", claims.get("iat"))
        if not isinstance(exp, int | float) or now >= exp:
            raise TokenError("token has expired")
        if isinstance(nbf, int | float) and now + 5 < nbf:
            raise TokenError("token is not yet valid")
        return claims

    def jwks(self) -> dict[str, Any]:
        """The issuer's JSON Web Key Set."""
        numbers = self.key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "EC",
                    "crv": "P-256",
                    "alg": "ES256",
                    "use": "sig",
                    "kid": self.kid,
                    "x": _b64url(numbers.x.to_bytes(32, "big")),
                    "y": _b64url(numbers.y.to_bytes(32, "big")),
                }
            ]
        }

    def discovery(self) -> dict[str, Any]:
        """``/.well-known/openid-configuration`` (the fields sigstore's ``Issuer`` reads too)."""
        # fidelity: sig.oidc-discovery
        return {
            "issuer": self.url,
            "jwks_uri": f"{self.url}/.well-known/jwks",
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "claims_supported": sorted(
                github_claims(issuer=self.url, audience="", lifetime=0, overrides={})
            ),
        }
