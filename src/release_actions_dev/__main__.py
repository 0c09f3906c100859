"""``python -m release_actions_dev <command>``: the rehearsal and the stand-ins by hand."""

from __future__ import annotations

import sys

from release_actions_dev.cli import main

sys.exit(main(sys.argv[1:]))
