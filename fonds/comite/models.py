"""Comité d'attribution — sessions, agenda, proxies, attendance, conflicts of interest, votes.

Every row is written by a comité service (one transaction, row locks, one audit event); the
dossier's status only moves through ``fonds.dossiers.services.perform``. A session goes planned →
convened → sitting → closed | adjourned; an item's vote pending → open → closed; the database
holds one proxy given and one held per member, one vote per (item, elector).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from fonds import clock
from fonds.accounts.fields import user_fk
from fonds.links import link


class CommitteeMember(models.Model):
    """One voting member of a campaign's committee, appointed by an administrator."""

    campaign = models.ForeignKey(
        "referentiel.Campaign",
        verbose_name="campagne",
        on_delete=models.PROTECT,
        related_name="committee_members",
    )
    member = user_fk("membre", related_name="committee_appointments")
    appointed_by = user_fk("nommé par")
    appointed_at = models.DateTimeField("nommé le", default=clock.now)
    removed_by = user_fk("retiré par", null=True)
    removed_at = models.DateTimeField("retiré le", null=True, blank=True)

    class Meta:
        verbose_name = "membre du comité (composition de la campagne)"
        verbose_name_plural = "composition du comité"
        ordering = ["campaign_id", "appointed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "member"],
                condition=Q(removed_at__isnull=True),
                name="comite_member_appointed_once",
            ),
        ]

    def __str__(self):
        return f"{self.member} — {self.campaign}"


class Session(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", "Programmée"
        CONVENED = "convened", "Convoquée"
        SITTING = "sitting", "En séance"
        CLOSED = "closed", "Close"
        ADJOURNED = "adjourned", "Ajournée (quorum non atteint)"

    campaign = models.ForeignKey(
        "referentiel.Campaign",
        verbose_name="campagne",
        on_delete=models.PROTECT,
        related_name="committee_sessions",
    )
    starts_at = models.DateTimeField("date et heure de la séance")
    place = models.CharField("lieu", max_length=300, blank=True)
    video_link = models.URLField("lien de visioconférence", max_length=500, blank=True)
    chair = user_fk("président de séance", related_name="chaired_sessions")
    # président de séance suppléant: presides over the items on which the chair is recused (and then
    # holds the casting vote on them); a member of the session, not the chair
    deputy_chair = user_fk("président de séance suppléant", null=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="membres", related_name="committee_sessions"
    )
    status = models.CharField(
        "état", max_length=10, choices=Status.choices, default=Status.PLANNED, db_index=True
    )
    needs_quorum = models.BooleanField(
        "quorum requis",
        default=True,
        help_text=(
            "Faux pour la séance qui suit une séance ajournée faute de quorum, sur le même ordre du jour."
        ),
    )
    follows = models.OneToOneField(
        "self",
        verbose_name="séance ajournée reprise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="followed_by",
    )
    created_by = user_fk()
    created_at = models.DateTimeField(default=clock.now)
    convened_at = models.DateTimeField("convoquée le", null=True, blank=True)
    opened_at = models.DateTimeField("ouverte le", null=True, blank=True)
    ended_at = models.DateTimeField("close ou ajournée le", null=True, blank=True)
    minutes = link("documents.GeneratedDocument", "procès-verbal", null=True)
    minutes_sha256 = models.CharField("empreinte SHA-256 du procès-verbal", max_length=64, blank=True)
    rules_version = models.PositiveIntegerField("version des règles", null=True, blank=True)

    class Meta:
        verbose_name = "séance du comité"
        verbose_name_plural = "séances du comité"
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(deputy_chair=F("chair")), name="comite_deputy_not_chair")
        ]

    def __str__(self):
        return f"Comité du {timezone.localtime(self.starts_at):%d/%m/%Y %H:%M} — {self.campaign}"

    @property
    def sitting_date(self):
        """The day the session sat (``opened_at``, Paris time): the date of its minutes and of its
        decision letters — never the planned date (``starts_at``) nor a generation date. None
        before the sitting."""
        return timezone.localdate(self.opened_at) if self.opened_at is not None else None


