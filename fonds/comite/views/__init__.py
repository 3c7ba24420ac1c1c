"""Comité d'attribution pages (DSFR, French), thin over the comité's services and
``fonds.comite.queries``: ``sessions`` (lists, preparation), ``deliberation`` and ``members`` (an
item, proxy, conflict, vote), ``sitting`` (the chair), ``composition``, ``schedule``. Outside
members, administrators and auditors (read only): a 403 page before any lookup; a session is a
404 to a member not sitting on it; a recused member is refused an item's deliberation (audited).
"""
