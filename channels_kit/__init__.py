"""channels_kit: what a Channels 1.x deployment needs on today's Python.

A Django app with no models. Put ``"channels_kit"`` before ``"channels"`` in
INSTALLED_APPS (so ``manage.py runworker`` is the kit's), and use its pieces by
name: ``channels_kit.layer.RedisChannelLayer`` as the layer backend,
``channels_kit.channel_sessions`` as CHANNEL_SESSION_ENGINE, and the wrappers
in ``channels_kit.flow_control`` and ``channels_kit.health`` in your asgi.py.
Both take ``sentinel://host:port,.../service`` hosts for Redis Sentinel
(``channels_kit.sentinel``).
"""
default_app_config = "channels_kit.apps.ChannelsKitConfig"
