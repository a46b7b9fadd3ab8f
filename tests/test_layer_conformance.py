"""asgiref 1.1.2's ASGI conformance suite against the layers the project configures."""
import pytest
from asgiref import conformance
from asgiref.inmemory import ChannelLayer as InMemoryChannelLayer
from django.conf import settings
from django.utils.module_loading import import_string

# Both the Redis backend the settings name for the split and the in-memory one
# are checked with the small expiry / capacity the suite's timing tests need.
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


@pytest.fixture
def conformance_redis(request, split):
    backend = import_string("asgi_redis.RedisChannelLayer")
    url = split.redis_url.rsplit("/", 1)[0] + "/1"  # a database the split does not use
    request.cls.channel_layer = backend(hosts=[url], **SUITE_CONFIG)
