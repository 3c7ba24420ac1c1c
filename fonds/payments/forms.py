"""DSFR forms of the payment pages (labels always visible; errors in plain French).

The forms only parse and check what a person typed; every rule that changes something lives in
the payment services (the bank-details form borrows its read-only ``validate_bank_details``
so that schwifty's verdict is shown next to each field before anything is saved).
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from dsfr.forms import DsfrBaseForm

from fonds.instruction.filters import DsfrCheckboxes, DsfrRadios
from fonds.referentiel.models import Campaign
from fonds.referentiel.siret import validate_siret
from fonds.ui.fields import AmountField
from fonds.ui.forms import confirm_field, long_text_field, search_field

from .bank import validate_bank_details
from .models import OrderKind, OrderState

DEPARTEMENT_RE = re.compile(r"^(\d{2,3}|2[AB])$", re.IGNORECASE)
MONEY_ERRORS = {
    "max_decimal_places": "Un montant s'exprime au centime près : deux décimales au plus.",
    "max_digits": "Montant trop grand.",
    "min_value": "Le montant ne peut pas être négatif.",
}

# an IBAN or a BIC copied from a RIB: no autofill, no spell check, capitals on mobile keyboards
BANK_CODE_ATTRS = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}

SORT_CHOICES = [
    ("-created", "Création, du plus récent"),
    ("created", "Création, du plus ancien"),
    ("-amount", "Montant, le plus élevé d'abord"),
    ("amount", "Montant, le plus faible d'abord"),
    ("reference", "Référence de l'ordre"),
    ("commune", "Commune (A → Z)"),
]


class OrderFilterForm(DsfrBaseForm):
    """Filters of the orders list; every field optional (an empty form selects every order)."""

    q = search_field("Référence de l'ordre ou du dossier, nom ou code INSEE de la commune")
    state = forms.MultipleChoiceField(
        label="États", required=False, choices=OrderState.choices, widget=DsfrCheckboxes
    )
    kind = forms.ChoiceField(label="Nature", required=False, choices=[("", "Toutes"), *OrderKind.choices])
    campaign = forms.ModelChoiceField(
        label="Campagne", required=False, queryset=None, empty_label="Toutes les campagnes"
    )
    departement = forms.CharField(
        label="Département", help_text="Code, par exemple 01, 2A ou 974", required=False, max_length=3
    )
    amount_min = AmountField(label="Montant minimal (€)", required=False, error_messages=MONEY_ERRORS)
    amount_max = AmountField(label="Montant maximal (€)", required=False, error_messages=MONEY_ERRORS)
    sort = forms.ChoiceField(label="Trier par", required=False, choices=SORT_CHOICES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.order_by("-opens_at")
        self.fields["campaign"].error_messages["invalid_choice"] = "Choisissez une campagne dans la liste."
        self.fields["state"].error_messages["invalid_choice"] = (
            "État inconnu : cochez les états dans la liste."
        )
        self.fields["kind"].error_messages["invalid_choice"] = (
            "Nature inconnue : choisissez-la dans la liste."
        )

    def clean_departement(self):
        value = (self.cleaned_data.get("departement") or "").strip().upper()
        if value and not DEPARTEMENT_RE.match(value):
            raise ValidationError("Indiquez un code de département (par exemple 01, 2A ou 974).")
        return value

    def clean_q(self):
        return (self.cleaned_data.get("q") or "").strip()

    def clean(self):
        data = super().clean()
        low, high = data.get("amount_min"), data.get("amount_max")
        if low is not None and high is not None and low > high:
            self.add_error("amount_max", "Le montant maximal doit être supérieur ou égal au montant minimal.")
        return data


def relabel(form, name: str, label: str | None = None, **attrs) -> None:
    """Change a field's label (or other attributes) after ``DsfrBaseForm.__init__``, which has
    already built — and cached — the bound fields with the class's label."""
    field = form.fields[name]
    if label is not None:
        field.label = label
    for key, value in attrs.items():
        setattr(field, key, value)
    form._bound_fields_cache.pop(name, None)


