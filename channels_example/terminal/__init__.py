"""The web terminal: SSH sessions owned by one service process (``manage.py runterminal``).

- ``hosts``: the configured hosts (a TOML file); the browser never names a host.
- ``session``: one SSH session on its own thread, with pty, scrollback and timeouts.
- ``service``: the process that owns every session (channels_kit.worker.service).
- ``recording``: asciicast v2 files and the audit log.
- ``frames``: what a socket may send, checked in the worker.

See docs/terminal.md.
"""

# The service's name: its channels are terminal.open and terminal.input.<id>!<session>.
SERVICE_NAME = "terminal"
