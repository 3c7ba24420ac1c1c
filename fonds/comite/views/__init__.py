"""Comité d'attribution pages (DSFR, French), thin over the comité's services and
``fonds.comite.queries``: ``common`` (access, links), ``sessions`` (lists and preparation),
``deliberation`` (an item's page), ``members`` (proxy, conflict, vote), ``sitting`` (the chair).

Committee members, administrators and auditors (read only) come here; everybody else gets a 403
page before any lookup. A session is a 404 for a member who does not sit on it; a member recused
on a dossier is refused its deliberation and votes (403, audited).
"""
