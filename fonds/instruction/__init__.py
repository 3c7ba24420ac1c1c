"""Instruction of a dossier: the grant amount formula (``amount``), the scoring grid (``grid``),
eligibility overrides, scores, amount proposals, notes, conflicts (``services``, ``hooks``),
the instructors' filters (``filters``) and back-office pages (``views``)."""
