"""What the inspector may show of a message, and how the relay counts what it lost."""
from channels_kit.inspector.redaction import REDACTED, redacted
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
