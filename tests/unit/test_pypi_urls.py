"""Upload URL → Simple API, OIDC base and project pages; URLs that would leak a token."""

from __future__ import annotations

import pytest

from release_actions.errors import InputError
from release_actions.pypi.urls import PYPI_UPLOAD_URL, RepositoryUrl


@pytest.mark.parametrize(
    ("upload", "index", "oidc", "page"),
    [
        (
            PYPI_UPLOAD_URL,
            "https://pypi.org/simple/",
            "https://upload.pypi.org",
            "https://pypi.org/project/demo/1.0/",
        ),
        (
            "https://test.pypi.org/legacy/",
            "https://test.pypi.org/simple/",
            "https://test.pypi.org",
            "https://test.pypi.org/project/demo/1.0/",
        ),
        (
            "https://pypi.example.com/legacy/",
            "https://pypi.example.com/simple/",
            "https://pypi.example.com",
            None,
        ),
        (
            "https://devpi.example.com/root/dev/",
            "https://devpi.example.com/root/dev/simple/",
            "https://devpi.example.com",
            None,
        ),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/simple/", "http://127.0.0.1:8080", None),
        (
            "",
            "https://pypi.org/simple/",
            "https://upload.pypi.org",
            "https://pypi.org/project/demo/1.0/",
        ),
    ],
)
def test_derived_urls(upload: str, index: str, oidc: str, page: str | None) -> None:
    repository = RepositoryUrl.parse(upload)
    assert repository.default_index_url() == index
    assert repository.index_url(None) == index
    assert repository.oidc_base == oidc
    assert repository.project_page("demo", "1.0") == page


def test_an_explicit_index_url_wins_and_gets_a_slash() -> None:
    repository = RepositoryUrl.parse(PYPI_UPLOAD_URL)
    assert (
        repository.index_url("https://mirror.example.com/simple")
        == "https://mirror.example.com/simple/"
    )
    assert repository.same_host("https://upload.pypi.org/simple/")
    assert not repository.same_host("https://pypi.org/simple/")


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("ftp://example.com/legacy/", "not an http(s) URL"),
        ("upload.pypi.org/legacy/", "not an http(s) URL"),
        ("https://__token__:pypi-abc@upload.pypi.org/legacy/", "credentials in the URL"),
        ("http://pypi.example.com/legacy/", "plain HTTP"),
    ],
)
def test_urls_that_would_leak_or_mislead_are_refused(url: str, fragment: str) -> None:
    with pytest.raises(InputError, match="repository-url") as raised:
        RepositoryUrl.parse(url)
    assert fragment in raised.value.message
    assert "pypi-abc" not in str(raised.value)


def test_plain_http_is_fine_on_this_machine() -> None:
    for url in ("http://localhost:8080/", "http://127.0.0.5/legacy/", "http://[::1]:9/"):
        assert RepositoryUrl.parse(url).url == url
