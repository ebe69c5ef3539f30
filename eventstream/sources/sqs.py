"""The SQS source: CloudTrail S3 exports and EventBridge events announced on queues.

`concurrency` receive loops per queue long-poll batches of 10 messages. Each message is parsed
(`notifications.parse_message`: every shape that reaches such a queue); records it carries
inline are handed on at once, the S3 objects it announces are streamed (`objects.object_items`:
gunzip, record by record, at most `max_object_bytes` after decompression); then comes the
message's `Checkpoint`. The pipeline acknowledges it once every record before it is committed:
only then is the message deleted (in batches of up to 10). A message that fails (a missing
object, access denied, throttling, expired credentials, a dropped download) is made visible
again after a backoff that doubles with its `ApproximateReceiveCount` (rounded up to whole
seconds); once that count reaches `max_receive_count` it is quarantined with its reason and
deleted (the queue's own redrive policy still applies: a lower `maxReceiveCount` sends it to
the dead-letter queue first). A message received more often than that without being settled
(a process that died on it) is quarantined on sight. A message whose work lasts more
than half the visibility timeout has its visibility extended, so no other consumer gets it
meanwhile. Test events and subscription confirmations are logged, counted and deleted.

Stopping: the receive and extension loops are cancelled, the delete loop sends what is queued
and ends; then the source waits (at most `close_timeout_s`) for every delete, release and
visibility change still in flight on its SQS client before closing it, so no call is cut off
by the close. A delete or release asked for while the source stops is sent on that client at
once (and waited for too); one asked for once it is closed goes through a client of its own.
Calls still in flight when the wait gives up are logged and counted (`close_in_flight`).

Every failure is one log line with the queue, bucket and key, and the `errors` metric by kind;
the source keeps running and retries with backoff, and `problem()` says what fails (`/readyz`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from eventstream.config import SqsSourceSettings
from eventstream.errors import MalformedRecordError, ObjectReadError
from eventstream.pipeline.metrics import PipelineMetrics
from eventstream.sources import aws
from eventstream.sources.base import Checkpoint, Item, RawRecord
from eventstream.sources.files import ReadLimits
from eventstream.sources.notifications import Announced, ObjectRef, parse_message, trail_key
from eventstream.sources.objects import object_items

log = logging.getLogger(__name__)

_BATCH = 10  # SQS's most messages per receive, delete or visibility change
_BODY_BYTES = 64 * 1024
_DOWNLOAD_PIECE = 1 << 20
_OUT_CHUNKS = 16
_OPEN, _STOPPING, _CLOSED = "open", "stopping", "closed"


@dataclass(eq=False)
class _Message:
    queue: str
    message_id: str
    receipt: str
    receive_count: int
    extended_at: float
    settled: bool = False
    handed_on: bool = False
    records: int = 0

    @property
    def origin(self) -> str:
        return f"{self.queue}#{self.message_id}"


class _MessageAck:
    """Deletes or releases one message for the pipeline."""

    def __init__(self, source: SqsSource, message: _Message) -> None:
        self.source = source
        self.message = message

    async def ack(self) -> None:
        await self.source.delete(self.message)

    async def release(self, reason: str) -> None:
        await self.source.release(self.message, reason, 0)


class SqsSource:
    """Raw records from S3 exports and EventBridge events announced on SQS queues."""

    def __init__(
        self,
        settings: SqsSourceSettings,
        *,
        name: str = "sqs",
        limits: ReadLimits | None = None,
        metrics: PipelineMetrics | None = None,
        session: Any = None,
        close_timeout_s: float = 5.0,
    ) -> None:
        self.settings = settings
        self.name = name
        self.limits = limits or ReadLimits()
        self.metrics = metrics
        self.close_timeout_s = close_timeout_s
        self._session = session or aws.session()
        self._sqs: Any = None
        self._s3: Any = None
        self._state = _CLOSED  # of the shared SQS client: open, stopping, closed
        self._calls = 0  # settling calls in flight on the shared client
        self._idle = asyncio.Event()
        self._idle.set()
        self._out: asyncio.Queue[Sequence[Item]] = asyncio.Queue(_OUT_CHUNKS)
        self._inflight: dict[str, _Message] = {}
        self._deletes: asyncio.Queue[_Message | None] = asyncio.Queue()
        self._failing: dict[str, str] = {}

    def problem(self) -> str:
        """'' while every queue is read; else what fails, per queue."""
        return "; ".join(f"{queue}: {reason}" for queue, reason in self._failing.items())

    def _client(self, service: str) -> contextlib.AbstractAsyncContextManager[Any]:
        return aws.client(
            self._session,
            service,
            region=self.settings.region or region_of(self.settings.queues()[0]),
            endpoint_url=self.settings.endpoint_url,
            read_timeout_s=self.settings.wait_time_s + 30,
        )

    async def items(self) -> AsyncGenerator[Sequence[Item], None]:
        async with self._client("sqs") as sqs, self._client("s3") as s3:
            self._sqs, self._s3 = sqs, s3
            self._state = _OPEN
            tasks = [
                asyncio.create_task(self._receive(queue), name=f"sqs-receive:{queue}")
                for queue in self.settings.queues()
                for _ in range(self.settings.concurrency)
            ]
            tasks.append(asyncio.create_task(self._extend(), name="sqs-extend"))
            deleting = asyncio.create_task(self._delete_loop(), name="sqs-delete")
            try:
                while True:
                    chunk = await self._out.get()
                    for item in chunk:
                        if isinstance(item, Checkpoint) and isinstance(item.ack, _MessageAck):
                            item.ack.message.handed_on = True
                    yield chunk
            finally:
                self._state = _STOPPING  # deletes are sent at once from now on
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                self._deletes.put_nowait(None)  # the delete loop sends what is queued, ends
                await self._settle_before_close(deleting)
                # no await from here to the close: no call can start on the closing client
                self._state = _CLOSED
                self._sqs = self._s3 = None

    # Receiving

    async def _receive(self, queue: str) -> None:
        settings = self.settings
        delay = settings.retry_first_s
        while True:
            try:
                answer = await self._sqs.receive_message(
                    QueueUrl=queue,
                    MaxNumberOfMessages=_BATCH,
                    WaitTimeSeconds=settings.wait_time_s,
                    VisibilityTimeout=settings.visibility_timeout_s,
                    AttributeNames=["ApproximateReceiveCount"],
                )
            except aws.AWS_ERRORS as error:
                self._error("receive failed", error, queue=queue, retry_s=delay)
                self._failing[queue] = f"receive: {aws.describe(error)}"
                await asyncio.sleep(delay)
                delay = min(delay * 2, settings.retry_max_s)
                continue
            delay = settings.retry_first_s
            self._failing.pop(queue, None)
            for raw in answer.get("Messages", []):
                try:
                    await self._message(queue, raw)
                except Exception:  # a bug must not stop the queue: the message comes back
                    self._count_error("internal")
                    log.exception(
                        "message failed",
                        extra={
                            "source": self.name,
                            "queue": queue,
                            "message_id": raw.get("MessageId"),
                        },
                    )
                    message = self._inflight.get(raw.get("ReceiptHandle", ""))
                    if message is not None and not message.handed_on:
                        await self.release(
                            message, "internal error", math.ceil(settings.retry_max_s)
                        )

    async def _message(self, queue: str, raw: dict[str, Any]) -> None:
        attributes = raw.get("Attributes", {})
        message = _Message(
            queue=queue,
            message_id=raw.get("MessageId", ""),
            receipt=raw["ReceiptHandle"],
            receive_count=int(attributes.get("ApproximateReceiveCount", 1)),
            extended_at=time.monotonic(),
        )
        self._inflight[message.receipt] = message
        self._count_message("received")
        body: str = raw.get("Body", "")
        if message.receive_count > self.settings.max_receive_count:
            reason = (
                f"message received {message.receive_count} times without being committed "
                f"(max_receive_count {self.settings.max_receive_count})"
            )
            await self._quarantine(message, reason, body)
            return
        try:
            announced = parse_message(body)
        except MalformedRecordError as error:
            self._count_error("malformed_message")  # its one log line: "message quarantined"
            await self._quarantine(message, f"malformed message: {error.reason}", body)
            return
        if announced.ignored:
            self._count_message("ignored")
            log.info(
                "message ignored",
                extra={
                    "source": self.name,
                    "queue": queue,
                    "message_id": message.message_id,
                    "shape": announced.shape,
                    "reason": announced.ignored,
                },
            )
        await self._carry(message, announced)

    async def _carry(self, message: _Message, announced: Announced) -> None:
        """Hand on what the message carries, then its checkpoint (or release it)."""
        if announced.records:
            origin = message.origin
            await self._emit(
                [RawRecord(origin, None, i, r) for i, r in enumerate(announced.records)]
            )
            message.records += len(announced.records)
        for ref in announced.objects:
            skip = trail_key(ref.key) if self.settings.trail_keys_only else ""
            if skip:
                self._count_object("skipped")
                log.info(
                    "object skipped",
                    extra={
                        "source": self.name,
                        "queue": message.queue,
                        "bucket": ref.bucket,
                        "key": ref.key,
                        "reason": skip,
                    },
                )
                continue
            try:
                await self._object(message, ref)
            except (*aws.AWS_ERRORS, ObjectReadError) as error:
                kind = (
                    "download_failed"
                    if isinstance(error, ObjectReadError)
                    else (aws.error_kind(error))
                )
                if message.receive_count >= self.settings.max_receive_count:
                    reason = (
                        f"{ref}: {kind}: {_why(error)} (received {message.receive_count} times)"
                    )
                    self._error(
                        "object failed, quarantined",
                        error,
                        queue=message.queue,
                        message_id=message.message_id,
                        bucket=ref.bucket,
                        key=ref.key,
                        kind=kind,
                        reason=reason,
                    )
                    await self._emit([MalformedRecordError(reason, origin=str(ref))])
                    self._count_message("quarantined")
                    continue
                backoff = min(
                    self.settings.retry_max_s,
                    self.settings.retry_first_s * 2 ** (message.receive_count - 1),
                )
                self._error(
                    "object failed, message released",
                    error,
                    queue=message.queue,
                    message_id=message.message_id,
                    bucket=ref.bucket,
                    key=ref.key,
                    kind=kind,
                    retry_s=backoff,
                )
                await self.release(message, f"{kind}: {_why(error)}", math.ceil(backoff))
                return
        await self._emit([Checkpoint(_MessageAck(self, message), message.origin)])
        if self.metrics is not None:
            self.metrics.message_records.labels(self.name).observe(message.records)

    async def _object(self, message: _Message, ref: ObjectRef) -> None:
        try:
            answer = await self._s3.get_object(Bucket=ref.bucket, Key=ref.key)
        except ClientError as error:
            if aws.error_kind(error) != "not_found" or not ref.raw_key or ref.raw_key == ref.key:
                raise
            answer = await self._s3.get_object(Bucket=ref.bucket, Key=ref.raw_key)
        body = answer["Body"]
        async with body:
            size = int(answer.get("ContentLength") or 0)
            if size > self.settings.max_object_bytes:
                self._count_object("too_large")
                reason = (
                    f"object of {size} bytes is larger than max_object_bytes "
                    f"({self.settings.max_object_bytes})"
                )
                log.warning(
                    "object too large",
                    extra={
                        "source": self.name,
                        "queue": message.queue,
                        "message_id": message.message_id,
                        "bucket": ref.bucket,
                        "key": ref.key,
                        "bytes": size,
                        "reason": reason,
                    },
                )
                await self._emit([MalformedRecordError(reason, origin=str(ref))])
                return
            self._count_object("fetched")
            reader = object_items(
                self._counted(body),
                str(ref),
                self.limits,
                max_bytes=self.settings.max_object_bytes,
                size=size if "ContentLength" in answer else -1,
            )
            async with contextlib.aclosing(reader) as chunks:
                async for chunk in chunks:
                    message.records += len(chunk)
                    await self._emit(chunk)

    async def _counted(self, body: Any) -> AsyncIterator[bytes]:
        async for piece in body.iter_chunks(_DOWNLOAD_PIECE):
            if self.metrics is not None:
                self.metrics.object_bytes.labels(self.name).inc(len(piece))
            yield piece

    async def _emit(self, chunk: Sequence[Item]) -> None:
        await self._out.put(chunk)

    async def _quarantine(self, message: _Message, reason: str, body: str) -> None:
        """The message itself as a quarantine entry, then its checkpoint (which deletes it)."""
        self._count_message("quarantined")
        log.warning(
            "message quarantined",
            extra={
                "source": self.name,
                "queue": message.queue,
                "message_id": message.message_id,
                "receive_count": message.receive_count,
                "reason": reason,
            },
        )
        data = body.encode(errors="replace")[:_BODY_BYTES]
        await self._emit(
            [
                MalformedRecordError(reason, origin=message.origin, data=data),
                Checkpoint(_MessageAck(self, message), message.origin),
            ]
        )

    # Settling

    async def delete(self, message: _Message) -> None:
        """Delete a committed message: batched while the source runs, else at once."""
        if message.settled:
            return
        message.settled = True
        self._inflight.pop(message.receipt, None)
        if self._state == _OPEN:
            self._deletes.put_nowait(message)
            return
        await self._delete_batch([message])

    async def release(self, message: _Message, reason: str, visibility_s: int) -> None:
        """Make the message visible again in `visibility_s` (0: at once)."""
        if message.settled:
            return
        message.settled = True
        self._inflight.pop(message.receipt, None)
        self._count_message("released")
        log.info(
            "message released",
            extra={
                "source": self.name,
                "queue": message.queue,
                "message_id": message.message_id,
                "reason": reason,
                "visibility_s": visibility_s,
            },
        )
        try:
            await self._call(
                lambda sqs: sqs.change_message_visibility(
                    QueueUrl=message.queue,
                    ReceiptHandle=message.receipt,
                    VisibilityTimeout=visibility_s,
                )
            )
        except aws.AWS_ERRORS as error:  # it comes back after its visibility timeout anyway
            self._error("release failed", error, queue=message.queue)

    async def _call(self, call: Callable[[Any], Awaitable[Any]]) -> Any:
        """One settling call (delete, release, visibility change): on the source's client,
        counted in flight until answered, while it is open or stopping; once it is closed, on
        a client of its own (acknowledged after the source stopped)."""
        if self._state == _CLOSED:
            async with self._client("sqs") as sqs:
                return await call(sqs)
        self._calls += 1
        self._idle.clear()
        try:
            return await call(self._sqs)
        finally:
            self._calls -= 1
            if not self._calls:
                self._idle.set()

    async def _settle_before_close(self, deleting: asyncio.Task[None]) -> None:
        """At most `close_timeout_s` in all: the delete loop's last batches, the release of
        what was not handed on, and every call in flight on the source's client (the
        pipeline's own releases among them). What is left then is cut off, logged, counted."""
        try:
            async with asyncio.timeout(self.close_timeout_s):
                await asyncio.gather(deleting, return_exceptions=True)
                await self._release_unsent()
                await self._idle.wait()
        except TimeoutError:
            deleting.cancel()  # its call is abandoned now, not cut off by the close
            await asyncio.gather(deleting, return_exceptions=True)
            self._count_error("close_in_flight")
            log.warning(
                "client closed with calls in flight",
                extra={
                    "source": self.name,
                    "queue": ", ".join(self.settings.queues()),
                    "calls": self._calls,
                    "waited_s": self.close_timeout_s,
                },
            )

    async def _delete_loop(self) -> None:
        """Delete committed messages in batches; ends at None, once what is queued is sent."""
        while True:
            first = await self._deletes.get()
            if first is None:
                return
            batch = [first]
            last = False
            while len(batch) < _BATCH and not self._deletes.empty():
                more = self._deletes.get_nowait()
                if more is None:
                    last = True
                    break
                batch.append(more)
            await self._delete_batch(batch)
            if last:
                return

    async def _delete_batch(self, batch: list[_Message]) -> None:
        by_queue: dict[str, list[_Message]] = {}
        for message in batch:
            by_queue.setdefault(message.queue, []).append(message)
        for queue, messages in by_queue.items():
            await self._delete_from(queue, messages)

    async def _delete_from(self, queue: str, messages: list[_Message]) -> None:
        entries = [{"Id": str(i), "ReceiptHandle": m.receipt} for i, m in enumerate(messages)]
        try:
            answer = await self._call(
                lambda sqs: sqs.delete_message_batch(QueueUrl=queue, Entries=entries)
            )
        except aws.AWS_ERRORS as error:  # redelivered later; the journal absorbs it
            self._error("delete failed", error, queue=queue, messages=len(messages))
            return
        failed = answer.get("Failed", [])
        self._count_message("deleted", len(messages) - len(failed))
        for entry in failed:
            self._count_error("delete_failed")
            log.warning(
                "delete failed",
                extra={
                    "source": self.name,
                    "queue": queue,
                    "code": entry.get("Code"),
                    "reason": entry.get("Message"),
                },
            )

    async def _release_unsent(self) -> None:
        """Messages received but not handed on when the source stops: visible again now."""
        for message in list(self._inflight.values()):
            if not message.handed_on:
                await self.release(message, "shutdown", 0)

    async def _extend(self) -> None:
        """Extend the visibility of messages in work for more than half the timeout."""
        timeout = self.settings.visibility_timeout_s
        every_s = max(1.0, min(timeout / 4, 30.0))
        while True:
            await asyncio.sleep(every_s)
            now = time.monotonic()
            due = [
                m
                for m in self._inflight.values()
                if not m.settled and now - m.extended_at >= timeout / 2
            ]
            by_queue: dict[str, list[_Message]] = {}
            for message in due:
                by_queue.setdefault(message.queue, []).append(message)
            for queue, messages in by_queue.items():
                for start in range(0, len(messages), _BATCH):
                    await self._extend_batch(queue, messages[start : start + _BATCH], now)

    async def _extend_batch(self, queue: str, messages: list[_Message], now: float) -> None:
        entries = [
            {
                "Id": str(i),
                "ReceiptHandle": m.receipt,
                "VisibilityTimeout": self.settings.visibility_timeout_s,
            }
            for i, m in enumerate(messages)
        ]
        try:
            await self._call(
                lambda sqs: sqs.change_message_visibility_batch(QueueUrl=queue, Entries=entries)
            )
        except aws.AWS_ERRORS as error:
            self._error("visibility extension failed", error, queue=queue)
            return
        for message in messages:
            message.extended_at = now
        self._count_message("extended", len(messages))
        log.info(
            "visibility extended",
            extra={"source": self.name, "queue": queue, "messages": len(messages)},
        )

    # Accounting

    def _count_message(self, event: str, count: int = 1) -> None:
        if self.metrics is not None and count:
            self.metrics.messages.labels(self.name, event).inc(count)

    def _count_object(self, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.objects.labels(self.name, outcome).inc()

    def _count_error(self, kind: str) -> None:
        if self.metrics is not None:
            self.metrics.errors.labels(self.name, kind).inc()

    def _error(self, what: str, error: BaseException, **where: Any) -> None:
        kind = where.pop("kind", None) or (
            "download_failed" if isinstance(error, ObjectReadError) else aws.error_kind(error)
        )
        self._count_error(kind)
        log.warning(what, extra={"source": self.name, "kind": kind, "error": _why(error), **where})


def region_of(queue_url: str) -> str | None:
    """The region in an SQS queue URL (`https://sqs.<region>.amazonaws.com/...`), if any;
    None leaves it to the default chain."""
    host = urlsplit(queue_url).hostname or ""
    parts = host.split(".")
    if len(parts) >= 4 and parts[0] == "sqs" and parts[2] == "amazonaws":
        return parts[1]
    return None


def _why(error: BaseException) -> str:
    return error.reason if isinstance(error, ObjectReadError) else aws.describe(error)
