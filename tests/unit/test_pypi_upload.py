"""Reading an index's answer to an upload: what it said, and whether it means "exists"."""

from __future__ import annotations

import pytest
import requests

from release_actions.pypi.upload import response_text, says_exists


def answer(status: int, reason: str, text: str = "") -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.reason = reason
    response._content = text.encode()
    return response


@pytest.mark.parametrize(
    ("response", "exists"),
    [
        (answer(400, "File already exists ('a.whl', with blake2_256 hash 'x'). See …"), True),
        (answer(409, "Conflict", "Package 'a.whl' already exists!"), True),
        (answer(400, "Bad Request", "<p>Cannot upload 'a.whl' since it already exists!</p>"), True),
        (
            answer(400, "Binary wheel 'a.whl' has an unsupported platform tag 'linux_x86_64'."),
            False,
        ),
        (answer(403, "Invalid or non-existent authentication information."), False),
    ],
)
def test_says_exists(response: requests.Response, exists: bool) -> None:
    assert says_exists(response) is exists


def test_response_text_keeps_pypis_reason_and_strips_markup() -> None:
    pypi = answer(400, "Binary wheel 'a.whl' has an unsupported platform tag 'linux_x86_64'.")
    assert response_text(pypi) == pypi.reason
    html = answer(
        400, "Bad Request", "<html><body><h1>Error</h1><p>Nope &amp; no</p></body></html>"
    )
    assert response_text(html) == "Bad Request: Error Nope & no"
    assert len(response_text(answer(500, "x", "y" * 1000))) == 400
