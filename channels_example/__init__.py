default_app_config = "channels_example.apps.ChannelsExampleConfig"
