"""What a destination's answer means for each event of the request: delivered, to retry, or
dead (refused for good, with the reason). The generic HTTP rules apply to every format;
Splunk HEC and Elastic `_bulk` answers are read as those products document them.

Generic: 2xx delivered; 410 disables the destination (nothing acknowledged); 413 splits the
batch (a lone event: dead); 408, 425, 429 and 5xx retried (`Retry-After` honoured on 429 and
503); any other answer (3xx: redirects are not followed, 4xx) is a permanent refusal: dead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

from eventstream import codec

RETRIED = frozenset({408, 425, 429})
RETRY_AFTER = frozenset({429, 503})
HEC_BUSY = 9
HEC_PERMANENT = range(1, 8)  # 1-7: token disabled/missing/invalid, no data, bad data, bad index
HEC_CREDENTIALS = frozenset({1, 2, 3, 4})  # token disabled, required, bad authorization, invalid
HEC_INDEX = 7  # incorrect index: the destination's `index` setting
GONE, CREDENTIALS, INDEX = "gone", "credentials", "index"
CAUSES = {
    GONE: "410 Gone",
    CREDENTIALS: "Splunk HEC refused the token",
    INDEX: "Splunk HEC refused the index",
}
"""Why a destination is disabled: an answer that holds for every event it would be sent."""
_SNIPPET = 300


@dataclass(frozen=True, slots=True)
class Answer:
    """A destination's HTTP answer (the body truncated by the sender)."""

    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass(slots=True)
class Verdict:
    """Indexes (into the request's events) by fate, and what to do next."""

    delivered: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)
    dead: list[tuple[int, str]] = field(default_factory=list)
    error: str = ""
    retry_after_s: float | None = None
    disable: bool = False
    cause: str = ""
    """Why `disable` (`GONE`, `CREDENTIALS`, `INDEX`)."""
    split: bool = False

    @classmethod
    def all_retry(cls, count: int, error: str, retry_after_s: float | None = None) -> Verdict:
        return cls(retry=list(range(count)), error=error, retry_after_s=retry_after_s)

    @classmethod
    def all_dead(cls, count: int, error: str) -> Verdict:
        return cls(dead=[(i, error) for i in range(count)], error=error)


def scrubbed(verdict: Verdict, scrub: Callable[[str], str]) -> Verdict:
    """`verdict` with `scrub` applied to its error texts (a destination echoing a secret)."""
    verdict.error = scrub(verdict.error)
    verdict.dead = [(index, scrub(reason)) for index, reason in verdict.dead]
    return verdict


def snippet(body: bytes) -> str:
    text = body[:_SNIPPET].decode("utf-8", "replace").replace("\n", " ").strip()
    return text + ("..." if len(body) > _SNIPPET else "")


def retry_after_s(headers: Mapping[str, str], now_s: float) -> float | None:
    """`Retry-After` as seconds from now: delta-seconds or an HTTP date; None if absent or
    unreadable."""
    value = headers.get("Retry-After") or headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - now_s)


def generic(answer: Answer, count: int, now_s: float) -> Verdict:
    status = answer.status
    what = f"HTTP {status}: {snippet(answer.body)}".rstrip(": ")
    if 200 <= status < 300:
        return Verdict(delivered=list(range(count)))
    if status == 410:
        return disabled(count, what, GONE)
    if status == 413:
        if count > 1:
            return Verdict(error=what, split=True)
        return Verdict.all_dead(count, what)
    if status in RETRIED or status >= 500:
        after = retry_after_s(answer.headers, now_s) if status in RETRY_AFTER else None
        return Verdict.all_retry(count, what, after)
    return Verdict.all_dead(count, what)


def disabled(count: int, what: str, cause: str) -> Verdict:
    """Nothing delivered, nothing dead: the destination is disabled until enabled again (its
    entries stay pending)."""
    verdict = Verdict.all_retry(count, what)
    verdict.disable, verdict.cause = True, cause
    return verdict


