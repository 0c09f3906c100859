"""hello-release: the example project release-actions rehearses on."""

__version__ = "1.0.0"


def greet(who: str) -> str:
    """Say hello to ``who``."""
    return f"hello {who}"
