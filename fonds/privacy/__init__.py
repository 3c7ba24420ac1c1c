"""Minors' data (the ages of the young participants, the signed participant list).

* ``protect(dossier, value)`` is what the audit trail records instead of the ages: their count
  and an HMAC-SHA-256 under the dossier's own random key (``MinorsKey``) — enough to prove later
  that the ages shown were the ones entered, useless to anyone without the key.
* ``purge(dossier)`` (``services.py``) — after the retention period of the campaign
  (``rules.params["retention"]["minors_data_years"]`` after the dossier ended) — clears the ages
  of the dossier and of its final report, deletes the signed participant list and the key, and
  appends an audit event: the chain is untouched and still verifies.
"""