class ConfirmForm(DsfrBaseForm):
    """An explicit confirmation before an irreversible step (the label says what is confirmed)."""

    confirm = confirm_field("Je confirme")

    def __init__(self, *args, label: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            relabel(self, "confirm", label)


class MotivatedForm(ConfirmForm):
    """Confirmation with a written motivation (kept in the audit trail)."""

    motivation = long_text_field("Motivation")

    field_order = ["motivation", "confirm"]

    def __init__(self, *args, needs_motivation: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["motivation"]
        if needs_motivation:
            field.error_messages["required"] = (
                "Écrivez la motivation : elle est conservée dans la piste d'audit."
            )
            relabel(
                self,
                "motivation",
                "Motivation (obligatoire)",
                required=True,
                help_text="Elle est conservée dans la piste d'audit.",
            )
        else:
            relabel(
                self,
                "motivation",
                "Motivation (facultative)",
                help_text="Elle est conservée dans la piste d'audit.",
            )

    def clean_motivation(self):
        return (self.cleaned_data.get("motivation") or "").strip()


class BuildBatchForm(ConfirmForm):
    """The batch confirmation: the count and total the person saw travel with the form, so a
    selection that changed in between is shown again instead of being paid blind."""

    execution_date = forms.DateField(
        label="Date d'exécution demandée",
        help_text="Jour ouvré où la banque doit exécuter les virements.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Indiquez la date d'exécution.",
            "invalid": "Date invalide (JJ/MM/AAAA).",
        },
    )
    expected_count = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    expected_total = forms.DecimalField(
        widget=forms.HiddenInput, min_value=0, max_digits=16, decimal_places=2
    )

    field_order = ["execution_date", "confirm", "expected_count", "expected_total"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", "Je confirme la constitution du lot avec ces ordres")
        super().__init__(*args, **kwargs)


class ReturnForm(DsfrBaseForm):
    """A transfer the bank returned: its end-to-end id (the order's reference) and the bank's
    ISO 20022 reason code."""

    end_to_end_id = forms.CharField(
        label="Identifiant de bout en bout du virement rejeté",
        max_length=35,
        help_text=(
            "Tel qu'il figure dans le retour de la banque, par exemple FJJ-2026-000123-AV1 (colonne « "
            "Identifiant de bout en bout » ci-dessous)."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": "Indiquez l'identifiant de bout en bout du virement rejeté."},
    )
    reason_code = forms.ChoiceField(
        label="Motif du rejet (code transmis par la banque)",
        error_messages={
            "required": "Choisissez le code motif transmis par la banque.",
            "invalid_choice": "Code motif inconnu : choisissez-le dans la liste.",
        },
    )
    confirm = confirm_field(
        "Je confirme le rejet de ce virement (l'ordre devra être réémis après correction des "
        "coordonnées bancaires)"
    )

    def __init__(self, *args, reasons: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason_code"].choices = [("", "Choisir un code motif")] + [
            (code, f"{code} — {label}") for code, label in (reasons or {}).items()
        ]

    def clean_end_to_end_id(self):
        return (self.cleaned_data.get("end_to_end_id") or "").strip().upper()


class BankDetailsForm(DsfrBaseForm):
    """The commune's IBAN, BIC and holder, the town hall's SIRET, and the RIB they are read from
    (porteur). The SIRET is required here and checked against the commune's SIREN (shown in the
    hint: the mayor may not know it) by ``fonds.referentiel.siret``."""

    iban = forms.CharField(
        label="IBAN",
        max_length=50,
        help_text=(
            "Tel qu'il figure sur le RIB, par exemple FR76 3000 6000 0112 3456 7890 189 (les espaces sont "
            "acceptés)."
        ),
        widget=forms.TextInput(attrs=BANK_CODE_ATTRS),
        error_messages={"required": "Indiquez l'IBAN du compte de la commune."},
    )
    bic = forms.CharField(
        label="BIC",
        max_length=20,
        help_text="8 ou 11 caractères, par exemple BDFEFRPPCCT.",
        widget=forms.TextInput(attrs=BANK_CODE_ATTRS),
        error_messages={"required": "Indiquez le BIC de la banque."},
    )
    holder = forms.CharField(
        label="Titulaire du compte",
        max_length=140,
        help_text=(
            "Tel qu'il figure sur le RIB, par exemple : Trésorerie de Saint-Exemple (commune de "
            "Saint-Exemple)."
        ),
        error_messages={"required": "Indiquez le titulaire du compte."},
    )
    siret = forms.CharField(
        label="SIRET de la mairie",
        max_length=30,
        help_text=(
            "14 chiffres : le SIREN de la commune suivi des 5 chiffres du NIC de la mairie (les espaces "
            "sont acceptés)."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "numeric"}),
        error_messages={
            "required": "Indiquez le SIRET de la mairie (14 chiffres).",
            "max_length": "Le SIRET compte 14 chiffres.",
        },
    )
    rib_document = forms.TypedChoiceField(
        label="RIB sur lequel ces coordonnées sont lues",
        coerce=int,
        widget=DsfrRadios,
        required=False,
        help_text=(
            "Le RIB (PDF) joint à un dossier de la commune ; le fonds vérifie les coordonnées sur cette "
            "pièce."
        ),
        error_messages={"invalid_choice": "Choisissez un RIB dans la liste."},
    )
    rib_file = forms.FileField(
        label="Ou déposez un nouveau RIB",
        required=False,
        help_text=(
            "PDF, JPEG ou PNG. Il remplace le RIB de référence de la commune ; le fonds vérifie les "
            "coordonnées sur ce nouveau document."
        ),
        error_messages={
            "invalid": "Le fichier envoyé est illisible : déposez-le à nouveau.",
            "empty": "Le fichier est vide.",
        },
    )
    confirm_change = forms.BooleanField(
        label=(
            "Je comprends que les paiements à la commune seront suspendus jusqu'à la nouvelle vérification "
            "de ces coordonnées par le fonds"
        ),
        required=False,
    )

    def __init__(
        self, *args, ribs=(), certified: bool = False, current: tuple | None = None, siren: str = "", **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.certified = certified
        self.current = (
            current  # (iban, bic, holder, siret, rib id) as recorded: saving them again changes nothing
        )
        self.siren = (siren or "").strip()
        if self.siren:
            relabel(
                self,
                "siret",
                help_text=(
                    f"14 chiffres : le SIREN de la commune, {self.siren}, suivi des 5 chiffres du NIC "
                    "de la mairie "
                    f"(par exemple {self.siren} 00017 ; les espaces sont acceptés). Vous le trouvez sur "
                    "l'avis de situation "
                    "au répertoire SIRENE de l'Insee ou sur annuaire-entreprises.data.gouv.fr."
                ),
            )
        self.fields["rib_document"].choices = [
            (
                doc.pk,
                f"{doc.original_name} — dossier {doc.dossier.reference}, déposé le "
                f"{doc.uploaded_at:%d/%m/%Y}",
            )
            for doc in ribs
        ]
        if not certified:
            del self.fields["confirm_change"]

    def clean(self):
        data = super().clean()
        if "siret" in data:
            try:
                data["siret"] = validate_siret(data["siret"], self.siren)
            except ValidationError as exc:
                self.add_error("siret", exc.messages)
        if {"iban", "bic", "holder"} <= set(data):
            try:
                data["iban"], data["bic"], data["holder"] = validate_bank_details(
                    data["iban"], data["bic"], data["holder"]
                )
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    self.add_error(name if name in self.fields else None, messages)
        unchanged = (
            self.current is not None
            and not data.get("rib_file")
            and (
                data.get("iban"),
                data.get("bic"),
                data.get("holder"),
                data.get("siret"),
                data.get("rib_document") or self.current[4],
            )
            == self.current
        )
        if self.current is None and not data.get("rib_file") and not data.get("rib_document"):
            self.add_error(
                "rib_file", "Joignez le RIB de la commune : choisissez-le dans la liste ou déposez-le."
            )
        if self.certified and not self.errors and not unchanged and not data.get("confirm_change"):
            self.add_error(
                "confirm_change",
                "Cochez la case : modifier des coordonnées déjà vérifiées suspend les paiements "
                "jusqu'à la nouvelle vérification.",
            )
        return data

    def rib_upload(self):
        """``(name, bytes)`` of the uploaded RIB, or None (the service checks the content)."""
        upload = self.cleaned_data.get("rib_file")
        if not upload:
            return None
        return upload.name, upload.read()


class RecoveryAnswerForm(DsfrBaseForm):
    """The mayor's observations on a recovery order (contradictory step)."""

    text = forms.CharField(
        label="Vos observations",
        max_length=5000,
        min_length=3,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=(
            "Expliquez, le cas échéant, pourquoi le montant à reverser vous paraît inexact (5 000 "
            "caractères au plus). Le fonds les lit avant de décider."
        ),
        error_messages={
            "required": "Écrivez vos observations.",
            "min_length": "Écrivez vos observations.",
            "max_length": "5 000 caractères au plus.",
        },
    )
    confirm = confirm_field("J'envoie ces observations au nom de la commune (une seule réponse possible)")
