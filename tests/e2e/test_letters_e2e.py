"""/letters/ through the real split: the same-first-letter chat."""
from tests.support.browser import signed_up
from tests.support.wire import recv_close, recv_json


def test_same_letter_users_see_each_other_and_others_do_not(split, ws):
    alice = ws("/letters/", cookie=signed_up(split, "alice_letters").cookie_header)
    andrew = ws("/letters/", cookie=signed_up(split, "Andrew_letters").cookie_header)
    bert = ws("/letters/", cookie=signed_up(split, "bert_letters").cookie_header)

    alice.send('{"text": "for the a people"}')
    for sock in (alice, andrew):
        got = recv_json(sock)
        assert (got["letter"], got["user"], got["text"]) == (
            "a", "alice_letters", "for the a people")
        assert got["ts"].endswith("Z")

    # bert would have had alice's message before this marker if it leaked.
    bert.send('{"text": "marker"}')
    got = recv_json(bert)
    assert (got["letter"], got["user"], got["text"]) == ("b", "bert_letters", "marker")


def test_anonymous_is_refused_with_login_required(ws):
    sock = ws("/letters/")
    assert recv_json(sock)["error"] == "login-required"
    assert recv_close(sock)[0] == 4201
