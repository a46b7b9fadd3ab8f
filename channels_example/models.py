from django.core.exceptions import ValidationError
from django.db import models


def not_blank(name):
    """A name of only spaces would show as an empty row and an invisible admin link."""
    if not name.strip():
        raise ValidationError("a name cannot be only spaces: it would show as blank", code="blank")


class LiveValue(models.Model):
    """A named value that subscribers of ws://HOST/live/ see change as it is saved.

    Every way in validates (the admin's form, the socket's binding,
    ``manage.py setvalue``): ``full_clean()`` before ``save()``.
    """

    name = models.CharField(max_length=64, unique=True, validators=[not_blank])
    value = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return "%s = %s" % (self.name, self.value)
