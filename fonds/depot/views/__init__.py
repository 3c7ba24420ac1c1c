"""The mayor's front office (thin DSFR pages): "Mes dossiers", the six steps of a draft, the
check page, the submission and the receipt.

Reads go through ``fonds.dossiers.access``, content edits through ``fonds.dossiers.editing`` /
``fonds.dossiers.documents`` / ``fonds.depot.services`` (audited), the submission through
``perform``. A step POSTed with ``X-Autosave: 1`` (``static/depot/depot.js``) is saved the same way
but answered in JSON (``{"saved": …, "errors": …}``, 422 when refused).
"""
