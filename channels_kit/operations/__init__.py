"""Running a split: the Procfile supervisor, N daphnes on one port, the embedded Redis, the settings a split was started with, and the checkout's SECRET_KEY."""
