"""What the inspector may show of a message, and how the relay counts what it lost."""
import json

from channels_kit.inspector.redaction import REDACTED, redacted, redacted_event
from channels_kit.inspector.relay import Relay

JWT = ("eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9."
       "eyJ1c2VybmFtZSI6ImFkYSIsImV4cCI6MTcwMDAwMDAwMH0."
       "c2lnbmF0dXJlLWJ5dGVzLWhlcmU")


def connect_message(**changes):
    message = {
        "reply_channel": "daphne.response.AbCdEfGhIj!kLmNoP",
        "path": "/chat/lobby/",
        "query_string": b"token=" + JWT.encode() + b"&lang=en",
        "headers": [[b"host", b"127.0.0.1"], [b"cookie", b"sessionid=s3cr3t; csrftoken=c"],
                    [b"authorization", b"JWT " + JWT.encode()], [b"origin", b"http://127.0.0.1"]],
        "order": 0,
    }
    message.update(changes)
    return message


def test_connect_keeps_what_a_learner_needs_and_loses_the_secrets():
    shown = redacted(connect_message())
    assert shown["reply_channel"] == "daphne.response.AbCdEfGhIj!kLmNoP"
    assert shown["path"] == "/chat/lobby/"
    assert shown["query_string"] == "token=%s&lang=en" % REDACTED
    assert dict(shown["headers"]) == {"host": "127.0.0.1", "cookie": REDACTED,
                                      "authorization": REDACTED, "origin": "http://127.0.0.1"}
    assert "s3cr3t" not in str(shown) and JWT not in str(shown)


def test_jwt_shaped_text_is_redacted_anywhere():
    shown = redacted({"text": '{"text": "mine: %s, ok?"}' % JWT, "path": "/x/%s/" % JWT})
    assert shown["text"] == '{"text": "mine: %s, ok?"}' % REDACTED
    assert shown["path"] == "/x/%s/" % REDACTED
    # Dotted names that are not tokens stay readable.
    plain = "consumers.rooms.connect daphne.response.AbCdEfGhIj!kLmN www.example.com"
    assert redacted({"text": plain})["text"] == plain


def test_secret_names_lose_their_values_at_any_depth():
    shown = redacted({"payload": {"session_key": "abc", "password": "p", "data": {"token": "t"},
                                  "name": "n"}})
    assert shown == {"payload": {"session_key": REDACTED, "password": REDACTED,
                                 "data": {"token": REDACTED}, "name": "n"}}


def test_bodies_show_only_their_length_and_long_text_is_cut():
    shown = redacted({"body": b"username=ada&password=hunter2", "text": "x" * 5000})
    assert shown["body"] == "<29 bytes>"
    assert len(shown["text"]) < 500 and shown["text"].endswith("(5000 characters)")


def test_set_cookie_in_a_response_is_redacted():
    shown = redacted({"status": 302, "headers": [[b"Set-Cookie", b"sessionid=abc; HttpOnly"]]})
    assert shown["headers"] == [["Set-Cookie", REDACTED]]


def event(src, seq):
    return {"op": "send", "src": src, "seq": seq}


def test_relay_counts_gaps_per_thread_and_strips_the_numbering():
    relay = Relay.__new__(Relay)
    relay.numbers = {}
    assert relay.count_gaps([event("1.1", 5), event("2.1", 1), event("1.1", 6)]) == 0
    # Thread 1.1 lost 7-9 (queue full or trimmed from the stream); 2.1 lost nothing.
    batch = [event("1.1", 10), event("2.1", 2)]
    assert relay.count_gaps(batch) == 3
    assert batch == [{"op": "send"}, {"op": "send"}]


def test_headers_outside_the_allowlist_lose_their_values():
    shown = redacted({"headers": [[b"X-Api-Key", b"k"], [b"x-auth", b"a"], [b"X-Custom", b"c"],
                                  [b"User-Agent", b"curl"], [b"host", b"h"]]})
    assert shown["headers"] == [["X-Api-Key", REDACTED], ["x-auth", REDACTED],
                                ["X-Custom", REDACTED], ["User-Agent", "curl"], ["host", "h"]]


def test_secret_fields_inside_json_frames_are_redacted():
    frame = '{"password": "p", "user": {"api_key": "k", "name": "ada"}, "list": [{"token": 1}]}'
    assert json.loads(redacted({"text": frame})["text"]) == {
        "password": REDACTED, "user": {"api_key": REDACTED, "name": "ada"}, "list": [{"token": REDACTED}]}
    # Not JSON, or too long to parse: the pairs are still found.
    assert redacted({"text": 'x "secret": "s\\"t" y'})["text"] == 'x "secret": "%s" y' % REDACTED
    assert "hunter2" not in redacted({"text": '{"password": "hunter2", ' + " " * 70000})["text"]


def test_session_shaped_strings_are_redacted():
    django_key, terminal_id = "3k9x0c1vq8z2m4n5b6v7c8x9z0l1k2j3", "0123456789abcdef"
    shown = redacted({"text": "mine: %s and %s; internationalization" % (django_key, terminal_id)})
    assert shown["text"] == "mine: %s and %s; internationalization" % (REDACTED, REDACTED)


def test_private_paths_and_service_inputs_are_never_shown(settings):
    settings.INSPECTOR_PRIVATE_PATHS = ["/terminal/"]
    frame = redacted_event({"channel": "websocket.receive",
                            "content": {"path": "/terminal/lab/", "text": '{"input": "pw\\r"}'}})
    assert frame["content"]["text"] == REDACTED and frame["content"]["path"] == "/terminal/lab/"
    other = redacted_event({"channel": "websocket.receive",
                            "content": {"path": "/echo/", "text": "hello"}})
    assert other["content"]["text"] == "hello"
    service = redacted_event({"channel": "terminal.input.AbCdEfGhIjKl!0123abcd",
                              "content": {"input": "pw\r", "user_id": 1}})
    assert service == {"channel": "terminal.input.AbCdEfGhIjKl!" + REDACTED, "content": REDACTED}
