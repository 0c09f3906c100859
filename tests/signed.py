"""Real signature files for test dists, made by the sign step on the Sigstore stand-in.

Tests that put signatures on a release need real ones: a release's consistency is checked
by reading what each signature file claims.

Example::

    sigs = signatures(standin, {"demo-1.2.3-py3-none-any.whl": data}, tmp_path, label="cp313")
    sigs["demo-1.2.3-py3-none-any.whl.sigstore.json"]   # bytes of a real bundle
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from release_actions_dev.standins.sigstore import SigstoreStandin
from tests.harness import run_step


def signatures(
    standin: SigstoreStandin,
    dists: Mapping[str, bytes],
    tmp: Path,
    *,
    label: str = "",
    attestations: bool = True,
) -> dict[str, bytes]:
    """Every file the sign step writes for ``dists`` (bundles, provenance, attestations)."""
    ws = tmp / f"signing-{len(list(tmp.glob('signing-*')))}"
    (ws / "dist").mkdir(parents=True)
    for name, data in dists.items():
        (ws / "dist" / name).write_bytes(data)
    result = run_step(
        "sign",
        {
            "files": "dist/*",
            "trust-config": str(standin.trust_config_path),
            "provenance-label": label,
            "attestations": "true" if attestations else "false",
        },
        workspace=ws,
        tmp=tmp,
        extra_env=standin.ambient_env(),
    )
    assert result.exit_code == 0, result.stdout
    return {p.name: p.read_bytes() for p in (ws / "signatures").iterdir()}
