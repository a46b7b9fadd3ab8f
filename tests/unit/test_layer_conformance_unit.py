"""asgiref 1.1.2's ASGI conformance suite against the in-memory layers.

The kit's own in-memory layer (channels_kit.asgi1) is checked on every
Django line; ``asgiref.inmemory`` is whatever this line serves under that
name: asgiref 1.1.2's own on Django 2.2, the kit's on 5.2.
The Redis layers are checked by test_layer_conformance_e2e.py.
"""
from asgiref.inmemory import ChannelLayer as AsgirefNameChannelLayer

from channels_kit.asgi1.inmemory import ChannelLayer as KitChannelLayer
from tests.support.layer_suite import SUITE_CONFIG, conformance

SUITE = conformance()


class KitInMemoryLayerConformance(SUITE.ConformanceTestCase):
    expiry_delay = 1.1
    capacity_limit = 5
    channel_layer = KitChannelLayer(**SUITE_CONFIG)


class InMemoryLayerConformance(SUITE.ConformanceTestCase):
    expiry_delay = 1.1
    capacity_limit = 5
    channel_layer = AsgirefNameChannelLayer(**SUITE_CONFIG)
