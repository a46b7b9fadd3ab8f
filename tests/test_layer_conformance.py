"""asgiref 1.1.2's ASGI conformance suite against the layers the project configures.

Stock asgi_redis is checked next to the project's tuned subclass, so a
failure in the subclass alone points at the tuning.
"""
import pytest
from asgiref import conformance
from asgiref.inmemory import ChannelLayer as InMemoryChannelLayer
from django.conf import settings
from django.utils.module_loading import import_string

# The stock Redis backend, the tuned one the settings name for the split, and
# the in-memory one are checked with the small expiry / capacity the suite's timing tests need.
SUITE_CONFIG = {"expiry": 1, "group_expiry": 2, "capacity": 5}


class InMemoryLayerConformance(conformance.ConformanceTestCase):
    expiry_delay = 1.1
    capacity_limit = 5
    channel_layer = InMemoryChannelLayer(**SUITE_CONFIG)


@pytest.mark.e2e
@pytest.mark.usefixtures("conformance_redis")
class RedisLayerConformance(conformance.ConformanceTestCase):
    expiry_delay = 1.1
    capacity_limit = 5


@pytest.mark.e2e
@pytest.mark.usefixtures("conformance_tuned_redis")
class TunedRedisLayerConformance(conformance.ConformanceTestCase):
    expiry_delay = 1.1
    capacity_limit = 5


@pytest.fixture
def conformance_redis(request, split):
    request.cls.channel_layer = redis_layer("asgi_redis.RedisChannelLayer", split)


@pytest.fixture
def conformance_tuned_redis(request, split):
    request.cls.channel_layer = redis_layer(settings.REDIS_CHANNEL_LAYER, split)


def redis_layer(backend, split):
    backend = import_string(backend)
    url = split.redis_url.rsplit("/", 1)[0] + "/1"  # a database the split does not use
    return backend(hosts=[url], **SUITE_CONFIG)
