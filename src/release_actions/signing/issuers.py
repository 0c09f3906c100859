"""GitHub as an identity: the issuer of Actions' OIDC tokens and the server their claims name.

A module of its own so the steps' declarations read it without importing sigstore.

Example::

    assert GITHUB_OIDC_ISSUER == "https://token.actions.githubusercontent.com"
"""

from __future__ import annotations

#: The ``iss`` of every GitHub Actions ID token (and the Fulcio certificate's issuer).
GITHUB_OIDC_ISSUER = "https://token.actions.githubusercontent.com"
GITHUB_URL = "https://github.com"
