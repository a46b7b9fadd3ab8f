"""What redis-py raises when Redis cannot be reached or is restarting.

Its own module, importing redis-py alone, so that ``runworker`` and the
health view can catch it under any Redis layer (stock asgi_redis included)
without pulling in the tuned layer's txredisapi and Twisted.
BusyLoadingError ("Redis is loading the dataset in memory") is a
ConnectionError subclass, so it is covered too.
"""
import redis

REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
