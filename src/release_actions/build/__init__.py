"""Building: the git checkout, the project's metadata, PEP 517 builds and the checks of
what they produce."""
