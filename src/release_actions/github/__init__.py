"""GitHub: the REST client and its retry policy, releases (finding, creating, publishing),
release notes, asset names, and the upload plan and engine."""
