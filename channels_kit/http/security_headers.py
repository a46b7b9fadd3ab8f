"""Response headers Django 2.2's SecurityMiddleware cannot send: a CSP and Referrer-Policy.

Django sets ``Referrer-Policy`` only from 3.0 (``SECURE_REFERRER_POLICY``) and
has no Content-Security-Policy setting before 6.0, so a 1.x deployment on
Django 2.2 sends neither. ``SecurityHeadersMiddleware`` adds each header of
``SECURITY_HEADERS`` (a dict of name to value) to every response that does
not already carry it, so a view (or a newer Django) can still set its own.
"""
from django.conf import settings


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.headers = dict(getattr(settings, "SECURITY_HEADERS", {}))

    def __call__(self, request):
        response = self.get_response(request)
        for name, value in self.headers.items():
            if name not in response:
                response[name] = value
        return response
