"""release-actions: from a pushed tag to a signed, drafted GitHub release."""

__version__ = "0.1.0"
