"""asgiref 1.1.2's ASGI conformance suite against the Redis layers, on the split's Redis.

Stock asgi_redis is checked next to the kit's tuned subclass, so a failure in
the subclass alone points at the tuning.
"""
import pytest
from django.conf import settings
from django.utils.module_loading import import_string

from tests.support.layer_suite import SUITE_CONFIG, conformance

SUITE = conformance()


@pytest.mark.usefixtures("conformance_redis")
class RedisLayerConformance(SUITE.ConformanceTestCase):
    expiry_delay = 1.1
    capacity_limit = 5


@pytest.mark.usefixtures("conformance_tuned_redis")
class TunedRedisLayerConformance(SUITE.ConformanceTestCase):
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
