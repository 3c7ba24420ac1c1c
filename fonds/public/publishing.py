"""What the mayor publishes and what the fund's administrator hides: one service function per
change, each in one transaction with its audit event (``fonds.audit.chain.append``).

* the public summary: written (or edited) by the porteur of the commune from the convention step
  (``approved``) on — shown only once the convention is accepted;
* the public paragraph of the final report: once the trip is over;
* hiding (or showing again) both: the administrator, with a motivation.
"""

from __future__ import annotations

from django.db import transaction

from fonds import clock
from fonds.accounts.roles import Role, roles_of
from fonds.audit import chain
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status

from . import cache
from .models import PUBLIC_TEXT_MAX, Publication
from .rules import DONE_STATUSES, PUBLIC_STATUSES

#: from the convention step on: the mayor writes what will be public once it is accepted
SUMMARY_STATUSES = frozenset({Status.APPROVED, *PUBLIC_STATUSES})
MOTIVATION_MIN = 10


class PublicationRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def is_mayor_of(user, dossier) -> bool:
    return (
        Role.PORTEUR in roles_of(user)
        and user.commune_id is not None
        and user.commune_id == dossier.commune_id
    )


def trip_over(dossier) -> bool:
    return dossier.status in DONE_STATUSES or bool(dossier.end_date and dossier.end_date < clock.today())


def may_write_summary(user, dossier) -> bool:
    return is_mayor_of(user, dossier) and dossier.status in SUMMARY_STATUSES


def may_write_paragraph(user, dossier) -> bool:
    return is_mayor_of(user, dossier) and dossier.status in PUBLIC_STATUSES and trip_over(dossier)


def may_hide(user) -> bool:
    return Role.ADMIN in roles_of(user)


#: each text the mayor writes: who may write it and when, the refusal otherwise, its name in a refusal
_WRITTEN = {
    "summary": (
        may_write_summary,
        "Le résumé public s'écrit à l'étape de la convention, par la commune du dossier.",
        "Résumé public",
    ),
    "report_paragraph": (
        may_write_paragraph,
        "Le paragraphe public du bilan s'écrit après le voyage, par la commune du dossier.",
        "Paragraphe public du bilan",
    ),
}


def publication_of(dossier) -> Publication:
    """The dossier's publication (unsaved and empty when nothing was written yet)."""
    return Publication.objects.filter(dossier=dossier).first() or Publication(dossier=dossier)


def _clean_text(text: str, label: str) -> str:
    text = (text or "").strip().replace("\r\n", "\n")
    if len(text) > PUBLIC_TEXT_MAX:
        raise PublicationRefused(f"{label} : {PUBLIC_TEXT_MAX} caractères au plus.")
    return text


def _locked(dossier) -> tuple[Dossier, Publication]:
    locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
    publication, _ = Publication.objects.select_for_update().get_or_create(dossier=locked)
    return locked, publication


def save_texts(
    dossier, *, by, summary: str | None = None, report_paragraph: str | None = None
) -> Publication:
    """The mayor saves the public summary and/or the public paragraph of the final report."""
    with transaction.atomic():
        locked, publication = _locked(dossier)
        changed = {}
        for field, text in (("summary", summary), ("report_paragraph", report_paragraph)):
            if text is None:
                continue
            may_write, refusal, label = _WRITTEN[field]
            if not may_write(by, locked):
                raise PublicationRefused(refusal)
            text = _clean_text(text, label)
            if text != getattr(publication, field):
                setattr(publication, field, text)
                changed[field] = text
        if not changed:
            return publication
        publication.updated_at, publication.updated_by = clock.now(), by
        publication.save()
        chain.append(
            "public_texts_saved",
            actor=by,
            role=Role.PORTEUR,
            obj=locked,
            payload={"fields": sorted(changed), **changed},
        )
        transaction.on_commit(cache.bump)
    return publication


def set_hidden(dossier, *, by, hidden: bool, motivation: str) -> Publication:
    """The administrator hides the public texts of a project (or shows them again), with a motivation."""
    if not may_hide(by):
        raise PublicationRefused("Seul un administrateur du fonds peut masquer un résumé public.")
    motivation = (motivation or "").strip()
    if len(motivation) < MOTIVATION_MIN:
        raise PublicationRefused(f"Motivez la décision ({MOTIVATION_MIN} caractères au moins).")
    with transaction.atomic():
        locked, publication = _locked(dossier)
        if publication.hidden == hidden:
            raise PublicationRefused(
                "Ce résumé est déjà masqué." if hidden else "Ce résumé n'est pas masqué."
            )
        publication.hidden = hidden
        publication.hidden_motivation = motivation
        publication.hidden_at, publication.hidden_by = clock.now(), by
        publication.save()
        chain.append(
            "public_texts_hidden" if hidden else "public_texts_shown",
            actor=by,
            role=Role.ADMIN,
            obj=locked,
            payload={"motivation": motivation},
        )
        transaction.on_commit(cache.bump)
    return publication
