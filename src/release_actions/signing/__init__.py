"""Signing and verifying with Sigstore: the shared core of the ``sign`` and ``verify`` steps.

Example::

    from release_actions.signing.policy import ExpectedIdentity
    from release_actions.signing.trust import load_trust_config
    from release_actions.signing.verification import verify_files

    trust = load_trust_config(None, staging=False, offline=True)
    expected = ExpectedIdentity.for_github(repository="octo/example")
    verified = verify_files([Path("dist/example-1.0.tar.gz")], bundle_dir=Path("signatures"),
                            trust=trust, expected=expected)

Modules: :mod:`~.tokens` (identity tokens, the identity they sign as), :mod:`~.trust`
(trust configs), :mod:`~.policy` (what a certificate must say), :mod:`~.verification`
(the one verification path), :mod:`~.provenance` (the SLSA statement), :mod:`~.plan`
(which Rekor log signs bundles and which attestations, checked before any request),
:mod:`~.batch` (one certificate per signing context shared by many threads, refreshed on
expiry), :mod:`~.checks` (verify-after-sign beside the signing), :mod:`~.retry` (Rekor,
Fulcio and TSA failures), :mod:`~.output` (output folder rules, atomic writes). Nothing here imports
sigstore at module import time except where a function needs it.
"""
