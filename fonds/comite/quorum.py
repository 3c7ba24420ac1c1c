"""Quorum and tally of the comité, as pure functions (no database, no Django model).

Quorum per item (CRPA R133-10, R133-12): members present or represented (by a present holder
not recused) count against the members not recused, ``fraction`` of them at least; a session
following an adjourned one always has it. Tally: adopted when pour > contre; on a tie the
presiding member's own vote decides (abstention or none: not adopted)."""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from fonds.formats import number

POUR, CONTRE, ABSTENTION = "pour", "contre", "abstention"
CHOICES = (POUR, CONTRE, ABSTENTION)


def _attributes(obj, names) -> dict:
    """``{name: obj.<name>}``: the figures of a result as its audit payload records them."""
    return {name: getattr(obj, name) for name in names}


@dataclass(frozen=True)
class QuorumResult:
    members: int  # the session's members
    recused: int  # of them, recused on this dossier
    eligible: int  # members - recused
    present: int  # eligible and present
    represented: int  # eligible, absent, represented by a present, non-recused holder
    required: Decimal  # fraction × eligible
    needs_quorum: bool
    reached: bool

    @property
    def counted(self) -> int:
        return self.present + self.represented

    @property
    def required_members(self) -> int:
        """The fewest whole members that reach ``required`` (« au moins 0,5 » is one member)."""
        return math.ceil(self.required) if self.eligible else 0

    def as_dict(self) -> dict:
        counts = ("members", "recused", "eligible", "present", "represented", "needs_quorum", "reached")
        return {**_attributes(self, counts), "required": str(self.required)}

    def explanation(self) -> str:
        if not self.needs_quorum:
            return "Séance faisant suite à une séance ajournée : aucun quorum n'est requis."
        text = (
            f"{self.counted} membre(s) présent(s) ou représenté(s) sur {self.eligible} membre(s) de la "
            "composition appelé(s) à délibérer"
            f"{f' ({self.recused} déporté(s))' if self.recused else ''} ; il en faut au moins "
            f"{number(self.required_members)}"
        )
        return text + (" : quorum atteint." if self.reached else " : quorum non atteint.")


def quorum(
    members: Iterable[Hashable],
    present: Iterable[Hashable],
    proxies: Mapping[Hashable, Hashable] | None = None,
    recused: Iterable[Hashable] = (),
    *,
    fraction: Decimal | str = Decimal("0.5"),
    needs_quorum: bool = True,
) -> QuorumResult:
    """The quorum of one agenda item. ``proxies`` maps giver → holder; ids of any hashable type."""
    members = set(members)
    recused = set(recused) & members
    eligible = members - recused
    present = set(present) & members
    proxies = dict(proxies or {})
    fraction = Decimal(str(fraction))
    here = present & eligible
    represented = {
        giver
        for giver, holder in proxies.items()
        if giver in eligible and giver not in present and holder in here
    }
    required = fraction * len(eligible)
    counted = len(here) + len(represented)
    reached = (not needs_quorum) or (len(eligible) > 0 and Decimal(counted) >= required)
    return QuorumResult(
        members=len(members),
        recused=len(recused),
        eligible=len(eligible),
        present=len(here),
        represented=len(represented),
        required=required,
        needs_quorum=needs_quorum,
        reached=reached,
    )


@dataclass(frozen=True)
class TallyResult:
    pour: int
    contre: int
    abstention: int
    chair_choice: str | None
    adopted: bool
    casting_vote: bool  # the chair's vote broke a tie

    @property
    def cast(self) -> int:
        """Votes cast (suffrages exprimés): abstentions excluded."""
        return self.pour + self.contre

    @property
    def tie(self) -> bool:
        return self.pour == self.contre and self.pour > 0

    def as_dict(self) -> dict:
        return _attributes(
            self, ("pour", "contre", "abstention", "cast", "chair_choice", "tie", "casting_vote", "adopted")
        )

    def explanation(self) -> str:
        text = f"{self.pour} pour, {self.contre} contre, {self.abstention} abstention(s)"
        if self.tie:
            if self.casting_vote:
                return (
                    text
                    + f" : partage des voix, la voix du président ({self.chair_choice}) est prépondérante : "
                    + ("adopté." if self.adopted else "non adopté.")
                )
            return (
                text + " : partage des voix sans voix prépondérante du président (abstention ou absence de "
                "vote) : non adopté."
            )
        return text + (
            " : adopté à la majorité des suffrages exprimés." if self.adopted else " : non adopté."
        )


def tally(choices: Iterable[str], chair_choice: str | None = None) -> TallyResult:
    """Count ``choices`` (pour / contre / abstention); ``chair_choice`` is the chair's own vote."""
    counts = {POUR: 0, CONTRE: 0, ABSTENTION: 0}
    for choice in choices:
        if choice not in counts:
            raise ValueError(f"vote inconnu : {choice!r}")
        counts[choice] += 1
    if chair_choice is not None and chair_choice not in counts:
        raise ValueError(f"vote inconnu : {chair_choice!r}")
    pour, contre = counts[POUR], counts[CONTRE]
    casting = False
    if pour > contre:
        adopted = True
    elif pour < contre or pour == 0:
        adopted = False
    else:  # tie with votes cast
        casting = chair_choice in (POUR, CONTRE)
        adopted = chair_choice == POUR
    return TallyResult(
        pour=pour,
        contre=contre,
        abstention=counts[ABSTENTION],
        chair_choice=chair_choice,
        adopted=adopted,
        casting_vote=casting,
    )
