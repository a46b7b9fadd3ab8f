"""Load generator for the Channels 1.x split; see bench/run.py and docs/performance.md."""
import os

# The repository root: the project's Procfile and manage.py, and bench/channels4.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
