"""CI runs what the README promises, the way a newcomer's machine would."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from release_actions_dev import rehearse

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    """The commands of the README's first code block (the main job, then the tests)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", text, re.DOTALL)
    assert block is not None, "README.md opens with a bash block of two commands"
    return [line.split("#", 1)[0].strip() for line in block[1].splitlines() if line.strip()]


def test_ci_runs_the_readme_test_command_in_a_scrubbed_environment() -> None:
    main_job, tests = readme_commands()
    assert main_job == "scripts/rehearse"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    runs = [line.strip() for line in ci.splitlines() if line.strip().startswith('"${scrubbed[@]}"')]
    assert f'"${{scrubbed[@]}}" {tests}' in runs
    assert 'scrubbed=(env -i "PATH=$PATH" "HOME=$HOME")' in ci


def test_readme_rehearsal_lines_parse() -> None:
    """Every `scripts/rehearse …` line in the README is accepted by the rehearsal's parser."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = re.findall(r"^scripts/rehearse(?: (.*?))?(?:\s+#.*)?$", text, re.MULTILINE)
    assert len(lines) >= 2
    for args in lines:
        parsed = rehearse.parser().parse_args(shlex.split(args or ""))
        assert parsed is not None
