from django.db import models


class LiveValue(models.Model):
    """A named value that subscribers of ws://HOST/live/ see change as it is saved."""

    name = models.CharField(max_length=64, unique=True)
    value = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return "%s = %s" % (self.name, self.value)
