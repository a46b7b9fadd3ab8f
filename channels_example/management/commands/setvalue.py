"""``manage.py setvalue <name> <value>``: change a live value from a shell or cron.

An ordinary ``save()``: the data binding's post_save handler, connected in
this process by apps.py, sends the change to every ws://HOST/live/ socket.
"""
from django.core.management.base import BaseCommand

from channels_example.models import LiveValue


class Command(BaseCommand):
    help = "Create or update a LiveValue; subscribers of /live/ see it at once."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("value")

    def handle(self, name, value, **options):
        live, created = LiveValue.objects.get_or_create(name=name, defaults={"value": value})
        if not created:
            live.value = value
            live.save()
        self.stdout.write("%s %s" % ("created" if created else "updated", live))
