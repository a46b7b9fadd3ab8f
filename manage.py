#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channels_example.settings")
    # Before Django: on 3.12+ it names a missing per-Python package and its fix.
    import channels_kit  # noqa: F401
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
