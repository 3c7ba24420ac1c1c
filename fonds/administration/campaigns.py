"""Campaigns without a developer: clone an earlier one (window, envelope, committee dates,
activity period, rules and grid, committee composition, document texts), adjust it while it is
not open, check what is missing before its window opens, open it; once open, its window and
envelope only move forward (an extension, a top-up), each with a motivation. Every change is one
audit event with before/after, in the transaction of the change (campaign row locked)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from fonds import clock
from fonds.comite.composition import appointed, composition
from fonds.comite.models import CommitteeMember
from fonds.referentiel.models import Campaign, RuleSet

from .guards import AdminRefused, audit_change, lock_campaign, require_admin, require_motivation
from .models import DocumentTexts

#: the campaign's own fields an administrator sets (the form's fields, the audit's before/after)
FIELDS = (
    "name",
    "year",
    "opens_at",
    "closes_at",
    "activity_start",
    "activity_end",
    "envelope",
    "committee_dates",
)


def snapshot(campaign: Campaign) -> dict:
    """The campaign's own fields, JSON-safe for the audit payload."""
    out = {}
    for name in FIELDS:
        value = getattr(campaign, name)
        if isinstance(value, (dt.date, dt.datetime)):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        out[name] = value
    out["ready_to_open"] = campaign.ready_to_open
    return out


def _dates(values) -> list[str]:
    return [v.isoformat() if isinstance(v, dt.date) else str(v) for v in values or []]


def _validated(campaign: Campaign) -> None:
    campaign.committee_dates = _dates(campaign.committee_dates)
    campaign.full_clean(exclude=["committee_dates"])


def clone_defaults(source: Campaign) -> dict:
    """The form's initial values for a clone of ``source``: its dates one year later."""

    def later(value):
        try:
            return value.replace(year=value.year + 1)
        except ValueError:  # 29 February
            return value.replace(year=value.year + 1, day=28)

    dates = [later(dt.date.fromisoformat(d)) for d in _dates(source.committee_dates)]
    return {
        "name": f"{source.name} (copie)",
        "year": source.year + 1,
        "opens_at": later(source.opens_at),
        "closes_at": later(source.closes_at),
        "activity_start": later(source.activity_start),
        "activity_end": later(source.activity_end),
        "envelope": source.envelope,
        "committee_dates": "\n".join(d.strftime("%d/%m/%Y") for d in dates),
    }


def clone_campaign(source: Campaign, *, by, fields: dict, motivation: str) -> Campaign:
    """A new campaign with ``fields`` (see ``FIELDS``) and, copied from ``source``: its current
    rules and grid (as version 1), its appointed committee members and its document texts.
    One ``campaign_cloned`` event on the new campaign (after: what it holds)."""
    require_admin(by)
    motivation = require_motivation(motivation)
    # not open to dossiers, whatever its dates, until its checklist is complete and it is opened
    campaign = Campaign(**{name: fields[name] for name in FIELDS}, ready_to_open=False)
    _validated(campaign)
    with transaction.atomic():
        source = lock_campaign(source)
        # bulk_create skips Campaign.save(), which would add the default rules as version 1
        Campaign.objects.bulk_create([campaign])
        rules = RuleSet.objects.create(
            campaign=campaign,
            version=1,
            params=source.rules.params,
            created_by=by,
            note=f"Copie des règles de « {source.name} » (version {source.rules.version})"[:300],
        )
        members = [row.member_id for row in appointed(source)]
        CommitteeMember.objects.bulk_create(
            [CommitteeMember(campaign=campaign, member_id=pk, appointed_by=by) for pk in members]
        )
        texts = DocumentTexts.objects.filter(campaign=source).first()
        if texts is not None:
            texts.pk, texts.campaign, texts.updated_at = None, campaign, clock.now()
            texts.save(force_insert=True)
        after = {
            **snapshot(campaign),
            "rules_version": rules.version,
            "rules_from": {"campaign": source.pk, "version": source.rules.version},
            "committee_members": members,
            "document_texts": texts is not None,
        }
        audit_change(
            "campaign_cloned", campaign, by, before=None, after=after, motivation=motivation, source=source.pk
        )
    return campaign


def is_open(campaign: Campaign, at=None) -> bool:
    """Once its window has opened, a campaign's window and envelope only move forward. A clone
    not yet ready (``ready_to_open``) has not opened, whatever its dates."""
    return campaign.ready_to_open and campaign.opens_at <= (at or clock.now())


