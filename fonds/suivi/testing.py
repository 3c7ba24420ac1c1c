"""Helpers for scripts and other stages' tests that walk a dossier through the front office's
transitions without its pages (``seed_demo``, the workflow tests, the transition matrix).

The pages do the same through the mayor's hands: read the convention then accept it under a
typed name (``accept_agreement`` needs the name and the convention's SHA-256), fill the final
report then submit it (``submit_report`` needs a complete report).
"""

from __future__ import annotations

import datetime as dt

from .convention import ensure_convention
from .models import FinalReport
from .services import can_file_report, planned_report, report_missing, save_report_draft

#: a valid one-page PDF standing for the signed participant list
SIGNED_LIST_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\nxref\n0 4\n0000000000 65535 f \n"
    b"0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n"
    b"trailer<</Size 4/Root 1 0 R>>\nstartxref\n168\n%%EOF\n"
)


def acceptance_data(dossier, signatory_name: str = "Marie Dupont") -> dict:
    """``data`` for ``perform(dossier, "accept_agreement", ...)``: the convention in force
    (generated if missing; the dossier needs its approved amount) and the signatory's name."""
    return {"signatory_name": signatory_name, "document_sha256": ensure_convention(dossier).sha256}


def file_complete_report(
    dossier,
    *,
    by,
    activity_report: str = "Le projet s'est déroulé comme prévu.",
    participant_list: tuple[str, bytes] | None = None,
):
    """Save a complete final report repeating the plan, so that ``submit_report`` may pass.

    Does nothing (returns None) when ``by`` may not file the report now (another commune, staff,
    dossier not ``advance_paid``) — ``perform`` then refuses as it should — or when the report is
    already complete.
    """
    if by is None or not can_file_report(by, dossier):
        return None
    report = FinalReport.objects.filter(dossier=dossier).first()
    if report is not None and not report_missing(report):
        return report
    fields, lines = planned_report(dossier)
    fields["activity_report"] = activity_report
    return save_report_draft(
        dossier,
        by=by,
        fields=fields,
        lines=lines,
        participant_list=participant_list or ("liste-participants-signee.pdf", SIGNED_LIST_PDF),
    )


def travel_after_project(clock, dossier, *, days: int = 1) -> None:
    """Tests only: move ``clock`` (the ``clock`` fixture, ``fonds.clock``) to ``days`` after the
    project's last day, so that its final report may be filed (never backwards)."""
    if dossier.end_date is not None and clock.today() < dossier.end_date + dt.timedelta(days=days):
        clock.travel_to(dossier.end_date + dt.timedelta(days=days))
