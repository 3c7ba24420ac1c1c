"""Who reads which opinion request: the expert their own, the fund every one, the committee the
answered opinions shared with it. One place, used by the pages and the API."""

from __future__ import annotations

from django.http import Http404

from fonds.accounts.roles import Role, has_role

from .models import AvisRequest

#: roles of the fund that read every request and opinion (confidential ones included)
FUND_ROLES = (Role.INSTRUCTEUR, Role.ADMIN, Role.AUDITEUR)
#: the documents an expert may read: the commune's pieces, not its bank details
EXPERT_DOCUMENT_KINDS = ("deliberation", "twinning_agreement", "partner_commitment", "other")


def expert_requests(user):
    """The requests addressed to ``user`` (none for anyone else), newest first."""
    if not has_role(user, Role.EXPERT):
        return AvisRequest.objects.none()
    return AvisRequest.objects.filter(expert=user).select_related(
        "dossier", "dossier__commune", "requested_by"
    )


def expert_request_or_404(user, pk) -> AvisRequest:
    """The request ``pk`` if addressed to ``user``; any other is "not found" (never "forbidden")."""
    try:
        pk = int(pk)
    except (TypeError, ValueError, OverflowError):
        raise Http404("Demande d'avis introuvable.") from None
    avis = expert_requests(user).filter(pk=pk).first() if 0 < pk < 2**63 else None
    if avis is None:
        raise Http404("Demande d'avis introuvable.")
    return avis


def for_fund(dossier):
    """Every request about ``dossier`` (the instruction page)."""
    return AvisRequest.objects.filter(dossier=dossier).select_related("expert", "requested_by")


def for_committee(dossier):
    """The opinions shared with the committee: answered and marked so."""
    return AvisRequest.objects.filter(
        dossier=dossier, status=AvisRequest.Status.ANSWERED, visibility=AvisRequest.Visibility.COMMITTEE
    ).select_related("expert")
