"""Pages for active staff only: what a visitor who is not gets instead of the page.

Anonymous visitors go to the login page. A signed-in user who is not active
staff gets a 403 page saying why the page is closed to them and how to sign
in as someone who may use it: the page, not only its socket, refuses, so
nobody sees a working interface that then fails.
"""
import functools

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render

from channels_kit.decorators import is_active_staff


def staff_page(why):
    """Decorate a view for active staff only; ``why`` is the sentence the 403 page gives."""
    def decorate(view):
        @functools.wraps(view)
        def inner(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not is_active_staff(request.user):
                return render(request, "pages/staff_only.html", {"why": why}, status=403)
            return view(request, *args, **kwargs)
        return inner
    return decorate
