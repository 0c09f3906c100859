"""``python -m release_actions`` is ``release-actions``."""

from release_actions.cli import entrypoint

entrypoint()
