"""Minors' data (the ages of the young participants, the signed participant list).

* ``access.may_see_minors_data(user, dossier)`` is the one rule deciding who sees them on every
  screen, PDF, export and in the API (the porteur of the commune and the fund's services; the
  committee sees counts only); templates ask it with ``{% may_see_minors_data dossier as x %}``.
* ``protect(dossier, value)`` is what the audit trail records instead of the ages (the leaders'
  too): their count and an HMAC-SHA-256 under the dossier's own random key (``MinorsKey``) —
  enough to prove later that the ages shown were the ones entered, useless to anyone without the key.
* ``purge(dossier)`` (``services.py``) — after the retention period of the campaign
  (``rules.params["retention"]["minors_data_years"]`` after the dossier ended) — clears the young
  people's ages of the dossier and of its final report, deletes the signed participant list and
  the key, and appends an audit event: the chain is untouched and still verifies.
"""
