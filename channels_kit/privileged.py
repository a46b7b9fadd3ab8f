"""Privileged sockets end when their user's privilege does: logout, losing staff, deactivation, a new password.

A WebSocket authenticates once, at its handshake; the channel session then
keeps a copy of the login. Logging out flushes the HTTP session, not that
copy, and a worker that checks ``is_staff`` on each frame does nothing for a
socket that receives no frames (the inspector only sends). So an inspector
kept streaming after its user logged out and lost staff, and a terminal
kept running commands after logout.

A consumer that grants power calls ``hold(message, user)`` on connect: the
socket joins ``Group("privileged-user-<id>")``. Whenever that user

- logs out (``user_logged_out``),
- is saved with ``is_staff`` or ``is_active`` turned off, or a new password
  (``pre_save`` / ``post_save``; ``update_fields`` that touch none of them,
  such as a login's ``last_login``, cost no query),
- or is deleted,

the process that made the change sends the group one message: the error
frame ``access-revoked`` and close 4205. Daphne closes every such socket at
once, in every browser; the client is told why and must log in again.
``release(message, user_id)`` leaves the group on disconnect when the
consumer still knows the user (members left behind only receive a close for
a socket that is already gone).

Changes made without signals (``QuerySet.update``, raw SQL) are not seen;
the consumers' per-frame ``staff_required`` still refuses their next frame.
"""
import logging

from channels import Group
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, post_save, pre_save

from channels_kit.client_errors import ClientError
from channels_kit.connections.redis_errors import REDIS_DOWN

logger = logging.getLogger(__name__)

# The fields whose change ends a user's privileged sockets.
WATCHED = ("password", "is_staff", "is_active")


def group_of(user_id):
    return Group("privileged-user-%s" % user_id)


def hold(message, user):
    """Let the socket of ``message`` be ended when ``user`` loses their privilege."""
    group_of(user.pk).add(message.reply_channel)


def release(message, user_id):
    group_of(user_id).discard(message.reply_channel)


def end_sockets(user_id, why):
    """Close every privileged socket of ``user_id`` with ``access-revoked`` (4205)."""
    error = ClientError("access-revoked", "%s: log in again" % why)
    logger.info("ending privileged sockets of user %s: %s", user_id, why)
    try:
        group_of(user_id).send(error.reply(), immediately=True)
    except REDIS_DOWN as problem:
        # The change itself (a logout, a save) must not fail; the sockets'
        # next frames are still checked.
        logger.warning("could not end the privileged sockets of user %s, Redis is "
                       "unavailable (%s)", user_id, problem)


def _logged_out(sender, request, user, **kwargs):
    if user is not None and user.pk is not None:
        end_sockets(user.pk, "you logged out")


def _before_save(sender, instance, update_fields=None, **kwargs):
    if instance.pk is None or (update_fields is not None
                               and not set(update_fields) & set(WATCHED)):
        return
    instance._privileges_before = (
        sender._default_manager.filter(pk=instance.pk).values_list(*WATCHED).first())


def _after_save(sender, instance, created, **kwargs):
    before = getattr(instance, "_privileges_before", None)
    instance._privileges_before = None
    if created or before is None:
        return
    password, was_staff, was_active = before
    if was_active and not instance.is_active:
        end_sockets(instance.pk, "your account was deactivated")
    elif was_staff and not instance.is_staff:
        end_sockets(instance.pk, "your account is no longer staff")
    elif password != instance.password:
        end_sockets(instance.pk, "your password changed")


def _deleted(sender, instance, **kwargs):
    end_sockets(instance.pk, "your account was deleted")


def connect():
    """Connect the receivers (the kit's AppConfig.ready does, unless
    ``CHANNELS_KIT_END_PRIVILEGED_SOCKETS`` is False)."""
    if not getattr(settings, "CHANNELS_KIT_END_PRIVILEGED_SOCKETS", True):
        return
    user_model = get_user_model()
    user_logged_out.connect(_logged_out, dispatch_uid="channels_kit.privileged.logout")
    pre_save.connect(_before_save, sender=user_model, dispatch_uid="channels_kit.privileged.pre")
    post_save.connect(_after_save, sender=user_model, dispatch_uid="channels_kit.privileged.post")
    post_delete.connect(_deleted, sender=user_model, dispatch_uid="channels_kit.privileged.del")
