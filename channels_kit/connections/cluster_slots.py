"""Which of a Redis Cluster's hash slots a key lives in.

A cluster client must send each command to the master that serves the key's
slot, and the tooling that moves slots must find a slot's keys: both compute
the slot exactly as the server does, so both use this one function. The
server's CRC16 is the XMODEM variant (polynomial 0x1021, initial value 0),
which is what the standard library's ``binascii.crc_hqx`` computes, in C.
"""
import binascii

SLOTS = 16384


def hashed_part(key):
    """The bytes the slot is computed from: the hash tag, if the key has one.

    A hash tag is what lies between the first ``{`` and the first ``}`` after
    it, when something does; it lets related keys share a slot, so one
    script or multi-key command may touch them all.
    """
    opening = key.find(b"{")
    if opening != -1:
        closing = key.find(b"}", opening + 1)
        if closing > opening + 1:
            return key[opening + 1:closing]
    return key


def slot_of(key):
    """The hash slot of ``key`` (str, encoded as UTF-8 like redis-py does, or bytes)."""
    if isinstance(key, str):
        key = key.encode("utf-8")
    return binascii.crc_hqx(hashed_part(key), 0) % SLOTS
