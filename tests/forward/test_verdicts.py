"""What each answer means per event: the generic HTTP rules, HEC codes and `_bulk` items."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from eventstream import codec
from eventstream.forward.verdicts import Answer, judge, retry_after_s

NOW = 1_700_000_000.0


def _answer(status: int, body: object = b"", **headers: str) -> Answer:
    raw = body if isinstance(body, bytes) else codec.dumps(body)
    return Answer(status, headers, raw)


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_2xx_is_delivered(status: int) -> None:
    assert judge("jsonl", _answer(status), 3, NOW).delivered == [0, 1, 2]


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504])
def test_transient_answers_are_retried(status: int) -> None:
    verdict = judge("cloudevents-batch", _answer(status, b"busy"), 2, NOW)
    assert verdict.retry == [0, 1]
    assert f"HTTP {status}: busy" == verdict.error


@pytest.mark.parametrize("status", [301, 302, 400, 401, 403, 404, 422])
def test_other_answers_are_permanent(status: int) -> None:
    verdict = judge("jsonl", _answer(status, b"no"), 2, NOW)
    assert [index for index, _ in verdict.dead] == [0, 1]
    assert not verdict.retry


def test_410_disables_and_413_splits() -> None:
    gone = judge("jsonl", _answer(410), 4, NOW)
    assert gone.disable
    assert gone.retry == [0, 1, 2, 3]
    assert judge("jsonl", _answer(413), 4, NOW).split
    assert judge("jsonl", _answer(413), 1, NOW).dead[0][0] == 0


def test_retry_after_seconds_and_date() -> None:
    assert retry_after_s({"Retry-After": "7"}, NOW) == 7
    moment = datetime.fromtimestamp(NOW + 30, tz=UTC)
    assert retry_after_s({"Retry-After": format_datetime(moment, usegmt=True)}, NOW) == 30
    assert retry_after_s({"Retry-After": "soon"}, NOW) is None
    assert judge("jsonl", _answer(503, **{"Retry-After": "9"}), 1, NOW).retry_after_s == 9
    assert judge("jsonl", _answer(500, **{"Retry-After": "9"}), 1, NOW).retry_after_s is None


def test_hec_answers() -> None:
    assert judge("splunk-hec", _answer(200, {"text": "Success", "code": 0}), 2, NOW).delivered
    odd = judge("splunk-hec", _answer(200, {"text": "?", "code": 17}), 2, NOW)
    assert odd.retry == [0, 1]
    busy = judge("splunk-hec", _answer(503, {"text": "Server is busy", "code": 9}), 2, NOW)
    assert busy.retry == [0, 1]
    # codes true of every event: the destination is disabled, nothing is dead
    whole = [(1, 403, "credentials"), (2, 401, "credentials"), (3, 401, "credentials")]
    whole += [(4, 403, "credentials"), (7, 400, "index")]
    for code, status, cause in whole:
        verdict = judge("splunk-hec", _answer(status, {"text": "x", "code": code}), 2, NOW)
        assert (verdict.disable, verdict.cause, verdict.dead) == (True, cause, []), code
        assert verdict.retry == [0, 1]
        assert f"HEC code {code}" in verdict.error
    no_data = judge("splunk-hec", _answer(400, {"text": "No data", "code": 5}), 2, NOW)
    assert [index for index, _ in no_data.dead] == [0, 1]
    assert not no_data.disable
    partial = judge(
        "splunk-hec",
        _answer(400, {"text": "Invalid data format", "code": 6, "invalid-event-number": 1}),
        4,
        NOW,
    )
    assert (partial.delivered, [i for i, _ in partial.dead], partial.retry) == ([0], [1], [2, 3])
    internal = judge("splunk-hec", _answer(500, {"text": "Internal", "code": 8}), 1, NOW)
    assert internal.retry == [0]


def test_bulk_items() -> None:
    def item(status: int) -> dict[str, object]:
        result: dict[str, object] = {"_id": "x", "status": status}
        if status >= 300:
            result["error"] = {"type": f"e{status}", "reason": "r"}
        return {"create": result}

    body = {"took": 1, "errors": True, "items": [item(s) for s in (201, 409, 429, 400, 503)]}
    verdict = judge("elastic-bulk", _answer(200, body), 5, NOW)
    assert verdict.delivered == [0, 1]
    assert verdict.retry == [2, 4]
    assert [index for index, _ in verdict.dead] == [3]
    assert "e400" in verdict.dead[0][1]
    short = judge("elastic-bulk", _answer(200, {"errors": True, "items": []}), 2, NOW)
    assert short.retry == [0, 1]
    assert judge("elastic-bulk", _answer(200, {"errors": False}), 2, NOW).delivered == [0, 1]
    assert judge("elastic-bulk", _answer(200, b"<html>"), 1, NOW).retry == [0]
