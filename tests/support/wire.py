"""Small helpers for reading what a real WebSocket client sees."""
import json

import websocket


def recv_json(sock):
    return json.loads(sock.recv())


def say(sock, text):
    """Send a room message, ``{"text": text}``."""
    sock.send(json.dumps({"text": text}))


def recv_close(sock):
    """Read until the server's close frame; return its (code, reason).

    A server whose close went unanswered for its timeout (a busy client)
    hangs up; the close sent back then meets a reset, which must not hide
    the code the server sent.
    """
    while True:
        frame = sock.recv_frame()
        if frame.opcode == websocket.ABNF.OPCODE_CLOSE:
            data = frame.data
            try:
                sock.send_close()
            except (websocket.WebSocketException, OSError):
                pass  # it hung up already
            code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
            return code, data[2:].decode("utf-8", "replace")


def room_texts(sock, count):
    """The texts of the next ``count`` room messages, skipping other frames (history, presence)."""
    texts = []
    while len(texts) < count:
        frame = recv_json(sock)
        if "text" in frame and "room" in frame:
            texts.append(frame["text"])
    return texts
