"""Minors' data (young participants' ages, the signed participant list): who sees them
(``access.may_see_minors_data``), what the audit trail keeps instead (``protect``: count and HMAC
under the dossier's own key) and the purge after the campaign's retention period, which destroys
the key (``services.purge``). Details: docs/stages.md (Privacy)."""
