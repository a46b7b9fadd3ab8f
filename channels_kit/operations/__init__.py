"""Running a split: the Procfile supervisor, N daphnes on one port, the embedded Redis and a local Redis Cluster made of it, the settings a split was started with, and the checkout's SECRET_KEY."""
