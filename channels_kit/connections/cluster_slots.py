"""Which of Redis Cluster's 16384 slots a key belongs to: CRC16 (XMODEM) of its hash tag or whole name.

A key's hash tag is what lies between its first ``{`` and the first ``}``
after it, when that is not empty: keys that share a tag share a slot, so
one command or script may touch them all.
"""
SLOTS = 16384


def _table():
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
        table.append(crc & 0xFFFF)
    return table


_CRC16 = _table()


def crc16(data):
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC16[((crc >> 8) ^ byte) & 0xFF]
    return crc


def hash_tag(key):
    """The part of ``key`` (bytes) that decides its slot."""
    start = key.find(b"{")
    if start >= 0:
        end = key.find(b"}", start + 1)
        if end > start + 1:
            return key[start + 1:end]
    return key


def slot_of(key):
    """The slot of ``key`` (str or bytes)."""
    if isinstance(key, str):
        key = key.encode("utf8")
    return crc16(hash_tag(key)) % SLOTS
