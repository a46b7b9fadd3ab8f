"""Account forms: sign-up without look-alike names, and a password reset that answers the same for any address.

Django's usernames are unique byte for byte: ``alice``, ``ALICE`` and
``аlice`` (a Cyrillic а) are three accounts, and on a page, in a chat line
or in the terminal's audit log two of them look like the third.
``SignupForm`` refuses a name whose *skeleton* (case folded, compatibility
forms unified, accents dropped, the Cyrillic and Greek letters that look
like Latin ones mapped to them) matches an existing user's, and a name whose
letters mix scripts (Latin with Cyrillic, ...), which no honest name needs.
Existing names are compared one by one: fine for this site's numbers; a
large site would store the skeleton in an indexed column.

Django's ``PasswordResetView`` already redirects to the same "done" page
whether or not an address has an account, but only if sending succeeds: a
mail server that refuses (or none at all, Django's SMTP default on a
laptop) turns a *registered* address into a 500, and the difference tells
an attacker who has an account. ``QuietPasswordResetForm`` logs the failure
(without the address) and answers as for any other address. Django 5.2's
form does the same itself (it logs the user's id), so there the wrapper has
nothing left to catch.
"""
import logging
import unicodedata

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm

logger = logging.getLogger("channels_example.accounts")


class QuietPasswordResetForm(PasswordResetForm):
    def send_mail(self, *args, **kwargs):
        try:
            super().send_mail(*args, **kwargs)
        except Exception as error:  # SMTPException, OSError, a backend's own
            logger.error("password reset mail not sent (%s: %s); check EMAIL_BACKEND",
                         type(error).__name__, error)


# Letters of other scripts that are drawn like a Latin letter, mapped to it.
LOOK_ALIKES = str.maketrans({
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j",
    "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y",
    "х": "x", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c",
    # Latin look-alikes and digits drawn like letters are left alone: "0" and "o" differ.
    "ı": "i", "ɡ": "g", "ℓ": "l",
})
# Scripts written together in one name (Japanese mixes these three).
SCRIPT_FAMILIES = {"HIRAGANA": "CJK", "KATAKANA": "CJK"}


def skeleton(username):
    """What a name looks like: two names with one skeleton are confusable."""
    folded = unicodedata.normalize("NFKC", username).casefold().translate(LOOK_ALIKES)
    stripped = "".join(c for c in unicodedata.normalize("NFKD", folded)
                       if not unicodedata.combining(c))
    return stripped.translate(LOOK_ALIKES)


def scripts(username):
    """The scripts of the name's letters (LATIN, CYRILLIC, GREEK, CJK, ...)."""
    found = set()
    for char in username:
        if char.isalpha():
            script = unicodedata.name(char, "UNKNOWN").split()[0]
            found.add(SCRIPT_FAMILIES.get(script, script))
    return found


class SignupForm(UserCreationForm):
    """Django's sign-up form, refusing names that look like an existing one."""

    def clean_username(self):
        username = self.cleaned_data["username"]
        if len(scripts(username)) > 1:
            raise forms.ValidationError(
                "A username may not mix letters of different scripts (such as Latin and "
                "Cyrillic): names that do are made to look like someone else's.")
        wanted = skeleton(username)
        taken = get_user_model()._default_manager.values_list("username", flat=True)
        if any(skeleton(existing) == wanted for existing in taken.iterator()):
            raise forms.ValidationError(
                "That name is taken, or looks too much like one that is (case, accents and "
                "look-alike letters count as the same).")
        return username
