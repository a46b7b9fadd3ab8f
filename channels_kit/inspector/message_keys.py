"""The 1.x message keys, as daphne 1.4.2 writes and reads them: the card beside the inspector.

Every row the inspector or a replayed trace shows is one of these messages;
a student reading ``content`` needs to know which key is which without
leaving the page. The card is checked against the pinned daphne's own
source (tests/unit/test_message_keys_unit.py), so it cannot drift from what
actually crosses the layer. Channels 1.1.8 adds no key: its ``Message`` is
the dict daphne sent, and a consumer's reply is the dict it sends.
"""

CARD = [
    {"channel": "websocket.connect", "by": "daphne, when a browser opens a socket", "keys": [
        ("reply_channel", "where answers go: daphne.response.<process>!<socket>"),
        ("path", "the URL path, unquoted"),
        ("headers", "the handshake's headers, [name, value] byte pairs, names lower case"),
        ("query_string", "the raw query string, bytes"),
        ("client", "[address, port] of the browser (or of the proxy)"),
        ("server", "[address, port] daphne listens on"),
        ("order", "0: the first message of this socket"),
    ]},
    {"channel": "websocket.receive", "by": "daphne, for each frame", "keys": [
        ("reply_channel", "the socket that sent it"),
        ("path", "the socket's path"),
        ("order", "1, 2, ...: this socket's frame number (enforce_ordering reads it)"),
        ("text", "a text frame, str"),
        ("bytes", "a binary frame, bytes (instead of text)"),
    ]},
    {"channel": "websocket.disconnect", "by": "daphne, once the socket closed", "keys": [
        ("reply_channel", "the socket that closed"),
        ("code", "the close code (1000 normal, 1006 dropped, 4000-4999 the site's)"),
        ("path", "the socket's path"),
        ("order", "one past the last frame: disconnect comes last"),
    ]},
    {"channel": "reply to a socket", "by": "a consumer, on message.reply_channel", "keys": [
        ("accept", "true opens a socket held in its handshake; false refuses it (HTTP 403)"),
        ("text", "a text frame to send"),
        ("bytes", "a binary frame to send"),
        ("close", "true, or a close code: closes the socket (refuses it, if not yet open)"),
    ]},
    {"channel": "http.request", "by": "daphne, for each HTTP request", "keys": [
        ("reply_channel", "where the response goes: http.response.<process>!<request>"),
        ("http_version", "\"1.1\" or \"1.0\""),
        ("method", "GET, POST, ..."),
        ("path", "the URL path, unquoted"),
        ("root_path", "the prefix daphne serves under (--root-path)"),
        ("scheme", "http or https"),
        ("query_string", "the raw query string, bytes"),
        ("headers", "[name, value] byte pairs, names lower case"),
        ("body", "the request body, bytes"),
        ("client", "[address, port] of the browser (or of the proxy)"),
        ("server", "[address, port] daphne listens on"),
    ]},
    {"channel": "reply to a request", "by": "a consumer (Django's view, through channels)", "keys": [
        ("status", "the HTTP status: required in the first reply"),
        ("headers", "[name, value] byte pairs"),
        ("content", "the body, or its first part, bytes"),
        ("more_content", "true: more replies with content follow"),
    ]},
]
