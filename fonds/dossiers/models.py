"""The dossier: one youth-mobility application of a commune to a campaign, and its state machine.

Every transition method below is called only by `fonds.dossiers.services.perform`, which locks
the row, checks who may act, records the audit event and advances the viewflow process in the
same transaction. The status field is protected: nothing else can write it.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from fonds import clock
from fonds.accounts.fields import user_fk
from fonds.accounts.roles import Role
from fonds.links import link

from .search import SearchFold
from .states import SYSTEM_ROLE, Forum, Status

S = Status
WITHDRAWABLE = [S.DRAFT, S.SUBMITTED, S.IN_INSTRUCTION, S.CORRECTIONS_REQUESTED, S.INSTRUCTED]
#: an award may be renounced until the advance is paid (règlement, "Notification and payment")
RENOUNCEABLE = [S.APPROVED, S.AGREEMENT_SIGNED]

# where each transition is fired, and by whom there (see Forum)
SCREENS_PORTEUR = {Forum.DOSSIER: (Role.PORTEUR,)}
SCREENS_INSTRUCTEUR = {Forum.DOSSIER: (Role.INSTRUCTEUR,)}
SITTING = {Forum.COMMITTEE_SITTING: (Role.COMITE,)}
PAYMENTS = {Forum.PAYMENTS: (Role.FINANCE,)}
DEADLINES = {Forum.SYSTEM: (SYSTEM_ROLE,)}


def _meta(label: str, forums: dict, *, motivation: bool = False, confirm: str = "", **extra) -> dict:
    """Transition metadata read by the service, the API, the UI and docs/states.md.

    ``forums``: where the transition may be fired, and by which roles there — ``{Forum: roles}``.
    Nothing else fires it (``services.perform(..., forum=...)`` checks both)."""
    roles = tuple(dict.fromkeys(role for group in forums.values() for role in group))
    return {
        "label": label,
        "forums": forums,
        "roles": roles,
        "needs_motivation": motivation,
        "confirm": confirm,
        **extra,
    }


class TravelMode(models.TextChoices):
    TRAIN = "train", "Train"
    COACH = "coach", "Car (autocar)"
    PLANE = "plane", "Avion"
    CAR = "car", "Voiture"
    MIXED = "mixed", "Mixte"


class ParticipantCounts:
    """Counts derived from the ``youth_ages`` and ``leader_ages`` lists (dossier and final report)."""

    @property
    def youth_count(self) -> int:
        return len(self.youth_ages or [])

    @property
    def leader_count(self) -> int:
        return len(self.leader_ages or [])

    @property
    def travellers(self) -> int:
        return self.youth_count + self.leader_count


class Dossier(ParticipantCounts, ConcurrentTransitionMixin, models.Model):
    reference = models.CharField("numéro de dossier", max_length=20, unique=True, editable=False)
    campaign = models.ForeignKey(
        "referentiel.Campaign", verbose_name="campagne", on_delete=models.PROTECT, related_name="dossiers"
    )
    commune = models.ForeignKey(
        "referentiel.Commune", verbose_name="commune", on_delete=models.PROTECT, related_name="dossiers"
    )
    jumelage = link("referentiel.Jumelage", "jumelage", null=True, related_name="dossiers")
    status = FSMField("statut", default=S.DRAFT, choices=S.choices, protected=True, db_index=True)

    # project
    title = models.CharField("intitulé du projet", max_length=200)
    summary = models.TextField("résumé", blank=True, validators=[MaxLengthValidator(2000)])
    objectives = models.TextField("objectifs", blank=True, validators=[MaxLengthValidator(4000)])
    start_date = models.DateField("premier jour", null=True, blank=True)
    end_date = models.DateField("dernier jour", null=True, blank=True)
    activity_days = models.PositiveSmallIntegerField("jours d'activité (hors voyage)", null=True, blank=True)

    # participants (counts and ages only: no names at this stage)
    youth_ages = models.JSONField("âges des jeunes participants (au premier jour)", default=list, blank=True)
    leader_ages = models.JSONField("âges des accompagnateurs", default=list, blank=True)
    youth_fewer_opportunities = models.PositiveSmallIntegerField(
        "jeunes ayant moins d'opportunités", default=0
    )
    youth_first_travel = models.PositiveSmallIntegerField(
        "jeunes voyageant pour la première fois à l'étranger", default=0
    )

    # travel
    travel_mode = models.CharField("mode de transport", max_length=10, choices=TravelMode.choices, blank=True)
    low_carbon = models.BooleanField("voyage bas carbone (train ou car)", default=False)
    distance_km = models.PositiveIntegerField("distance aller (km)", null=True, blank=True)
    nights = models.PositiveSmallIntegerField("nuitées", default=0)
    nights_hosted = models.PositiveSmallIntegerField("nuitées en familles d'accueil", default=0)

    # money (Decimal, two decimals)
    requested_amount = models.DecimalField(
        "montant demandé (€)",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    proposed_amount = models.DecimalField(
        "montant proposé (€)", max_digits=10, decimal_places=2, null=True, blank=True
    )
    approved_amount = models.DecimalField(
        "montant accordé (€)", max_digits=10, decimal_places=2, null=True, blank=True
    )
    opinion = models.CharField(
        "avis de l'instructeur",
        max_length=15,
        blank=True,
        choices=[("favourable", "Favorable"), ("unfavourable", "Défavorable")],
    )

    # people and dates
    created_by = user_fk("créé par", related_name="dossiers_created")
    instructor = user_fk("instructeur", null=True, related_name="dossiers_instructed")
    created_at = models.DateTimeField("créé le", default=clock.now)
    updated_at = models.DateTimeField("modifié le", auto_now=True)
    submitted_at = models.DateTimeField("déposé le", null=True, blank=True)
    decided_at = models.DateTimeField("décidé le", null=True, blank=True)
    corrections_due = models.DateTimeField("corrections attendues avant le", null=True, blank=True)
    agreement_due = models.DateTimeField("convention à accepter avant le", null=True, blank=True)
    report_due = models.DateField("rapport final attendu avant le", null=True, blank=True)
    rules_version = models.PositiveIntegerField("version des règles appliquées", null=True, blank=True)

    # copies of the commune's name and population, sort keys of the instructors' list; kept equal
    # to the commune's by database triggers on every write path (see commune_copy.py)
    commune_name = models.CharField(
        "nom de la commune (copie)", max_length=120, blank=True, default="", editable=False
    )
    commune_population = models.PositiveIntegerField(
        "population de la commune (copie)", null=True, blank=True, editable=False
    )
    # what the instructors' search box reads (fonds/dossiers/search.py): reference, title, commune
    # name and code folded (case, accents), computed by the database; trigram-indexed on PostgreSQL
    search_text = models.GeneratedField(
        expression=SearchFold("reference", "title", "commune_name", "commune_id"),
        output_field=models.TextField(),
        db_persist=True,
        verbose_name="texte de recherche",
    )

    class Meta:
        verbose_name = "dossier"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["campaign", "status"]),
            models.Index(fields=["commune", "campaign"]),
            # the instructors' list (fonds/instruction/filters.py): a page of pks is read from an
            # index alone — sort key, then pk (the total order), and the usual filters (status,
            # campaign) in front or behind. The first five were raw SQL of instruction 0002 (lost
            # on SQLite when a migration rebuilds the table), adopted here by dossiers 0003;
            # campaign added behind the sort keys by 0006 (PostgreSQL then scans them in order).
            models.Index(fields=["submitted_at", "id", "status", "campaign"], name="dossier_list_submitted"),
            models.Index(fields=["status", "submitted_at", "id"], name="dossier_list_status_submitted"),
            models.Index(fields=["requested_amount", "id", "status", "campaign"], name="dossier_list_amount"),
            models.Index(fields=["status", "requested_amount", "id"], name="dossier_list_status_amount"),
            models.Index(fields=["corrections_due", "id"], name="dossier_list_corrections_due"),
            models.Index(fields=["status", "corrections_due", "id"], name="dossier_list_status_deadline"),
            models.Index(fields=["instructor", "status"], name="dossier_list_instructor"),
            models.Index(fields=["commune_name", "id", "status", "campaign"], name="dossier_list_commune"),
            models.Index(fields=["status", "commune_name", "id"], name="dossier_list_status_commune"),
            models.Index(
                fields=["commune_population", "id", "status", "campaign"], name="dossier_list_population"
            ),
            models.Index(
                fields=["status", "commune_population", "id"], name="dossier_list_status_population"
            ),
            models.Index(fields=["created_at", "id", "status", "campaign"], name="dossier_list_created"),
            models.Index(fields=["status", "created_at", "id"], name="dossier_list_status_created"),
            models.Index(fields=["status", "reference"], name="dossier_list_status_reference"),
        ]
        permissions = [("view_all_dossiers", "Voir les dossiers de toutes les communes")]

    def __str__(self):
        return f"{self.reference} — {self.title}"

    def save(self, *args, **kwargs):
        if self._state.adding and self.commune_id:
            # the database sets the same values (trigger); this keeps the instance in step
            commune = self.commune
            self.commune_name, self.commune_population = commune.name, commune.population
        if not self.reference:
            year = self.campaign.year if self.campaign_id else clock.now().year
            super().save(*args, **kwargs)
            self.reference = f"FJJ-{year}-{self.pk:06d}"
            kwargs.pop("force_insert", None)
            return super().save(update_fields=["reference"])
        return super().save(*args, **kwargs)

    @property
    def rules(self):
        """The rule version every dossier-scoped rule reads: the one recorded in ``rules_version``
        (set at submission; moved or kept by the administrator when a version is published) when
        the campaign has it, else the campaign's current version."""
        return self.campaign.rules_for(self.rules_version)

    def clean(self):
        errors = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = "Le dernier jour doit être postérieur ou égal au premier jour."
        if self.nights_hosted is not None and self.nights is not None and self.nights_hosted > self.nights:
            errors["nights_hosted"] = (
                "Les nuitées en familles ne peuvent dépasser le nombre total de nuitées."
            )
        for name in ("youth_ages", "leader_ages"):
            ages = getattr(self, name)
            if not isinstance(ages, list) or any(
                isinstance(a, bool) or not isinstance(a, int) or not 0 <= a <= 120 for a in ages
            ):
                errors[name] = "Indiquez une liste d'âges en années (nombres entiers de 0 à 120)."
            elif len(ages) > 500:
                errors[name] = "500 participants au plus."
        if self.jumelage_id and self.commune_id and self.jumelage.commune_id != self.commune_id:
            errors["jumelage"] = "Ce jumelage n'appartient pas à votre commune."
        youth = len(self.youth_ages) if isinstance(self.youth_ages, list) else 0
        for name in ("youth_fewer_opportunities", "youth_first_travel"):
            if (getattr(self, name) or 0) > youth:
                errors[name] = "Ce nombre ne peut dépasser le nombre de jeunes participants."
        if errors:
            raise ValidationError(errors)

    # ---- the state machine -------------------------------------------------------------------
    # Each transition: source → target, who (roles in `custom`), whether a motivation is needed.
    # Keyword data (`by`, `motivation`, ...) are passed by the service.

    @transition(
        status,
        source=S.DRAFT,
        target=S.SUBMITTED,
        custom=_meta(
            "Déposer le dossier",
            SCREENS_PORTEUR,
            confirm="Après le dépôt, le dossier ne peut plus être modifié sauf demande de corrections.",
        ),
    )
    def submit(self, **data):
        self.submitted_at = clock.now()
        if not self.rules_version:  # the version it is filed under (unless already pinned)
            self.rules_version = self.campaign.rules.version

    @transition(
        status,
        source=WITHDRAWABLE,
        target=S.WITHDRAWN,
        custom=_meta("Retirer le dossier", SCREENS_PORTEUR, confirm="Le retrait est définitif."),
    )
    def withdraw(self, **data):
        pass

    @transition(
        status,
        source=S.SUBMITTED,
        target=S.IN_INSTRUCTION,
        custom=_meta("Prendre en instruction", SCREENS_INSTRUCTEUR),
    )
    def start_instruction(self, by=None, **data):
        if by is not None and by.is_authenticated:
            self.instructor = by

    @transition(
        status,
        source=S.IN_INSTRUCTION,
        target=S.CORRECTIONS_REQUESTED,
        custom=_meta("Demander des corrections", SCREENS_INSTRUCTEUR, motivation=True),
    )
    def request_corrections(self, deadline=None, **data):
        self.corrections_due = deadline

    @transition(
        status,
        source=S.CORRECTIONS_REQUESTED,
        target=S.IN_INSTRUCTION,
        custom=_meta("Renvoyer le dossier corrigé", SCREENS_PORTEUR),
    )
    def resubmit(self, **data):
        self.corrections_due = None

    @transition(
        status,
        source=S.CORRECTIONS_REQUESTED,
        target=S.CLOSED_WITHOUT_FOLLOW_UP,
        custom=_meta("Classer sans suite (délai de corrections expiré)", DEADLINES, motivation=True),
    )
    def expire_corrections(self, **data):
        pass

    @transition(
        status,
        source=[S.SUBMITTED, S.IN_INSTRUCTION],
        target=S.INELIGIBLE,
        custom=_meta(
            "Déclarer irrecevable",
            SCREENS_INSTRUCTEUR,
            motivation=True,
            confirm="La décision d'irrecevabilité est notifiée à la commune.",
        ),
    )
    def declare_ineligible(self, **data):
        self.decided_at = clock.now()

    @transition(
        status,
        source=S.IN_INSTRUCTION,
        target=S.INSTRUCTED,
        custom=_meta("Terminer l'instruction", SCREENS_INSTRUCTEUR),
    )
    def complete_instruction(self, opinion="", proposed_amount=None, **data):
        if opinion:
            self.opinion = opinion
        if proposed_amount is not None:
            self.proposed_amount = proposed_amount

    @transition(
        status,
        source=S.INSTRUCTED,
        target=S.IN_INSTRUCTION,
        custom=_meta("Rouvrir l'instruction", SCREENS_INSTRUCTEUR, motivation=True),
    )
    def reopen_instruction(self, **data):
        pass

    @transition(
        status,
        source=S.INSTRUCTED,
        target=S.IN_COMMITTEE,
        custom=_meta("Inscrire à l'ordre du jour du comité", {Forum.DOSSIER: (Role.INSTRUCTEUR, Role.ADMIN)}),
    )
    def schedule(self, **data):
        """On the agenda of the session chosen in ``data["session"]`` (fonds.comite.agenda)."""

    @transition(
        status,
        source=S.IN_COMMITTEE,
        target=S.INSTRUCTED,
        custom=_meta(
            "Retirer de l'ordre du jour du comité",
            {Forum.DOSSIER: (Role.INSTRUCTEUR, Role.ADMIN), Forum.SYSTEM: (SYSTEM_ROLE,)},
            motivation=True,
        ),
    )
    def unschedule(self, **data):
        """Off the agenda of a session that has not sat yet; the system repairs orphans with it."""

    @transition(
        status,
        source=S.IN_COMMITTEE,
        target=S.APPROVED,
        custom=_meta("Accorder", SITTING, confirm="La décision d'attribution sera notifiée au maire."),
    )
    def approve(self, amount=None, agreement_due=None, **data):
        self.approved_amount = amount if amount is not None else self.proposed_amount
        self.decided_at = clock.now()
        self.agreement_due = agreement_due

    @transition(
        status,
        source=S.IN_COMMITTEE,
        target=S.REJECTED,
        custom=_meta("Refuser", SITTING, motivation=True, confirm="Le refus sera notifié au maire."),
    )
    def reject(self, **data):
        self.decided_at = clock.now()

    @transition(
        status,
        source=S.IN_COMMITTEE,
        target=S.WAITLISTED,
        custom=_meta("Inscrire en liste complémentaire", SITTING),
    )
    def waitlist(self, **data):
        self.decided_at = clock.now()

    @transition(
        status,
        source=S.IN_COMMITTEE,
        target=S.INSTRUCTED,
        custom=_meta("Ajourner (prochaine séance)", SITTING),
    )
    def defer(self, **data):
        pass

    @transition(
        status,
        source=S.WAITLISTED,
        target=S.APPROVED,
        custom=_meta("Promouvoir de la liste complémentaire", {Forum.WAITING_LIST: (SYSTEM_ROLE,)}),
    )
    def promote(self, amount=None, agreement_due=None, **data):
        self.approved_amount = amount if amount is not None else self.proposed_amount
        self.agreement_due = agreement_due

    @transition(
        status,
        source=RENOUNCEABLE,
        target=S.RENOUNCED,
        custom=_meta(
            "Renoncer à l'aide",
            SCREENS_PORTEUR,
            motivation=True,
            confirm=(
                "La renonciation est définitive : l'aide revient à l'enveloppe du fonds et bénéficie "
                "au dossier suivant de la liste complémentaire."
            ),
        ),
    )
    def renounce(self, **data):
        self.agreement_due = None

    @transition(
        status,
        source=S.APPROVED,
        target=S.AGREEMENT_SIGNED,
        custom=_meta(
            "Accepter la convention",
            SCREENS_PORTEUR,
            confirm="En acceptant, vous engagez la commune au nom du conseil municipal.",
        ),
    )
    def accept_agreement(self, **data):
        self.agreement_due = None

    @transition(
        status,
        source=S.APPROVED,
        target=S.LAPSED,
        custom=_meta("Constater la caducité (convention non acceptée)", DEADLINES, motivation=True),
    )
    def lapse(self, **data):
        pass

    @transition(
        status,
        source=S.AGREEMENT_SIGNED,
        target=S.ADVANCE_PAID,
        custom=_meta("Constater le versement de l'avance", PAYMENTS),
    )
    def pay_advance(self, report_due=None, **data):
        self.report_due = report_due

    @transition(
        status,
        source=S.ADVANCE_PAID,
        target=S.REPORT_SUBMITTED,
        custom=_meta(
            "Déposer le rapport final",
            SCREENS_PORTEUR,
            confirm="Le rapport final ne pourra plus être modifié.",
        ),
    )
    def submit_report(self, **data):
        pass

    @transition(
        status,
        source=S.REPORT_SUBMITTED,
        target=RETURN_VALUE(S.CLOSED, S.RECOVERY_PENDING),
        custom=_meta("Solder", PAYMENTS),
    )
    def settle(self, balance=None, **data):
        if balance is not None and Decimal(balance) < 0:
            return S.RECOVERY_PENDING
        return S.CLOSED

    @transition(
        status, source=S.RECOVERY_PENDING, target=S.CLOSED, custom=_meta("Constater le reversement", PAYMENTS)
    )
    def recover(self, **data):
        pass


