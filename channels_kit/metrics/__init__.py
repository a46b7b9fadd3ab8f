"""Prometheus metrics from every process of a host: daphnes, workers, the terminal service.

Optional: with ``prometheus_client`` installed and ``PROMETHEUS_MULTIPROC_DIR``
naming a directory every process of the host shares (the run command and
``channels_kit.testing.split`` make a fresh one per run), each process writes
its counters to that directory and ``GET /metrics`` (``channels_kit.metrics.view``)
sums them, together with what the channel layer knows at scrape time.
Without ``prometheus_client`` every metric here is a no-op, so the hooks in
daphne's and the worker's hot paths cost nothing.

The families live in ``families``; docs/operations.md says what each means.
"""
