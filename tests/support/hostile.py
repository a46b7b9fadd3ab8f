"""What a hostile client sends that websocket-client will not: raw frames and raw handshakes."""
import base64
import os
import socket
import struct

import websocket


def raw_frame(opcode, payload, fin=True, mask=True):
    """One WebSocket frame, built by hand so any opcode and any bytes can be sent."""
    head = bytes([(0x80 if fin else 0) | opcode])
    length = len(payload)
    mask_bit = 0x80 if mask else 0
    if length < 126:
        head += bytes([mask_bit | length])
    elif length < 1 << 16:
        head += bytes([mask_bit | 126]) + struct.pack("!H", length)
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", length)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def send_raw(sock, data):
    """Write bytes straight to a websocket-client socket's TCP connection."""
    sock.sock.sendall(data)


def close_code(sock):
    """Read raw frames until the server's close; its code (None if it just hung up)."""
    try:
        while True:
            frame = sock.recv_frame()
            if frame.opcode == websocket.ABNF.OPCODE_CLOSE:
                return int.from_bytes(frame.data[:2], "big") if len(frame.data) >= 2 else None
    except (websocket.WebSocketConnectionClosedException, ConnectionResetError):
        return None


def handshake(port, path="/echo/", headers=(), origin=None, timeout=10):
    """Send a hand-written upgrade request; return the response head (status line + headers)."""
    lines = [
        "GET %s HTTP/1.1" % path,
        "Host: 127.0.0.1:%d" % port,
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: %s" % base64.b64encode(os.urandom(16)).decode(),
        "Sec-WebSocket-Version: 13",
    ]
    if origin:
        lines.append("Origin: %s" % origin)
    lines.extend(headers)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        answer = b""
        try:
            while b"\r\n\r\n" not in answer:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except ConnectionResetError:
            pass
    return answer.split(b"\r\n\r\n", 1)[0].decode("latin-1")
