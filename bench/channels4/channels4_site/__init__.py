"""Stock Channels 4 serving the bench's routes: the yardstick the bench measures the split against.

Runs only in .venv-channels4 (bench/channels4/requirements.txt), under one
daphne 4 started by bench.servers.Channels4Server; never imported by the
Channels 1.x project itself.
"""
