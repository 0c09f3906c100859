"""The fidelity ledger, the stand-ins' code and the tests name the same rules.

``src/release_actions_dev/standins/FIDELITY.md`` lists every rule a stand-in models with its
public source; the stand-in marks where it models a rule (``# fidelity: <id>``) and tests
mark what exercises it (``@pytest.mark.fidelity("<id>")``).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STANDINS = ROOT / "src" / "release_actions_dev" / "standins"
LEDGER = STANDINS / "FIDELITY.md"
KINDS = {"doc", "recorded", "report", "assumption"}

_ROW = re.compile(r"^\|\s*`?(?P<id>[a-z][a-z0-9-]*\.[a-z0-9.-]+)`?\s*\|(?P<rest>.*)\|\s*$")
_CODE = re.compile(r"#\s*fidelity:\s*([a-z0-9., -]+)")
_MARK = re.compile(r"mark\.fidelity\(([^)]*)\)")


def ledger() -> dict[str, tuple[str, str, str]]:
    """id → (rule, kind, source)."""
    rows: dict[str, tuple[str, str, str]] = {}
    for line in LEDGER.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line)
        if match is None:
            continue
        cells = [cell.strip() for cell in match["rest"].split("|")]
        assert len(cells) == 3, f"{match['id']}: a row has id, rule, kind, source: {line}"
        assert match["id"] not in rows, f"{match['id']} appears twice in the ledger"
        rows[match["id"]] = (cells[0], cells[1], cells[2])
    return rows


def ids_in_code() -> set[str]:
    found: set[str] = set()
    for path in STANDINS.rglob("*.py"):
        for match in _CODE.finditer(path.read_text(encoding="utf-8")):
            found.update(i.strip() for i in re.split(r"[,\s]+", match[1]) if i.strip())
    return found


def ids_in_tests() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "tests").rglob("*.py"):
        for match in _MARK.finditer(path.read_text(encoding="utf-8")):
            found.update(re.findall(r"[\"']([a-z0-9.-]+)[\"']", match[1]))
    return found


def test_every_row_names_its_kind_and_source() -> None:
    for rule_id, (rule, kind, source) in ledger().items():
        assert rule, f"{rule_id}: no rule text"
        assert kind in KINDS, f"{rule_id}: kind {kind!r} is not one of {sorted(KINDS)}"
        if kind == "assumption":
            assert source, f"{rule_id}: an assumption says what it assumes"
        else:
            assert "http" in source or "/" in source, f"{rule_id}: {kind} needs a URL or a path"


def test_ledger_code_and_tests_name_the_same_rules() -> None:
    rows, code, tests = set(ledger()), ids_in_code(), ids_in_tests()
    assert code - rows == set(), "modelled in a stand-in but not in FIDELITY.md"
    assert tests - rows == set(), "marked on a test but not in FIDELITY.md"
    assert rows - code == set(), "in FIDELITY.md but no stand-in marks where it is modelled"
    assert rows - tests == set(), "in FIDELITY.md but no test exercises it"
