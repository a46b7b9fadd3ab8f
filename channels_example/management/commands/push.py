"""``manage.py push``: send a message to a room or a user from the command line.

The command runs in its own process, outside any worker: it only needs the
channel layer (``REDIS_URL``) that daphne and the workers use, and it refuses
to run, with exit status 1, when that layer reaches no server.
"""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from channels_example.push import UNREACHABLE_HINT, push_to_room, push_to_user
from channels_kit.client_errors import ClientError
from channels_kit.shared_layer import RequiresSharedLayer


class Command(RequiresSharedLayer, BaseCommand):
    help = "Push a text message to a chat room or to every socket of one user."
    unreachable_hint = UNREACHABLE_HINT

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--room", help="room name, as in ws://HOST/chat/<room>/")
        target.add_argument("--user", help="username; reaches all their /notifications/ sockets")
        parser.add_argument("text")

    def handle(self, room=None, user=None, text="", **options):
        try:
            if room is not None:
                push_to_room(room, text)
            else:
                push_to_user(user, text)
        except ClientError as error:
            raise CommandError(error.detail)
        except get_user_model().DoesNotExist:
            raise CommandError("no user named %r" % user)
        self.stdout.write("pushed to %s %s" % ("room" if room is not None else "user", room or user))