class MoneyLine(models.Model):
    """An expense or income line in the budget's categories: planned (``BudgetLine``) or actual
    (``fonds.suivi.models.FinalReportLine``)."""

    class Kind(models.TextChoices):
        EXPENSE = "expense", "Dépense"
        INCOME = "income", "Recette"

    class Category(models.TextChoices):
        TRAVEL = "travel", "Transport"
        ACCOMMODATION = "accommodation", "Hébergement"
        FOOD = "food", "Restauration"
        ACTIVITIES = "activities", "Activités"
        OTHER_EXPENSE = "other_expense", "Autres dépenses"
        OWN_SHARE = "own_share", "Part de la commune"
        OTHER_FUNDER = "other_funder", "Autres financeurs"
        PARTICIPANTS = "participants", "Participation des familles"
        OTHER_INCOME = "other_income", "Autres recettes"

    # the expense categories, then the income ones (budget step, final report, API check)
    EXPENSES = (
        Category.TRAVEL,
        Category.ACCOMMODATION,
        Category.FOOD,
        Category.ACTIVITIES,
        Category.OTHER_EXPENSE,
    )
    INCOMES = (Category.OWN_SHARE, Category.OTHER_FUNDER, Category.PARTICIPANTS, Category.OTHER_INCOME)

    kind = models.CharField("nature", max_length=8, choices=Kind.choices)
    category = models.CharField("catégorie", max_length=20, choices=Category.choices)
    label = models.CharField("libellé", max_length=200, blank=True)
    amount = models.DecimalField(
        "montant (€)", max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    eligible = models.BooleanField("dépense éligible", default=True)

    class Meta:
        abstract = True


class BudgetLine(MoneyLine):
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="budget_lines")

    class Meta:
        verbose_name = "ligne de budget"
        ordering = ["dossier_id", "kind", "id"]


