"""The pages through Django's test client: which paths exist and which socket each opens.

The browser tests (test_browser_*_e2e.py) show the pages working; these pin the
URL rules without a browser, so they run everywhere.
"""
import django
import pytest


@pytest.mark.parametrize("path, socket_path", [
    ("/chat/", "/chat/"),
    ("/chat/lobby/", "/chat/lobby/"),
    ("/chat/A-z_09/", "/chat/A-z_09/"),
    ("/chat/%s/" % ("x" * 64), "/chat/%s/" % ("x" * 64)),
    ("/letters/", "/letters/"),
    ("/notifications/", "/notifications/"),
])
def test_feed_pages_open_the_socket_on_their_own_path(client, path, socket_path):
    response = client.get(path)
    assert response.status_code == 200
    assert ('data-path="%s"' % socket_path) in response.content.decode()


@pytest.mark.parametrize("path", [
    "/chat/%s/" % ("x" * 65),  # too long
    "/chat/dots.not.allowed/",
    "/chat/caf%C3%A9/",  # unicode
    "/chat/a/b/",  # two segments
])
def test_room_names_outside_the_consumers_rule_are_404(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/", "/echo/test/", "/jwt/", "/live/", "/progress/", "/console/"])
def test_other_pages_load_with_the_stylesheet(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "/static/channels_example/site.css" in response.content.decode()


def test_a_bad_room_url_gets_the_rule_and_the_room_form_not_a_debug_page(client):
    response = client.get("/chat/bad%20name!/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "1 to 64 letters, digits, _ or -" in page
    assert 'id="room-form"' in page
    assert "Using the URLconf" not in page


def test_other_unknown_paths_get_the_site_404_page_when_debug_is_off(client, settings):
    settings.DEBUG = False
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "/no/such/page/" in page and 'href="/"' in page


@pytest.mark.django_db
@pytest.mark.parametrize("is_staff, linked", [(True, True), (False, False)])
def test_index_links_to_the_inspector_for_staff_only(client, django_user_model, is_staff, linked):
    user = django_user_model.objects.create_user("reader", password="x", is_staff=is_staff)
    client.force_login(user)
    assert ('href="/inspector/"' in client.get("/").content.decode()) is linked


@pytest.mark.django_db
def test_the_inspector_page_is_for_staff_only_like_the_terminals(client, django_user_model):
    assert client.get("/inspector/")["Location"] == "/accounts/login/?next=/inspector/"
    client.force_login(django_user_model.objects.create_user("reader"))
    for path in ("/inspector/", "/terminal/"):
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert "Only active staff accounts may use it" in refused.content.decode()
    assert 'id="controls"' not in client.get("/inspector/").content.decode()
    client.force_login(django_user_model.objects.create_user("boss", is_staff=True))
    assert client.get("/inspector/").status_code == 200


def test_index_does_not_link_to_the_inspector_for_anonymous(client):
    assert 'href="/inspector/"' not in client.get("/").content.decode()


def test_every_page_says_which_django_it_runs_on(client):
    body = client.get("/").content.decode()
    assert '<span id="django-version">%s</span>' % django.get_version() in body


@pytest.mark.django_db
def test_logging_out_is_a_form_post_that_ends_the_session(client, django_user_model):
    user = django_user_model.objects.create_user("leaving", password="a long pass phrase")
    client.force_login(user)
    page = client.get("/").content.decode()
    assert 'method="post" action="/accounts/logout/"' in page
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_favicon_is_answered_with_the_sites_icon(client):
    from django.contrib.staticfiles import finders
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/channels_example/favicon.svg"
    assert finders.find("channels_example/favicon.svg")
    assert 'rel="icon" href="/static/channels_example/favicon.svg"' in client.get("/").content.decode()
