from django.apps import AppConfig
from django.core import checks


class ChannelsKitConfig(AppConfig):
    name = "channels_kit"
    verbose_name = "Channels 1.x kit"

    def ready(self):
        """Register the kit's system checks under the ``channels`` tag (docs/checks.md), and
        the inspector's worker hooks."""
        from channels_kit import checks as kit_checks
        from channels_kit import upgrade_checks
        from channels_kit.inspector import worker_hooks

        for check in kit_checks.ALWAYS + upgrade_checks.ALWAYS:
            checks.register(check, "channels")
        for check in kit_checks.DEPLOY + upgrade_checks.DEPLOY:
            checks.register(check, "channels", deploy=True)
        # In every process, so each runworker labels and times its consumers
        # for the inspector (a no-op with a layer that has no inspector).
        worker_hooks.connect()
