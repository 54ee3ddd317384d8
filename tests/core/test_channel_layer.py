"""core.channel_layer on a real Redis: one push to many groups is one message per server
process, and what the layer drops is counted and logged at WARNING.

Each `RedisChannelLayer` instance stands for one server process (its own inbox).
"""

import logging
import uuid

import pytest
import redis
from django.conf import settings

from core import channel_layer
from core.channel_layer import RedisChannelLayer
from tests.conftest import service_missing


@pytest.fixture
def layers():
    """`layers(**config)` makes a layer (a "process") on the test's Redis and prefix; all
    are flushed (their keys deleted) and closed after the test."""
    if not settings.REDIS_URL:
        service_missing("the Redis channel layer needs REDIS_URL")
    prefix = f"test-layer-{uuid.uuid4().hex[:12]}"
    made: list[RedisChannelLayer] = []
    channel_layer.reset_dropped()

    def make(**config) -> RedisChannelLayer:
        layer = RedisChannelLayer(hosts=[settings.REDIS_URL], prefix=prefix, **config)
        made.append(layer)
        return layer

    yield make
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)


def inbox_size(layer: RedisChannelLayer) -> int:
    client = redis.Redis.from_url(settings.REDIS_URL)
    return client.zcard(f"{layer.prefix}specific.{layer.client_prefix}!")


async def test_one_push_to_many_groups_is_one_message_per_process(layers):
    sender, first, second = layers(), layers(), layers()
    first_channels = [await first.new_channel() for _ in range(3)]
    second_channels = [await second.new_channel() for _ in range(2)]
    for n, channel in enumerate(first_channels + second_channels):
        await sender.group_add(f"user.{n}", channel)

    await sender.group_send_many([f"user.{n}" for n in range(5)] + ["user.99"], {"type": "hi"})

    assert inbox_size(first) == 1
    assert inbox_size(second) == 1
    for layer, channels in ((first, first_channels), (second, second_channels)):
        for channel in channels:
            assert await layer.receive(channel) == {"type": "hi"}
    assert inbox_size(first) == inbox_size(second) == 0
    assert channel_layer.dropped() == {}
    await sender.close_pools()
    await first.close_pools()
    await second.close_pools()


async def test_a_full_inbox_drops_are_counted_and_logged_as_warnings(layers, caplog):
    sender, receiver = layers(inbox_capacity=1), layers()
    channels = [await receiver.new_channel() for _ in range(3)]
    for channel in channels:
        await sender.group_add("user.1", channel)

    with caplog.at_level(logging.WARNING, logger="core.channel_layer"):
        await sender.group_send("user.1", {"type": "first"})
        await sender.group_send("user.1", {"type": "second"})  # the inbox is full

    assert inbox_size(receiver) == 1
    assert channel_layer.dropped() == {"inbox": 3}
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert "3 event deliveries dropped (inbox" in record.getMessage()
    await sender.close_pools()
    await receiver.close_pools()


async def test_a_full_socket_buffer_drop_is_counted(layers, caplog):
    layer = layers(capacity=1)
    reading, stalled = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("user.1", reading)
    await layer.group_add("user.2", stalled)
    await layer.group_send_many(["user.1", "user.2"], {"type": "one"})
    await layer.group_send_many(["user.1", "user.2"], {"type": "two"})

    # Receiving for one socket moves each message to both sockets' buffers in the process;
    # the stalled socket's buffer holds one.
    assert await layer.receive(reading) == {"type": "one"}
    assert await layer.receive(reading) == {"type": "two"}

    assert channel_layer.dropped() == {"socket": 1}
    assert "1 event deliveries dropped (socket" in caplog.text
    assert await layer.receive(stalled) == {"type": "two"}
    await layer.close_pools()
