"""Logbook's `logbook.v1.EventService/Subscribe` (libs/contracts/proto/logbook/v1/events.proto) from Python.

MLflow ships no compiled copy of Logbook's own messages, so the two this method uses are declared here field
for field as the .proto declares them, in a pool of their own."""

import json
import queue
import threading
import time

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

SUBSCRIBE = "/logbook.v1.EventService/Subscribe"


def _messages():
    kinds = descriptor_pb2.FieldDescriptorProto

    def field(name, number, scalar=kinds.TYPE_STRING, repeated=False):
        label = kinds.LABEL_REPEATED if repeated else kinds.LABEL_OPTIONAL
        return descriptor_pb2.FieldDescriptorProto(name=name, number=number, type=scalar, label=label)

    events = descriptor_pb2.FileDescriptorProto(name="logbook/v1/events.proto", package="logbook.v1", syntax="proto2")
    events.message_type.add(
        name="SubscribeRequest",
        field=[
            field("after", 1),
            field("from_latest", 2, kinds.TYPE_BOOL),
            field("topics", 3, repeated=True),
            field("types", 4, repeated=True),
        ],
    )
    events.message_type.add(
        name="SubscribedEvent",
        field=[
            field("position", 1),
            field("topic", 2),
            field("key", 3),
            field("event_id", 4),
            field("type", 5),
            field("schema_version", 6, kinds.TYPE_INT32),
            field("occurred_at", 7),
            field("event_json", 8),
        ],
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(events)
    return (
        message_factory.GetMessageClass(pool.FindMessageTypeByName(f"logbook.v1.{name}"))
        for name in ("SubscribeRequest", "SubscribedEvent")
    )


SubscribeRequest, SubscribedEvent = _messages()


class Subscription:
    """One Subscribe stream, cancelled on leaving its `with` block. Nothing is read from it before `listen` or
    the first `next_event`, so a subscription opened and never read is a subscriber that stopped reading."""

    def __init__(self, channel, timeout=120, authorization=None, **request):
        method = channel.unary_stream(
            SUBSCRIBE,
            request_serializer=SubscribeRequest.SerializeToString,
            response_deserializer=SubscribedEvent.FromString,
        )
        metadata = [("authorization", authorization)] if authorization else None
        self.stream = method(SubscribeRequest(**request), timeout=timeout, metadata=metadata)
        self._received = queue.Queue()
        self._reader = None

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.stream.cancel()

    def _read_all(self):
        # grpc's iterator has no timeout of its own: a thread reads, the test waits on the queue.
        try:
            for event in self.stream:
                self._received.put(event)
        except grpc.RpcError as error:
            self._received.put(error)

    def listen(self):
        """Reads the stream from now on, keeping its events until asked for them."""
        if self._reader is None:
            self._reader = threading.Thread(target=self._read_all, daemon=True)
            self._reader.start()

    def next_event(self, seconds):
        """The next event, or None when none arrives within `seconds`; a failed call raises its RpcError."""
        self.listen()
        try:
            received = self._received.get(timeout=max(seconds, 0))
        except queue.Empty:
            return None
        if isinstance(received, grpc.RpcError):
            raise received
        return received

    def read_until(self, done, seconds=60):
        """Every event up to and including the first for which `done(event)` holds; fails after `seconds`."""
        return self._read(lambda events: done(events[-1]), seconds)

    def read(self, count, seconds=60):
        """The next `count` events; fails when they do not arrive within `seconds`."""
        return self._read(lambda events: len(events) == count, seconds)

    def _read(self, enough, seconds):
        events, deadline = [], time.monotonic() + seconds
        while True:
            event = self.next_event(deadline - time.monotonic())
            assert event is not None, f"the awaited events did not arrive within {seconds} s ({len(events)} read)"
            events.append(event)
            if enough(events):
                return events


def data(event):
    """The event's `data`, as its contract (docs/events.md) declares it."""
    return json.loads(event.event_json)["data"]
