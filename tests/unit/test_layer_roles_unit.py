"""The composed Redis layer plays every role its collaborators ask for, and ``unwrap`` finds it."""
import pytest
from asgiref.inmemory import ChannelLayer
from channels.asgi import ChannelLayerWrapper

from channels_kit.daphne.flow_control import FlowControlledLayer
from channels_kit.daphne.health import AnswersHealthWhileRedisIsDown
from channels_kit.inspector.layer import InspectedRedisChannelLayer
from channels_kit.layer import RedisChannelLayer
from channels_kit.layer.roles import (CountsDrops, KeepsMemberships, KeepsOrderingRecords,
                                      RedisBacked, Reports, TakesBatches, layer_that, unwrap)

ROLES = [RedisBacked, TakesBatches, CountsDrops, KeepsOrderingRecords, KeepsMemberships,
         Reports]
# Nothing listens here: building a layer does not connect.
NOWHERE = ["redis://127.0.0.1:9/0"]


@pytest.mark.parametrize("backend", [RedisChannelLayer, InspectedRedisChannelLayer])
@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.__name__)
def test_the_kit_backends_play_every_role(backend, role):
    assert isinstance(backend(hosts=NOWHERE), role)


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.__name__)
def test_the_in_memory_layer_plays_none(role):
    assert layer_that(role, ChannelLayer()) is None


def test_unwrap_takes_off_channels_wrapper_and_daphnes():
    backend = RedisChannelLayer(hosts=NOWHERE)
    daphnes = FlowControlledLayer(AnswersHealthWhileRedisIsDown(backend))
    channels = ChannelLayerWrapper(channel_layer=backend, alias="default", routing=[])
    assert unwrap(daphnes) is backend
    assert unwrap(channels) is backend
    assert unwrap(backend) is backend
    assert layer_that(TakesBatches, channels) is backend


def test_a_layer_sends_as_a_worker_until_it_becomes_daphnes():
    layer = RedisChannelLayer(hosts=NOWHERE)
    assert layer.sends == layer._send_from_worker
    heard = []
    assert layer.report_to(queued=heard.append, send_lost=None) is layer
    assert layer.sends == layer._send_and_place
    layer.serve_daphne(reactor=True)  # daphne's first receive_twisted
    assert layer.sends == layer._send_from_reactor
    layer.report_to(queued=heard.append, send_lost=None)
    assert layer.sends == layer._send_from_reactor


def test_daphnes_flow_control_registers_for_the_layers_reports():
    backend = RedisChannelLayer(hosts=NOWHERE)
    flow = FlowControlledLayer(AnswersHealthWhileRedisIsDown(backend))
    assert flow.places is backend
    assert backend.on_queued == flow.frame_queued
    assert backend.on_send_lost == flow.hold_lost_send
