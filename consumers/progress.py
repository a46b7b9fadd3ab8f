"""Several messages from one handler: ``/progress/`` streams a job's progress.

Teaches: buffered sends against ``immediately=True``.

It is often said that a 1.x handler can send only one message. It can send
any number; what it cannot do is send them *while it runs*, unless asked:

- Inside a consumer, ``Channel.send`` and ``Group.send`` are buffered and
  flushed, in order, when the consumer returns (Channels' pending message
  store, filled between the worker's consumer_started and consumer_finished
  signals). Ten sends arrive as ten frames, all at the end.
- ``send(..., immediately=True)`` puts the message on the layer at once, so
  the client sees it while the handler is still working.
- Outside a consumer (a management command, the shell) every send is
  immediate.

In: ``{"steps": n}`` with n from 1 to 50. Out: ``{"step": i, "of": n}`` for
i = 1..n, each sent as soon as that step is done, then ``{"done": true}``.
With ``"buffered": true`` the same sends go without ``immediately=True``:
the client gets exactly the same frames in the same order, all at once when
the handler returns. ``enforce_ordering`` keeps two requests on one socket
from interleaving.
"""
import json
import time

from channels.routing import route
from channels.sessions import enforce_ordering

from channels_kit.client_errors import ClientError, reports_client_errors
from channels_kit.frames import json_of
from channels_kit.origin import same_origin_only

MAX_STEPS = 50
# Stands in for one chunk of real work; the whole job holds a worker for at
# most MAX_STEPS * STEP_SECONDS, which is why the limit exists.
STEP_SECONDS = 0.02


def job_of(message):
    """``(steps, buffered)`` from a ``{"steps": n, "buffered": bool}`` frame."""
    job = json_of(message)
    steps, buffered = job.get("steps"), job.get("buffered", False)
    if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= MAX_STEPS:
        raise ClientError("invalid-steps", 'send {"steps": <integer 1-%d>}' % MAX_STEPS)
    if not isinstance(buffered, bool):
        raise ClientError("invalid-steps", '"buffered" must be true or false')
    return steps, buffered


@same_origin_only
@enforce_ordering
@reports_client_errors
def connect(message):
    message.reply_channel.send({"accept": True})


@enforce_ordering
@reports_client_errors
def receive(message):
    steps, buffered = job_of(message)
    for step in range(1, steps + 1):
        time.sleep(STEP_SECONDS)
        message.reply_channel.send({"text": json.dumps({"step": step, "of": steps})},
                                   immediately=not buffered)
    message.reply_channel.send({"text": json.dumps({"done": True})}, immediately=not buffered)


routes = [
    route("websocket.connect", connect),
    route("websocket.receive", receive),
]
