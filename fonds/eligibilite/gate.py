"""May a commune start a new dossier in a campaign? E7 asked before any step is filled: « Nouveau
dossier » (page, ``depot:new``, API) is offered and accepted only when no dossier of the commune
in that campaign blocks; otherwise E7's French message. ``gates_for`` (one query for every
campaign), ``new_dossier_gate``, ``check_new_dossier`` (raises ``TransitionRefused``)."""

from __future__ import annotations

from dataclasses import dataclass

from fonds.dossiers.models import Dossier
from fonds.dossiers.services import TransitionRefused

from .rules.campaign import E7_E8_LISTED, E7_NOT_COUNTED, e7_texts, status_text


@dataclass(frozen=True)
class Blocking:
    pk: int
    reference: str
    status: str

    @property
    def status_label(self) -> str:
        return status_text(self.status)


@dataclass(frozen=True)
class NewDossierGate:
    campaign: object
    blocking: tuple[Blocking, ...] = ()

    @property
    def allowed(self) -> bool:
        return not self.blocking

    @property
    def reason(self) -> str:
        """Why a new dossier is refused (French), "" when allowed."""
        return e7_texts([(b.reference, b.status) for b in self.blocking])[0] if self.blocking else ""

    @property
    def how_to_fix(self) -> str:
        return e7_texts([(b.reference, b.status) for b in self.blocking])[1] if self.blocking else ""

    @property
    def message(self) -> str:
        """The refusal as one French text: « Nouveau dossier impossible … » (reason and what to do)."""
        if not self.blocking:
            return ""
        return f"Nouveau dossier impossible dans « {self.campaign.name} » : {self.reason} {self.how_to_fix}"


def gates_for(commune_id, campaigns) -> list[NewDossierGate]:
    """The gate of each campaign of ``campaigns`` for the commune, in the same order (one query)."""
    campaigns = list(campaigns)
    found: dict[int, list[Blocking]] = {c.pk: [] for c in campaigns}
    if campaigns and commune_id is not None:
        rows = (
            Dossier.objects.filter(commune_id=commune_id, campaign_id__in=list(found))
            .exclude(status__in=E7_NOT_COUNTED)
            .order_by("id")
            .values_list("campaign_id", "pk", "reference", "status")
        )
        for campaign_id, pk, reference, status in rows:
            if len(found[campaign_id]) < E7_E8_LISTED:
                found[campaign_id].append(Blocking(pk, reference, status))
    return [NewDossierGate(c, tuple(found[c.pk])) for c in campaigns]


def new_dossier_gate(commune_id, campaign) -> NewDossierGate:
    return gates_for(commune_id, [campaign])[0]


def check_new_dossier(commune_id, campaign) -> None:
    """Refuse (``TransitionRefused("condition", message, rules=["E7"])``, a 400 in the API) when
    a dossier of the commune in ``campaign`` blocks a new one."""
    gate = new_dossier_gate(commune_id, campaign)
    if not gate.allowed:
        raise TransitionRefused("condition", gate.message, rules=["E7"])
