"""Signals of the dossier's conversation, sent inside the transaction of the change (after its
audit event), for the notifications to connect to:

* ``message_posted`` — ``sender=dossiers.Message``, kwargs ``message`` (the ``Message``, its
  ``kind``: message, correction_request or correction_answer), ``dossier``, ``by`` (the author),
  ``side`` (« commune » or « fonds »: who wrote it). Sent for every message of the thread,
  correction requests and answers included.
* ``correction_answered`` — ``sender=dossiers.CorrectionRequest``, kwargs ``dossier``,
  ``correction`` (the ``CorrectionRequest`` answered), ``reply`` (the answer's ``Message``, or
  None when the porteur resent without a word), ``by`` (the porteur).
"""

from django.dispatch import Signal

message_posted = Signal()
correction_answered = Signal()
