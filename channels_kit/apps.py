from django.apps import AppConfig


class ChannelsKitConfig(AppConfig):
    name = "channels_kit"
    verbose_name = "Channels 1.x kit"
