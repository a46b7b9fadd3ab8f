from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from channels_example import api, traces, views
from channels_example.accounts import QuietPasswordResetForm
from channels_example.chat import ROOM_PATTERN
from channels_example.terminal import views as terminal
from channels_kit.daphne import health
from channels_kit.jwt import views as token_views
from channels_kit.metrics import view as metrics

urlpatterns = [
    path("", views.index, name="index"),
    path("health/", health.health, name="health"),
    path("metrics", metrics.metrics, name="metrics"),
    # Browsers ask for /favicon.ico on every page, the admin's too: answer it, not a 404.
    path("favicon.ico", RedirectView.as_view(url=static("channels_example/favicon.svg"),
                                             permanent=True)),
    path("accounts/signup/", views.signup, name="signup"),
    path("echo/test/", views.echo_test, name="echo-test"),
    path("chat/", views.global_chat, name="global-chat"),
    # The same name rule as consumers/rooms.py; any other name gets a 404
    # page that says what a room name may be and offers the room form again.
    re_path(r"^chat/(?P<room>%s)/$" % ROOM_PATTERN, views.room, name="room"),
    re_path(r"^chat/(?P<room>[^/]+)/$", views.bad_room, name="bad-room"),
    path("letters/", views.letters, name="letters"),
    path("notifications/", views.notifications, name="notifications"),
    path("jwt/", views.jwt, name="jwt"),
    path("live/", views.live, name="live"),
    path("progress/", views.progress, name="progress"),
    path("console/", views.console, name="console"),
    path("inspector/", views.inspector, name="inspector"),
    path("inspector/traces/", traces.trace_list, name="inspector-traces"),
    re_path(r"^inspector/traces/(?P<name>[A-Za-z0-9][A-Za-z0-9._-]{0,63})/$", traces.trace_replay,
            name="inspector-trace"),
    path("terminal/", terminal.hosts, name="terminal-hosts"),
    path("terminal/recordings/", terminal.recordings, name="terminal-recordings"),
    re_path(r"^terminal/recordings/(?P<name>[^/]+)/$", terminal.replay, name="terminal-replay"),
    re_path(r"^terminal/recordings/(?P<name>[^/]+)\.cast$", terminal.cast, name="terminal-cast"),
    re_path(r"^terminal/(?P<alias>[A-Za-z0-9_-]{1,64})/$", terminal.terminal, name="terminal"),
    # The same answer for every address, even when mail cannot be sent.
    path("accounts/password_reset/",
         auth_views.PasswordResetView.as_view(form_class=QuietPasswordResetForm),
         name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api-token-auth/", token_views.obtain_token, name="api-token-auth"),
    path("api-token-refresh/", token_views.refresh_token, name="api-token-refresh"),
    path("api/push/", api.push, name="api-push"),
]
