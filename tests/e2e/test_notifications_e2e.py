"""/notifications/ through the real split: the per-user group."""
from tests.support.browser import Browser, signed_up
from tests.support.wire import recv_close, recv_json


def test_a_message_reaches_every_socket_of_its_user_only(split, ws):
    nora = signed_up(split, "nora_notify")
    laptop_tab_1 = ws("/notifications/", cookie=nora.cookie_header)
    laptop_tab_2 = ws("/notifications/", cookie=nora.cookie_header)
    phone = Browser(split.url)  # a second login: another session, same user
    phone.login("nora_notify", "a long pass phrase")
    phone_tab = ws("/notifications/", cookie=phone.cookie_header)
    otto = ws("/notifications/", cookie=signed_up(split, "otto_notify").cookie_header)

    laptop_tab_1.send('{"text": "ping"}')
    for sock in (laptop_tab_1, laptop_tab_2, phone_tab):
        got = recv_json(sock)
        assert (got["type"], got["user"], got["text"]) == ("user.message", "nora_notify", "ping")
        assert got["ts"].endswith("Z")

    # otto would have had nora's message before his own marker if it leaked.
    otto.send('{"text": "marker"}')
    got = recv_json(otto)
    assert (got["user"], got["text"]) == ("otto_notify", "marker")


def test_anonymous_is_refused_with_login_required(ws):
    sock = ws("/notifications/")
    error = recv_json(sock)
    assert error["error"] == "login-required"
    assert "log in" in error["detail"]
    assert recv_close(sock)[0] == 4201


def test_manage_push_to_a_user_reaches_all_their_sockets_only(split, ws):
    """`manage.py push --user`, run as its own process, lands in every tab of that user."""
    pia = signed_up(split, "pia_push")
    tabs = [ws("/notifications/", cookie=pia.cookie_header) for _ in range(2)]
    bystander = ws("/notifications/", cookie=signed_up(split, "ben_push").cookie_header)

    split.manage("push", "--user", "pia_push", "your export is ready")
    for tab in tabs:
        got = recv_json(tab)
        assert (got["type"], got["user"], got["text"]) == ("user.message", "server",
                                                           "your export is ready")

    bystander.send('{"text": "marker"}')
    assert recv_json(bystander)["text"] == "marker"
