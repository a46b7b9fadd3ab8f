from django.contrib import admin

from channels_example.models import LiveValue


@admin.register(LiveValue)
class LiveValueAdmin(admin.ModelAdmin):
    """Saving here reaches every ws://HOST/live/ subscriber (see bindings.py)."""

    list_display = ["name", "value", "updated_at"]
    search_fields = ["name"]
