from django.apps import AppConfig


class ChannelsKitConfig(AppConfig):
    name = "channels_kit"
    verbose_name = "Channels 1.x kit"

    def ready(self):
        # In every process, so each runworker labels and times its consumers
        # for the inspector (a no-op with a layer that has no inspector).
        from channels_kit.inspector import worker_hooks
        worker_hooks.connect()
