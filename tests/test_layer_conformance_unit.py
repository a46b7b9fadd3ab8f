"""asgiref 1.1.2's ASGI conformance suite against the in-memory layer.

The Redis layers are checked by test_layer_conformance_e2e.py.
"""
from asgiref import conformance
from asgiref.inmemory import ChannelLayer as InMemoryChannelLayer

from tests.layer_suite import SUITE_CONFIG


class InMemoryLayerConformance(conformance.ConformanceTestCase):
    expiry_delay = 1.1
    capacity_limit = 5
    channel_layer = InMemoryChannelLayer(**SUITE_CONFIG)