class Document(models.Model):
    class Kind(models.TextChoices):
        DELIBERATION = "deliberation", "Délibération du conseil municipal"
        TWINNING_AGREEMENT = "twinning_agreement", "Convention de jumelage ou lettre d'intention"
        PARTNER_COMMITMENT = "partner_commitment", "Lettre d'engagement du partenaire"
        RIB = "rib", "RIB de la commune"
        OTHER = "other", "Autre pièce"

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField("pièce", max_length=20, choices=Kind.choices)
    file = models.FileField("fichier", upload_to="dossiers/%Y/%m/")
    original_name = models.CharField("nom d'origine", max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = user_fk(related_name=None)
    uploaded_at = models.DateTimeField(default=clock.now)
    replaced_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "pièce justificative"
        ordering = ["dossier_id", "kind", "-uploaded_at"]


class CorrectionRequest(models.Model):
    """What the instructor asked the porteur to fix (created by the request_corrections transition)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="correction_requests")
    requested_by = user_fk()
    message = models.TextField("message de l'instructeur")
    fields = models.JSONField("champs à corriger", default=list, blank=True)
    documents = models.JSONField("pièces à fournir", default=list, blank=True)
    deadline = models.DateTimeField("échéance")
    created_at = models.DateTimeField(default=clock.now)
    answered_at = models.DateTimeField("réponse le", null=True, blank=True)
    # the reminder email N days before the deadline (fonds.suivi.reminders): sent once
    reminder_sent_at = models.DateTimeField("rappel envoyé le", null=True, blank=True)
    # the named items as the audit trail records them when asked (``editing.content_snapshot``):
    # the "before" of the answer's diff (sealed fields stay sealed)
    snapshot = models.JSONField("état des éléments à la demande", default=dict, blank=True)

    class Meta:
        verbose_name = "demande de corrections"
        ordering = ["dossier_id", "-created_at"]


class Message(models.Model):
    """The dossier's conversation between the commune (its porteurs) and the fund (instructor,
    finance, administrator): written by ``fonds.conversation.services``; a correction request and
    the porteur's answer to it are messages of the thread too (``kind``, ``correction``)."""

    class Side(models.TextChoices):
        COMMUNE = "commune", "Commune"
        FUND = "fonds", "Fonds"

    class Kind(models.TextChoices):
        MESSAGE = "message", "Message"
        CORRECTION_REQUEST = "correction_request", "Demande de corrections"
        CORRECTION_ANSWER = "correction_answer", "Réponse aux corrections"

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="messages")
    author = user_fk()
    body = models.TextField("message", validators=[MaxLengthValidator(5000)])
    created_at = models.DateTimeField(default=clock.now)
    side = models.CharField("côté", max_length=10, choices=Side.choices, default=Side.FUND)
    kind = models.CharField("nature", max_length=20, choices=Kind.choices, default=Kind.MESSAGE)
    correction = models.ForeignKey(
        CorrectionRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    # SHA-256 of the text and of each attachment's SHA-256 (the audit event's fingerprint)
    sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = "message"
        ordering = ["dossier_id", "created_at", "id"]
