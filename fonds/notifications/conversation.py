"""The conversation's notices: a new message tells the other side (issue 16).

The dossier's conversation (``fonds.conversation``) sends ``message_posted``
(kwargs ``message``, ``dossier``, ``by``, ``side`` — « commune » or « fonds ») inside the message's
transaction. A message of the fund tells the commune's porteurs (``message_received_commune``); a
message of the commune tells the dossier's instructor and the people of its queue
(``message_received_staff``). Correction requests and answers are told by the transitions they
come with (``events.py``). The notice never quotes the message (free text may name a minor): it
says who wrote and links the thread (``conversation:thread``).
"""

from __future__ import annotations

from django.urls import reverse

from fonds.accounts.models import User
from fonds.ui import worklist

from .service import dossier_line, notify

COMMUNE_SIDE = "commune"
PLAIN_MESSAGE = "message"


def fund_readers(dossier, author) -> list:
    """The dossier's instructor and the people of its queue (never the author)."""
    people = {user.pk: user for user in worklist.queue_people(dossier)[1]}
    if dossier.instructor_id and dossier.instructor_id not in people:
        instructor = User.objects.filter(pk=dossier.instructor_id, is_active=True).first()
        if instructor is not None:
            people[instructor.pk] = instructor
    return [user for pk, user in sorted(people.items()) if author is None or pk != author.pk]


def on_message_posted(sender, *, message, dossier, by=None, side="", **kwargs):
    """Receiver of ``fonds.conversation.signals.message_posted``."""
    if getattr(message, "kind", PLAIN_MESSAGE) != PLAIN_MESSAGE:
        return
    key = f"message-{message.pk}"
    if side == COMMUNE_SIDE:
        body = f"{dossier_line(dossier)}\nLa commune vous a écrit : son message est dans la conversation."
        notify(
            "message_received_staff",
            dossier=dossier,
            users=fund_readers(dossier, by),
            context={"body": body, "link": reverse("conversation:thread", args=[dossier.pk])},
            key=key,
        )
    else:
        body = f"{dossier_line(dossier)}\nLe fonds vous a écrit : son message est dans la conversation."
        link = reverse("conversation:thread", args=[dossier.pk])
        notify("message_received_commune", dossier=dossier, context={"body": body, "link": link}, key=key)