def _change(campaign, action: str, *, by, motivation: str, apply) -> Campaign:
    """Lock, apply ``apply(locked)`` (which may refuse), validate, save, audit before/after."""
    require_admin(by)
    motivation = require_motivation(motivation)
    with transaction.atomic():
        locked = lock_campaign(campaign)
        before = snapshot(locked)
        apply(locked)
        _validated(locked)
        after = snapshot(locked)
        if after == before:
            raise AdminRefused("condition", "Aucune valeur ne change.")
        locked.save()
        audit_change(action, locked, by, before=before, after=after, motivation=motivation)
    return locked


def adjust_campaign(campaign, *, by, fields: dict, motivation: str) -> Campaign:
    """Change any field of a campaign whose window has not opened yet."""

    def apply(locked):
        if is_open(locked):
            raise AdminRefused(
                "status",
                "Les dépôts de cette campagne sont ouverts : seules une prolongation de la clôture et "
                "une augmentation de l'enveloppe sont possibles.",
            )
        for name in FIELDS:
            if name in fields:
                setattr(locked, name, fields[name])

    return _change(campaign, "campaign_adjusted", by=by, motivation=motivation, apply=apply)


def extend_window(campaign, *, by, closes_at: dt.datetime, motivation: str) -> Campaign:
    """Move the close of the deposit window later (never earlier)."""

    def apply(locked):
        if closes_at <= locked.closes_at:
            raise AdminRefused(
                "condition",
                "La clôture ne peut qu'être repoussée : choisissez une date postérieure "
                "à la clôture actuelle.",
            )
        locked.closes_at = closes_at

    return _change(campaign, "campaign_window_extended", by=by, motivation=motivation, apply=apply)


def top_up_envelope(campaign, *, by, envelope: Decimal, motivation: str) -> Campaign:
    """Raise the envelope (never lower it)."""

    def apply(locked):
        if Decimal(envelope) <= locked.envelope:
            raise AdminRefused(
                "condition",
                "L'enveloppe ne peut qu'être augmentée : indiquez un montant supérieur à l'actuel.",
            )
        locked.envelope = Decimal(envelope)

    return _change(campaign, "campaign_envelope_topped_up", by=by, motivation=motivation, apply=apply)


@dataclass(frozen=True)
class Check:
    label: str
    ok: bool
    detail: str = ""


def checklist(campaign: Campaign, at=None) -> list[Check]:
    """What must be in place before the window opens, each with a French explanation."""
    at = at or clock.now()
    params = campaign.rules.params
    scoring = params.get("scoring") or {}
    max_total = sum(int(c.get("max", 0)) for c in scoring.get("criteria", []))
    committee = [dt.date.fromisoformat(d) for d in _dates(campaign.committee_dates)]
    members = composition(campaign)
    return [
        Check(
            "Fenêtre de dépôt",
            campaign.closes_at > campaign.opens_at and campaign.closes_at > at,
            "La clôture doit suivre l'ouverture et être à venir.",
        ),
        Check("Enveloppe", campaign.envelope > 0, "L'enveloppe doit être positive."),
        Check(
            "Période d'activité",
            campaign.activity_end >= campaign.activity_start,
            "La fin de la période d'activité doit suivre son début.",
        ),
        Check(
            "Dates de comité",
            bool(committee) and all(d >= campaign.closes_at.date() for d in committee),
            "Au moins une date de comité, postérieure à la clôture des dépôts.",
        ),
        Check(
            "Grille de notation",
            max_total > 0 and int(scoring.get("threshold_total", 0)) <= max_total,
            "Des critères notés et un seuil au plus égal au total des points.",
        ),
        Check("Composition du comité", bool(members), "Au moins un membre du comité."),
        Check(
            "Textes des documents",
            DocumentTexts.objects.filter(campaign=campaign).exists(),
            "Signataire, mentions légales et adresse du fonds pour les courriers de la campagne.",
        ),
    ]


def open_window(campaign, *, by, motivation: str, at_planned_date: bool = False) -> Campaign:
    """Open the deposit window now (its opening moved to now) or, ``at_planned_date``, on its
    planned opening still to come, once the checklist is complete: either way the campaign is
    then ``ready_to_open`` (a clone does not open by its dates before that)."""

    def apply(locked):
        now = clock.now()
        if is_open(locked, now):
            raise AdminRefused("status", "Les dépôts de cette campagne sont déjà ouverts.")
        if at_planned_date and locked.opens_at <= now:
            raise AdminRefused(
                "condition", "La date d'ouverture prévue est passée : ouvrez les dépôts maintenant."
            )
        missing = [c.label for c in checklist(locked, now) if not c.ok]
        if missing:
            raise AdminRefused("condition", "Il manque avant l'ouverture : " + ", ".join(missing) + ".")
        if not at_planned_date:
            locked.opens_at = now
        locked.ready_to_open = True

    return _change(campaign, "campaign_window_opened", by=by, motivation=motivation, apply=apply)
