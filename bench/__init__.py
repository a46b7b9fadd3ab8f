"""Load generator for the Channels 1.x split; see bench/run.py and docs/performance.md."""
