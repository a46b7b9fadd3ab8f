"""The server timestamp every JSON chat frame carries as ``ts``."""
from django.utils import timezone


def server_now():
    """Now, as ISO 8601 UTC with milliseconds and a ``Z`` (what JavaScript's Date parses)."""
    return timezone.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
