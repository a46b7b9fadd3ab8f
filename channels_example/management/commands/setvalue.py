"""``manage.py setvalue <name> <value>``: change a live value from a shell or cron.

An ordinary ``save()``: the data binding's post_save handler, connected in
this process by apps.py, sends the change to every ws://HOST/live/ socket.
So it refuses to run, with exit status 1, when the channel layer reaches no
server: the value would be saved and no page would hear of it.
"""
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from channels_example.models import LiveValue
from channels_example.push import UNREACHABLE_HINT
from channels_kit.shared_layer import RequiresSharedLayer


class Command(RequiresSharedLayer, BaseCommand):
    help = "Create or update a LiveValue; subscribers of /live/ see it at once."
    unreachable_hint = UNREACHABLE_HINT

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("value")

    def handle(self, name, value, **options):
        live = LiveValue.objects.filter(name=name).first() or LiveValue(name=name)
        created = live.pk is None
        live.value = value
        try:
            live.full_clean()
        except ValidationError as invalid:
            raise CommandError("; ".join(invalid.messages))
        live.save()
        self.stdout.write("%s %s" % ("created" if created else "updated", live))