class AgendaItem(models.Model):
    class VoteState(models.TextChoices):
        PENDING = "pending", "Vote non ouvert"
        OPEN = "open", "Vote ouvert"
        CLOSED = "closed", "Vote clos"

    class Outcome(models.TextChoices):
        NONE = "", "Non décidé"
        APPROVED = "approved", "Accordé"
        WAITLISTED = "waitlisted", "Liste complémentaire (enveloppe épuisée)"
        REJECTED = "rejected", "Refusé"
        DEFERRED = "deferred", "Ajourné (prochaine séance)"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="items")
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="agenda_items")
    rank = models.PositiveIntegerField("rang")
    # ranking snapshot (score total desc, then smaller population) taken when the agenda is built
    score_total = models.PositiveSmallIntegerField("note totale", null=True, blank=True)
    population = models.PositiveIntegerField("population", null=True, blank=True)
    proposed_amount = models.DecimalField(
        "montant proposé (€)", max_digits=10, decimal_places=2, null=True, blank=True
    )
    # the motion put to the vote: grant ``amount`` (the proposal, or an amendment with motivation)
    amount = models.DecimalField(
        "montant soumis au vote (€)", max_digits=10, decimal_places=2, null=True, blank=True
    )
    amendment_motivation = models.TextField("motivation de l'amendement", blank=True)
    vote_state = models.CharField("vote", max_length=8, choices=VoteState.choices, default=VoteState.PENDING)
    vote_opened_at = models.DateTimeField(null=True, blank=True)
    vote_closed_at = models.DateTimeField(null=True, blank=True)
    quorum = models.JSONField("quorum constaté à l'ouverture du vote", default=dict, blank=True)
    tally = models.JSONField("dépouillement", default=dict, blank=True)
    outcome = models.CharField(
        "décision", max_length=10, choices=Outcome.choices, default=Outcome.NONE, blank=True
    )
    decided_amount = models.DecimalField(
        "montant décidé (€)", max_digits=10, decimal_places=2, null=True, blank=True
    )
    motivation = models.TextField("motivation de la décision", blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = user_fk(null=True)

    class Meta:
        verbose_name = "point de l'ordre du jour"
        ordering = ["session_id", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["session", "dossier"], name="comite_item_once_per_session"),
            models.UniqueConstraint(fields=["session", "rank"], name="comite_item_rank_unique"),
        ]

    def __str__(self):
        return f"{self.rank}. {self.dossier.reference}"


class Proxy(models.Model):
    """``giver`` (absent) gives a proxy to ``holder`` (present) for one session."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="proxies")
    giver = user_fk("mandant")
    holder = user_fk("mandataire")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "procuration"
        ordering = ["session_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "giver"], name="comite_proxy_one_given"),
            models.UniqueConstraint(fields=["session", "holder"], name="comite_proxy_one_held"),
            models.CheckConstraint(condition=~Q(giver=F("holder")), name="comite_proxy_not_to_self"),
        ]


class Attendance(models.Model):
    class Presence(models.TextChoices):
        PRESENT = "present", "Présent"
        REPRESENTED = "represented", "Représenté (procuration)"
        ABSENT = "absent", "Absent"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendances")
    member = user_fk()
    presence = models.CharField("présence", max_length=12, choices=Presence.choices)
    recorded_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "émargement"
        ordering = ["session_id", "member__last_name", "member__email"]
        constraints = [models.UniqueConstraint(fields=["session", "member"], name="comite_attendance_once")]


class ConflictDeclaration(models.Model):
    """A member's declared link with the dossier of an agenda item: the member is recused (déport)."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="conflicts")
    member = user_fk()
    reason = models.TextField("lien déclaré")
    automatic = models.BooleanField("déport d'office (instructeur du dossier)", default=False)
    declared_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "déclaration de conflit d'intérêts"
        ordering = ["item_id", "declared_at"]
        constraints = [models.UniqueConstraint(fields=["item", "member"], name="comite_conflict_once")]


class Vote(models.Model):
    class Choice(models.TextChoices):
        POUR = "pour", "Pour"
        CONTRE = "contre", "Contre"
        ABSTENTION = "abstention", "Abstention"

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="votes")
    member = user_fk("votant")
    cast_for = user_fk("pour le compte de (procuration)", null=True)
    elector = user_fk("voix de")
    choice = models.CharField("vote", max_length=10, choices=Choice.choices)
    cast_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "vote"
        ordering = ["item_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "elector"], name="comite_vote_once_per_elector"),
            models.CheckConstraint(
                condition=Q(cast_for__isnull=True, elector=F("member"))
                | Q(cast_for__isnull=False, elector=F("cast_for")),
                name="comite_vote_elector_consistent",
            ),
        ]


class EnvelopeRelease(models.Model):
    """Money returning to the envelope: the amount a recovery order claims back (confirmed when the
    dossier's ``recover`` transition fires). Lapsed dossiers need no row: they stop counting."""

    campaign = models.ForeignKey("referentiel.Campaign", on_delete=models.PROTECT, related_name="+")
    dossier = models.OneToOneField(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="envelope_release"
    )
    amount = models.DecimalField("montant restitué (€)", max_digits=10, decimal_places=2)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "restitution à l'enveloppe"


class PromotionProposal(models.Model):
    """A waitlisted dossier promoted when money freed up (``fonds.comite.envelope``)."""

    campaign = models.ForeignKey("referentiel.Campaign", on_delete=models.PROTECT, related_name="+")
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="promotion_proposals"
    )
    amount = models.DecimalField("montant", max_digits=10, decimal_places=2)
    available = models.DecimalField(
        "enveloppe disponible au moment de la proposition (€)", max_digits=12, decimal_places=2
    )
    trigger = models.CharField("événement", max_length=40)
    trigger_dossier = models.ForeignKey(
        "dossiers.Dossier", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "proposition de promotion"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier"],
                condition=Q(resolved_at__isnull=True),
                name="comite_one_open_promotion_per_dossier",
            )
        ]
