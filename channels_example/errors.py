"""The site's own client errors, added to the kit's table at start-up (apps.py).

The README's error table lists these beside the kit's; tests/unit/test_error_docs_unit.py
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
    # The web terminal (docs/terminal.md).
    "invalid-terminal-frame": None,
    "unknown-host": 4602,
    "ssh-auth-failed": 4603,
    "ssh-host-key": 4604,
    "ssh-unreachable": 4605,
    "too-many-sessions": 4606,
    "idle-timeout": 4607,
    "unknown-session": 4608,
    "terminal-unavailable": 4609,
}


def register():
    client_errors.register(SITE_CLOSE_CODES)
