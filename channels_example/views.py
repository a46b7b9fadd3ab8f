"""HTTP pages. The WebSocket side lives in consumers/ and routing.py."""
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.shortcuts import redirect, render


def index(request):
    return render(request, "index.html")


def signup(request):
    """Create an account with Django's UserCreationForm and log the new user in.

    Logging in sets the ``sessionid`` cookie, which is what the WebSocket
    handshake carries to ``channel_session_user_from_http``.
    """
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.save())
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "registration/signup.html", {"form": form})
