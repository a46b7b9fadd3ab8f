from django.apps import AppConfig, apps
from django.core import checks


class ChannelsKitConfig(AppConfig):
    name = "channels_kit"
    verbose_name = "Channels 1.x kit"

    def ready(self):
        """Register the kit's system checks under the ``channels`` tag (docs/checks.md), the
        inspector's worker hooks, and the signals that end privileged sockets."""
        from channels_kit import privileged
        from channels_kit.checks import deployment as kit_checks
        from channels_kit.checks import upgrade_checks
        from channels_kit.http import login_throttle
        from channels_kit.inspector import worker_hooks

        for check in kit_checks.ALWAYS + upgrade_checks.ALWAYS:
            checks.register(check, "channels")
        for check in kit_checks.DEPLOY + upgrade_checks.DEPLOY:
            checks.register(check, "channels", deploy=True)
        # In every process, so each runworker labels and times its consumers
        # for the inspector (a no-op with a layer that has no inspector).
        worker_hooks.connect()
        # Logout, losing staff, deactivation or a new password end the user's
        # privileged sockets (channels_kit/privileged.py), wherever the change is made.
        if apps.is_installed("django.contrib.auth"):
            privileged.connect()
            # Failed passwords counted per account and address
            # (channels_kit/http/login_throttle.py).
            login_throttle.connect()
