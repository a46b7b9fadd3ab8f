"""Account forms: a password reset that answers the same for any address.

Django's ``PasswordResetView`` already redirects to the same "done" page
whether or not an address has an account, but only if sending succeeds: a
mail server that refuses (or none at all, Django's SMTP default on a
laptop) turns a *registered* address into a 500, and the difference tells
an attacker who has an account. ``QuietPasswordResetForm`` logs the failure
(without the address) and answers as for any other address.
"""
import logging

from django.contrib.auth.forms import PasswordResetForm

logger = logging.getLogger("channels_example.accounts")


class QuietPasswordResetForm(PasswordResetForm):
    def send_mail(self, *args, **kwargs):
        try:
            super().send_mail(*args, **kwargs)
        except Exception as error:  # SMTPException, OSError, a backend's own
            logger.error("password reset mail not sent (%s: %s); check EMAIL_BACKEND",
                         type(error).__name__, error)
