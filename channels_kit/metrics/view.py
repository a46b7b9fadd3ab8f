"""``GET /metrics``: Prometheus text for every process of this host, to allowed readers only.

The view runs in a worker, which sums what every process wrote to
``PROMETHEUS_MULTIPROC_DIR`` (``settings.METRICS_DIR``) and asks the channel
layer for its queues. A process that died leaves its files behind: its
counters keep counting in the sums (a restart must not make a counter go
back), but its live gauges (open sockets) are dropped, found by their
file's process id.
"""
import glob
import os

from channels import DEFAULT_CHANNEL_LAYER, channel_layers
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest,
                               multiprocess)

from channels_kit.metrics.access import may_read
from channels_kit.metrics.layer_stats import LayerCollector


def process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def forget_dead_processes(directory):
    for path in glob.glob(os.path.join(directory, "gauge_live*_*.db")):
        pid = os.path.basename(path)[:-len(".db")].rsplit("_", 1)[1]
        if pid.isdigit() and not process_alive(int(pid)):
            multiprocess.mark_process_dead(int(pid), directory)


def registry():
    registry = CollectorRegistry()
    directory = getattr(settings, "METRICS_DIR", "")
    if directory:
        forget_dead_processes(directory)
        multiprocess.MultiProcessCollector(registry, directory)
    else:
        registry.register(REGISTRY)  # this process's own numbers only
    wrapper = channel_layers[DEFAULT_CHANNEL_LAYER]
    registry.register(LayerCollector(wrapper, wrapper.router.channels))
    return registry


def metrics(request):
    if not may_read(request, getattr(settings, "METRICS_ALLOWED_IPS", ()),
                    getattr(settings, "METRICS_TOKEN", "")):
        return JsonResponse({"error": "metrics-forbidden",
                             "detail": "metrics are served to loopback, the addresses in "
                                       "METRICS_ALLOWED_IPS and the bearer of METRICS_TOKEN"},
                            status=403)
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
