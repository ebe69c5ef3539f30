"""Filters: the grammar (`parse_filter`, `parse_filter_text`, fail-closed) and, on a real server,
each parameter alone and combined, in replay and live alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from eventstream.config import TokenSettings
from eventstream.filters import (
    PARAMETERS,
    EventFilter,
    FilterError,
    Meta,
    meta_of,
    parse_filter,
    parse_filter_text,
)
from tests.serve.conftest import Journal, ServerFactory
from tests.serve.sse_client import SSEStream, ids
from tests.serve.test_sse import _wait_subscribed
from tests.serve.variants import spread

Predicate = Callable[[dict[str, Any]], bool]


def _data(event: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = event["data"]
    return data


CASES: list[tuple[str, Predicate]] = [
    ("type=delete", lambda e: _data(e)["change"]["action"] == "delete"),
    ("type=create,update", lambda e: _data(e)["change"]["action"] in ("create", "update")),
    ("asset_type=AWS::EC2::*", lambda e: _data(e)["asset"]["type"].startswith("AWS::EC2::")),
    (
        "asset_type=AWS::EC2::RouteTable",
        lambda e: _data(e)["asset"]["type"] == "AWS::EC2::RouteTable",
    ),
    ("account=222222222222", lambda e: _data(e)["asset"]["account"] == "222222222222"),
    ("region=eu-west-1", lambda e: _data(e)["asset"]["region"] == "eu-west-1"),
    ("method=sdk,unknown", lambda e: _data(e)["attribution"]["method"] in ("sdk", "unknown")),
    (
        "principal=bert*",
        lambda e: (_data(e)["attribution"]["principal"]["name"] or "").startswith("bert"),
    ),
    (
        "subject_prefix=aws/111111111111/eu-west-1/",
        lambda e: e["subject"].startswith("aws/111111111111/eu-west-1/"),
    ),
    (
        "type=create&asset_type=AWS::EC2::*&account=111111111111,333333333333&region=us-east-1",
        lambda e: (
            _data(e)["change"]["action"] == "create"
            and _data(e)["asset"]["type"].startswith("AWS::EC2::")
            and _data(e)["asset"]["account"] in ("111111111111", "333333333333")
            and _data(e)["asset"]["region"] == "us-east-1"
        ),
    ),
]


@pytest.mark.parametrize(("query", "wanted"), CASES, ids=[case[0] for case in CASES])
async def test_filter_in_replay_and_live(
    serve: ServerFactory,
    journal: Journal,
    sample_events: list[dict[str, Any]],
    query: str,
    wanted: Predicate,
) -> None:
    """A filtered stream gets exactly the matching events, from the journal and then live."""
    server = serve()
    events = spread(sample_events[:240], 240)
    first = journal.append(events[:120])
    expected_before = [i for i, e in zip(first, events[:120], strict=True) if wanted(e)]
    assert expected_before, "the case must select something"
    async with SSEStream(f"{server.url}/v1/events?from=earliest&{query}") as stream:
        got = await stream.collect(10, lambda f: len(ids(f)) >= len(expected_before))
        await _wait_subscribed(server)
        second = journal.append(events[120:])
        expected_after = [i for i, e in zip(second, events[120:], strict=True) if wanted(e)]
        if expected_after:
            got += await stream.collect(10, lambda f: len(ids(f)) >= len(expected_after))
        extra = await stream.drain(0.3)
    assert ids(got) == expected_before + expected_after
    assert ids(extra) == []


def test_filter_unit_rules() -> None:
    """Values within a parameter are alternatives; globs match whole strings."""
    meta = meta_of(
        {
            "type": "x.asset.update",
            "subject": "aws/1/r/ec2/instance/i-1",
            "data": {
                "asset": {"type": "AWS::EC2::Instance", "account": "1", "region": "r"},
                "change": {"action": "update"},
                "attribution": {"method": "cli", "principal": {"arn": "arn:aws:iam::1:user/ann"}},
            },
        }
    )
    assert parse_filter({"type": ["create,update"]}).matches(meta)
    assert not parse_filter({"asset_type": ["AWS::EC2"]}).matches(meta)
    assert parse_filter({"principal": ["*:user/ann"]}).matches(meta)
    assert not parse_filter({"principal": ["*:user/bob"]}).matches(meta)
    assert EventFilter().matches(meta)
    with pytest.raises(FilterError) as caught:
        parse_filter({"type": ["create, update"], "method": ["by hand"]})
    assert caught.value.parameter == "method"


def _meta(
    action: str = "update", asset_type: str = "AWS::EC2::Instance", region: str = "r"
) -> Meta:
    return Meta(action, asset_type, "1", region, "cli", (), "aws/1/r/x")


def test_filter_text_conditions_all_hold() -> None:
    """Conditions joined by `&` must all hold; `asset_type` takes a glob."""
    scope = parse_filter_text("asset_type=AWS::EC2::*&region=eu-west-1")
    assert scope.matches(_meta(region="eu-west-1"))
    assert not scope.matches(_meta(region="us-east-1"))
    assert not scope.matches(_meta(asset_type="AWS::S3::Bucket", region="eu-west-1"))


def test_filter_text_values_are_alternatives() -> None:
    """Comma-separated values of one key are alternatives."""
    scope = parse_filter_text("type=create,delete")
    assert scope.matches(_meta(action="create"))
    assert scope.matches(_meta(action="delete"))
    assert not scope.matches(_meta(action="update"))


def test_empty_filter_text_matches_everything() -> None:
    """An empty text is no restriction at all."""
    assert parse_filter_text("").matches_everything()


REFUSED = [
    ("regoin=eu-west-1", "regoin", "unknown filter key"),
    ("asset_type:AWS::EC2::*", "asset_type:AWS::EC2::*", "expected key=value"),
    ("region=", "region", "empty value"),
    ("type=,", "type", "empty value"),
    ("region=eu-west-1&&type=create", "filter", "empty condition"),
    ("region=eu-west-1&", "filter", "empty condition"),
    ("asset_type=AWS::[EC2", "asset_type", "unclosed '['"),
    ("region=eu%01west-1", "region", "control character"),
    ("principal=ann%00", "principal", "control character"),
    ("type=created", "type", "unknown value"),
]


@pytest.mark.parametrize(("text", "parameter", "reason"), REFUSED)
def test_bad_filter_text_is_refused(text: str, parameter: str, reason: str) -> None:
    """Every malformed text is a `FilterError` naming the parameter and what is wrong."""
    with pytest.raises(FilterError) as caught:
        parse_filter_text(text)
    assert caught.value.parameter == parameter
    assert reason in caught.value.reason


@pytest.mark.parametrize("text", [text for text, _, _ in REFUSED])
def test_no_token_holds_a_refused_filter(text: str) -> None:
    """A token with a refused filter cannot exist, so no scope is built from the text."""
    with pytest.raises(ValidationError, match="token=ops"):
        TokenSettings(name="ops", sha256="a" * 64, accounts=["*"], filter=text)


_PIECES = [*PARAMETERS, "regoin", "=", "&", ",", " ", "+", "*", "[", "]", "%00", "%3D", ":", "x"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=8).map("".join))
def test_filter_text_never_fails_open(text: str) -> None:
    """Any text is refused, or is blank and passes everything, or restricts something."""
    try:
        scope = parse_filter_text(text)
    except FilterError:
        return
    assert scope.matches_everything() is (text.strip() == "")


@pytest.mark.parametrize(
    "event",
    [
        {"data": []},
        {"data": {"asset": "x", "change": 1, "attribution": []}},
        {"data": {"attribution": {"principal": ["arn"]}, "raw": "text"}},
        {"type": 5, "subject": None, "data": None},
    ],
)
def test_meta_of_any_json_object_never_raises(event: dict[str, Any]) -> None:
    """An entry another tool wrote, with parts of the wrong JSON type, reads as empty fields."""
    meta = meta_of(event)
    assert meta.asset_type == ""
    assert meta.principals == ()
    assert EventFilter().matches(meta)
    assert not parse_filter({"type": ["create"]}).matches(meta)
