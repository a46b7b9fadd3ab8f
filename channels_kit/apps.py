from django.apps import AppConfig
from django.core import checks


class ChannelsKitConfig(AppConfig):
    name = "channels_kit"
    verbose_name = "Channels 1.x kit"

    def ready(self):
        """Register the kit's system checks under the ``channels`` tag (docs/checks.md)."""
        from channels_kit import checks as kit_checks

        for check in kit_checks.ALWAYS:
            checks.register(check, "channels")
        for check in kit_checks.DEPLOY:
            checks.register(check, "channels", deploy=True)