def _json(body: bytes) -> Any:
    try:
        return codec.loads(body)
    except ValueError:
        return None


def splunk_hec(answer: Answer, count: int, now_s: float) -> Verdict:
    """HEC: success is 200 with `{"code": 0}`; code 9 (busy) and 5xx are retried; a 4xx with
    codes 1-7 is permanent: codes 1-4 (the token) and 7 (the index) hold for every event, so
    they disable the destination (nothing dead-lettered: its entries wait, pending, for
    `webhooks enable`), codes 5 and 6 refuse this request's events; code 6 with
    `invalid-event-number` N means events before N were indexed, N was refused, and the rest
    can be sent again."""
    reply = _json(answer.body)
    code = reply.get("code") if isinstance(reply, dict) else None
    text = reply.get("text", "") if isinstance(reply, dict) else snippet(answer.body)
    what = f"HTTP {answer.status}, HEC code {code}: {text}"
    if answer.status == 200:
        if code == 0:
            return Verdict(delivered=list(range(count)))
        return Verdict.all_retry(count, f"unexpected HEC answer: {what}")
    if code == HEC_BUSY:
        return Verdict.all_retry(count, what, retry_after_s(answer.headers, now_s))
    if 400 <= answer.status < 500 and isinstance(code, int) and code in HEC_PERMANENT:
        if code in HEC_CREDENTIALS:
            return disabled(count, what, CREDENTIALS)
        if code == HEC_INDEX:
            return disabled(count, what, INDEX)
        bad = reply.get("invalid-event-number") if isinstance(reply, dict) else None
        if code == 6 and isinstance(bad, int) and 0 <= bad < count:
            return Verdict(
                delivered=list(range(bad)),
                dead=[(bad, what)],
                retry=list(range(bad + 1, count)),
                error=what,
                retry_after_s=0.0,
            )
        return Verdict.all_dead(count, what)
    verdict = generic(answer, count, now_s)
    if verdict.error:
        verdict.error = what
        verdict.dead = [(index, what) for index, _ in verdict.dead]
    return verdict


def elastic_bulk(answer: Answer, count: int, now_s: float) -> Verdict:
    """`_bulk`: a 200 lists each item's result; `created` and 409 (the `_id` exists: already
    delivered) are delivered, 429 and 5xx items retried, others dead with their error."""
    if answer.status != 200:
        return generic(answer, count, now_s)
    reply = _json(answer.body)
    if not isinstance(reply, dict):
        return Verdict.all_retry(count, f"unreadable _bulk answer: {snippet(answer.body)}")
    if reply.get("errors") is False:
        return Verdict(delivered=list(range(count)))
    items = reply.get("items")
    if not isinstance(items, list) or len(items) != count:
        return Verdict.all_retry(count, f"_bulk answer without {count} items")
    verdict = Verdict()
    for index, item in enumerate(items):
        result: Any = next(iter(item.values()), {}) if isinstance(item, dict) and item else {}
        status = result.get("status", 0) if isinstance(result, dict) else 0
        if 200 <= status < 300 or status == 409:
            verdict.delivered.append(index)
            continue
        error = result.get("error") if isinstance(result, dict) else None
        reason = codec.dumps(error).decode()[:_SNIPPET] if error is not None else "no error given"
        what = f"_bulk item status {status}: {reason}"
        if status == 429 or status >= 500:
            verdict.retry.append(index)
            verdict.error = what
        else:
            verdict.dead.append((index, what))
    if verdict.dead and not verdict.error:
        verdict.error = verdict.dead[0][1]
    return verdict


def judge(kind: str, answer: Answer, count: int, now_s: float) -> Verdict:
    if kind == "splunk-hec":
        return splunk_hec(answer, count, now_s)
    if kind == "elastic-bulk":
        return elastic_bulk(answer, count, now_s)
    return generic(answer, count, now_s)
