"""Each person's choice per kind: immediately, in the daily digest, or never.

A mandatory notice (the commune's legally required ones) is always emailed at once: the page shows
it without a choice and ``save_preferences`` refuses a change to it (server-side, whatever the
form posted). A kind with no stored choice uses its default mode.
"""

from __future__ import annotations

from django.db import transaction

from fonds import clock
from fonds.accounts.roles import Role, roles_of
from fonds.audit import chain as audit
from fonds.refusals import Refused

from .kinds import COMMUNE, IMMEDIATE, MODES, STAFF, Kind, for_audience
from .models import Preference


class PreferenceRefused(Refused):
    """A choice the preferences page may not record (mandatory notice, unknown kind or mode)."""


def mode_of(kind: Kind, stored: str | None) -> str:
    """The mode that applies: mandatory → immediately; else the stored choice if allowed."""
    if kind.mandatory:
        return IMMEDIATE
    if stored in kind.modes:
        return stored
    return kind.default_mode


def modes_for(users, kind: Kind) -> dict[int, str]:
    """``{user pk: mode}`` for ``kind`` (one query, none for a mandatory kind)."""
    pks = [user.pk for user in users]
    if kind.mandatory or not pks:
        return {pk: mode_of(kind, None) for pk in pks}
    stored = dict(Preference.objects.filter(user_id__in=pks, kind=kind.code).values_list("user_id", "mode"))
    return {pk: mode_of(kind, stored.get(pk)) for pk in pks}


def kinds_for(user) -> list[Kind]:
    """The kinds a person may receive: the commune's for a porteur, the staff's for the fund's
    agents (both for someone holding both)."""
    roles = roles_of(user)
    kinds = []
    if Role.PORTEUR in roles:
        kinds += for_audience(COMMUNE)
    if roles - {Role.PORTEUR}:
        kinds += for_audience(STAFF)
    return kinds


def current(user) -> list[dict]:
    """The rows of the preferences page: ``{kind, mode, choices}`` (one query)."""
    stored = dict(Preference.objects.filter(user=user).values_list("kind", "mode"))
    return [
        {
            "kind": kind,
            "mode": mode_of(kind, stored.get(kind.code)),
            "choices": [] if kind.mandatory else [(m, MODES[m]) for m in kind.modes],
        }
        for kind in kinds_for(user)
    ]


def save_preferences(user, choices: dict[str, str]) -> int:
    """Record ``{kind code: mode}`` for ``user`` in one transaction, audited; returns the number of
    choices changed. Refused (nothing recorded) for a mandatory kind switched away from
    « immédiatement », an unknown kind or a mode the kind does not offer."""
    allowed = {kind.code: kind for kind in kinds_for(user)}
    for code, mode in choices.items():
        kind = allowed.get(code)
        if kind is None:
            raise PreferenceRefused("condition", "Ce type de notification ne vous concerne pas.")
        if kind.mandatory and mode != IMMEDIATE:
            raise PreferenceRefused(
                "condition",
                f"« {kind.label} » est un avis obligatoire du fonds : il vous est toujours envoyé.",
                rules=["mandatory_notice"],
            )
        if not kind.mandatory and mode not in kind.modes:
            raise PreferenceRefused("condition", f"Choix impossible pour « {kind.label} ».")
    changed = {}
    with transaction.atomic():
        existing = {p.kind: p for p in Preference.objects.select_for_update().filter(user=user)}
        now = clock.now()
        for code, mode in choices.items():
            if allowed[code].mandatory:
                continue
            row = existing.get(code)
            if row is None:
                if mode != allowed[code].default_mode:
                    Preference.objects.create(user=user, kind=code, mode=mode, updated_at=now)
                    changed[code] = mode
            elif row.mode != mode:
                Preference.objects.filter(pk=row.pk).update(mode=mode, updated_at=now)
                changed[code] = mode
        if changed:
            audit.append(
                "notification_preferences_changed",
                actor=user,
                role="",
                obj=("accounts.user", user.pk),
                payload={"modes": changed},
            )
    return len(changed)
