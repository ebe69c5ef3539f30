"""Re-delivering a destination's dead-letter list (`eventstream webhooks replay DEST`): in list
order, batched like live deliveries, each batch tried a few times; what the destination takes
leaves the list, what it still refuses stays there as it was."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from eventstream import codec
from eventstream.config.webhooks import WebhookSettings
from eventstream.forward.deadletters import DeadLetter, DeadLetters
from eventstream.forward.formats import format_of, item_of, overhead
from eventstream.forward.retry import Schedule
from eventstream.forward.sender import Sender, SendFailure
from eventstream.forward.signing import message_id
from eventstream.forward.state import DestinationState
from eventstream.forward.verdicts import Verdict, judge, scrubbed

log = logging.getLogger(__name__)
REPLAY_SCHEDULE_S = (0.0, 1.0, 5.0)
RETRY_AFTER_MAX_S = 60.0


@dataclass(slots=True)
class ReplayResult:
    delivered: int = 0
    refused: int = 0
    unsendable: int = 0
    last_error: str = ""


async def replay(
    settings: WebhookSettings,
    dead: DeadLetters,
    state: DestinationState,
    sender: Sender,
    schedule: Schedule | None = None,
) -> ReplayResult:
    """Every dead letter there is when the replay starts, a batch at a time."""
    plan = schedule or Schedule(REPLAY_SCHEDULE_S, 0.0, RETRY_AFTER_MAX_S)
    result = ReplayResult()
    after = "0-0"
    while True:
        letters = await dead.page(after, settings.max_events)
        if not letters:
            break
        after = letters[-1].id
        sendable = []
        for letter in letters:
            try:
                parsed = codec.loads(letter.event) if letter.event else None
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                sendable.append((letter, parsed))
            else:
                result.unsendable += 1  # no event to send (trimmed, unreadable): stays listed
        run = _Run(settings, dead, sender, plan, result)
        for chunk in _chunks(settings, sendable):
            await _deliver(run, chunk)
    if result.last_error:
        await state.error(f"replay: {result.last_error}")
    return result


def _chunks(
    settings: WebhookSettings, letters: list[tuple[DeadLetter, dict[str, object]]]
) -> list[list[tuple[DeadLetter, bytes]]]:
    form = format_of(settings)
    chunks: list[list[tuple[DeadLetter, bytes]]] = []
    current: list[tuple[DeadLetter, bytes]] = []
    size = 2
    for letter, parsed in letters:
        piece = form.piece(item_of(letter.entry_id, letter.event, parsed))
        cost = len(piece) + overhead(settings)
        if current and (
            len(current) >= settings.max_events or size + cost > settings.batch_max_bytes
        ):
            chunks.append(current)
            current, size = [], 2
        current.append((letter, piece))
        size += cost
    if current:
        chunks.append(current)
    return chunks


@dataclass(frozen=True, slots=True)
class _Run:
    settings: WebhookSettings
    dead: DeadLetters
    sender: Sender
    schedule: Schedule
    result: ReplayResult


async def _deliver(run: _Run, chunk: list[tuple[DeadLetter, bytes]]) -> None:
    settings, dead, sender, schedule, result = (
        run.settings,
        run.dead,
        run.sender,
        run.schedule,
        run.result,
    )
    form = format_of(settings)
    pending = chunk
    retry_after: float | None = None
    for attempt in range(len(schedule)):
        delay = schedule.delay(attempt, retry_after)
        if delay > 0:
            await asyncio.sleep(delay)
        ids = [letter.entry_id for letter, _ in pending]
        answer = await sender.post(
            message_id(settings.name, ids), form.body([piece for _, piece in pending])
        )
        if isinstance(answer, SendFailure):
            verdict = Verdict.all_retry(len(pending), answer.error)
        else:
            verdict = scrubbed(
                judge(settings.format, answer, len(pending), time.time()), sender.scrub
            )
        if verdict.split:
            half = len(pending) // 2
            for part in (pending[:half], pending[half:]):
                await _deliver(run, part)
            return
        await dead.remove([pending[index][0].id for index in verdict.delivered])
        result.delivered += len(verdict.delivered)
        result.refused += len(verdict.dead)
        if verdict.error:
            result.last_error = verdict.error
        pending = [pending[index] for index in verdict.retry]
        retry_after = verdict.retry_after_s
        if not pending or verdict.disable:
            break
    result.refused += len(pending)
