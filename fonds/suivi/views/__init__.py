"""The mayor's front office after submission: corrections, withdrawal, renunciation, convention,
final report, timeline. Thin pages: read through ``fonds.dossiers.access``, act through
``services.perform`` (transitions) or ``fonds.suivi.services`` (the report draft).
"""
