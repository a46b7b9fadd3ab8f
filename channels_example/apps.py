from django.apps import AppConfig


class ChannelsExampleConfig(AppConfig):
    name = "channels_example"

    def ready(self):
        from channels_example import errors
        errors.register()
        # Data bindings work through post_save signals, so they must be
        # connected in EVERY process that saves models (daphne, workers,
        # manage.py setvalue, the shell), not only where routing.py is loaded.
        from channels_example import bindings  # noqa: F401
