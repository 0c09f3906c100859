"""Our prediction of stored asset names against the stand-in's model of GitHub."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from release_actions.errors import InputError
from release_actions.github.assetnames import stored_asset_name
from release_actions_dev.standins.github.names import github_asset_name


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("pkg-1.0+local-py3-none-any.whl", "pkg-1.0+local-py3-none-any.whl"),
        ("my tool~1:2.tar.gz", "my.tool.1.2.tar.gz"),
        ("..hidden..", "hidden"),
        ("a  b(c).whl", "a.b.c.whl"),
    ],
)
def test_examples(name: str, stored: str) -> None:
    assert stored_asset_name(name) == stored


@pytest.mark.parametrize("name", ["żółw.whl", "...", "~~"])
def test_refused(name: str) -> None:
    with pytest.raises(InputError):
        stored_asset_name(name)


@pytest.mark.fidelity("gh.asset-rename")
@given(st.text(alphabet=string.printable, min_size=1, max_size=40))
def test_prediction_matches_the_stand_in_model(name: str) -> None:
    model = github_asset_name(name)
    try:
        ours = stored_asset_name(name)
    except InputError:
        assert model == "default"  # nothing kept: we refuse instead of guessing
    else:
        assert ours == model


@given(st.text(alphabet=string.ascii_letters + string.digits + "_-.+", min_size=1, max_size=40))
def test_safe_names_change_only_at_the_periods(name: str) -> None:
    stored = stored_asset_name(name) if name.strip(".") else None
    if stored is not None:
        assert stored.replace(".", "") == name.replace(".", "")
