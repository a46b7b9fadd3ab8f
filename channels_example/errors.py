"""The site's own client errors, added to the kit's table at start-up (apps.py).

The README's error table lists these beside the kit's; tests/test_error_docs_unit.py
keeps the two in step.
"""
from channels_kit import client_errors

SITE_CLOSE_CODES = {
    "invalid-stream": None,
    "invalid-binding": None,
    "not-allowed": None,
    "invalid-steps": None,
    "not-found": 4004,
    "invalid-room": 4100,
}


def register():
    client_errors.register(SITE_CLOSE_CODES)
