"""The life of a dossier after its submission — read this file to know every stage.

* ``Stage(status, roles=…)``: a human task; the dossier waits in ``status`` until somebody fires
  one of its transitions through ``fonds.dossiers.services.perform``. ``roles`` is the queue the
  task lands in (``workflows.queues``); ``deadline`` names the dossier field holding the due date.
* ``Route(…)`` follows every stage and reads the dossier's new status (``.When(status, next)``);
  no default branch: an unexpected status raises and the transition is rolled back.
* ``Ending(status)`` closes the process in one of the dossier's final statuses.
* Nothing here decides: the rules live in the dossier's state machine and its service; the
  process mirrors it in the same transaction (``workflows/process.py``). Deadlines are system
  transitions fired by ``workflows.tasks.expire_deadlines`` (no viewflow timers: no audit event).

Stages at a glance: ``docs/flow.md`` and ``docs/flow.svg`` (``python manage.py export_flow_chart``;
a test fails when they are out of date). ``tests/workflows/test_consistency.py`` checks this flow
against the state machine.
"""

from __future__ import annotations

from django.conf import settings
from viewflow import this
from viewflow.workflow import flow, lock

from fonds.accounts.roles import Role
from fonds.dossiers.states import Status as S
from fonds.eligibilite.models import Verdict

from .models import DossierProcess
from .nodes import Ending, Route, Stage


def _instructor(dossier):
    return dossier.instructor


class DossierFlow(flow.Flow):
    """Dossier de subvention

    Du dépôt du dossier par la commune à son solde : instruction, corrections, comité,
    convention, avance, rapport final, solde ou reversement.
    """

    process_class = DossierProcess
    # PostgreSQL: the process row is locked (SELECT … FOR UPDATE) while the flow moves. The dossier
    # row is always locked first (by `perform`), so the order is dossier → process: no deadlock.
    # SQLite has no row locks; its writes are serialised (BEGIN IMMEDIATE, see settings).
    lock_impl = lock.select_for_update_lock if settings.IS_POSTGRES else lock.no_lock

    # ---- submission (system) ----------------------------------------------------------------
    start = (
        flow.StartHandle(this.start_process).Annotation(title="Dépôt du dossier").Next(this.check_eligibility)
    )

    check_eligibility = (
        flow.Function(this.record_eligibility)
        .Annotation(
            title="Contrôles d'éligibilité au dépôt",
            description="E1–E9 ont été évalués par le dépôt lui-même (transaction du dépôt) ; "
            "cette étape relie le contrôle enregistré au processus.",
        )
        .Next(this.take_for_instruction)
    )

    # ---- instruction (instructeurs) -------------------------------------------------------
    take_for_instruction = (
        Stage(S.SUBMITTED, roles=(Role.INSTRUCTEUR,))
        .Annotation(
            title="Prendre en instruction",
            description="Un instructeur prend le dossier déposé (les contrôles sont rejoués).",
        )
        .Next(this.after_take_for_instruction)
    )
    after_take_for_instruction = (
        Route("Prise en instruction ?")
        .When(S.IN_INSTRUCTION, this.instruct)
        .When(S.INELIGIBLE, this.end_ineligible)
        .When(S.WITHDRAWN, this.end_withdrawn)
    )

    instruct = (
        Stage(S.IN_INSTRUCTION, roles=(Role.INSTRUCTEUR,), assign=_instructor)
        .Annotation(
            title="Instruire",
            description="L'instructeur note, propose un montant, ou demande des corrections.",
        )
        .Next(this.after_instruct)
    )
    after_instruct = (
        Route("Issue de l'instruction")
        .When(S.CORRECTIONS_REQUESTED, this.correct)
        .When(S.INSTRUCTED, this.schedule)
        .When(S.INELIGIBLE, this.end_ineligible)
        .When(S.WITHDRAWN, this.end_withdrawn)
    )

    correct = (
        Stage(S.CORRECTIONS_REQUESTED, roles=(Role.PORTEUR,), deadline="corrections_due")
        .Annotation(
            title="Corriger le dossier",
            description="La commune corrige et renvoie son dossier avant l'échéance.",
        )
        .Next(this.after_correct)
    )
    after_correct = (
        Route("Corrections reçues ?")
        .When(S.IN_INSTRUCTION, this.instruct)
        .When(S.CLOSED_WITHOUT_FOLLOW_UP, this.end_closed_without_follow_up)
        .When(S.WITHDRAWN, this.end_withdrawn)
    )

    schedule = (
        Stage(S.INSTRUCTED, roles=(Role.INSTRUCTEUR, Role.ADMIN))
        .Annotation(
            title="Inscrire au comité",
            description="Le dossier instruit est inscrit à l'ordre du jour d'une séance.",
        )
        .Next(this.after_schedule)
    )
    after_schedule = (
        Route("Inscrit au comité ?")
        .When(S.IN_COMMITTEE, this.committee)
        .When(S.IN_INSTRUCTION, this.instruct)
        .When(S.WITHDRAWN, this.end_withdrawn)
    )

    # ---- decision (comité) ------------------------------------------------------------------
    committee = (
        Stage(S.IN_COMMITTEE, roles=(Role.COMITE,))
        .Annotation(
            title="Décision du comité",
            description="Le comité accorde, refuse, inscrit en liste complémentaire ou ajourne.",
        )
        .Next(this.after_committee)
    )
    after_committee = (
        Route("Décision")
        .When(S.APPROVED, this.sign_agreement)
        .When(S.WAITLISTED, this.waitlist)
        .When(S.INSTRUCTED, this.schedule)
        .When(S.REJECTED, this.end_rejected)
    )

    waitlist = (
        Stage(S.WAITLISTED, roles=())
        .Annotation(
            title="Liste complémentaire",
            description="Promu automatiquement, dans l'ordre du classement, quand l'enveloppe le permet.",
        )
        .Next(this.after_waitlist)
    )
    after_waitlist = Route("Promu ?").When(S.APPROVED, this.sign_agreement)

    # ---- agreement and payment (commune, finance) ---------------------------------------------
    sign_agreement = (
        Stage(S.APPROVED, roles=(Role.PORTEUR,), deadline="agreement_due")
        .Annotation(
            title="Accepter la convention",
            description="Le maire accepte la convention en ligne avant l'échéance, sinon l'aide est caduque.",
        )
        .Next(this.after_sign_agreement)
    )
    after_sign_agreement = (
        Route("Convention acceptée ?")
        .When(S.AGREEMENT_SIGNED, this.pay_advance)
        .When(S.LAPSED, this.end_lapsed)
        .When(S.RENOUNCED, this.end_renounced)
    )

    pay_advance = (
        Stage(S.AGREEMENT_SIGNED, roles=(Role.FINANCE,))
        .Annotation(
            title="Verser l'avance",
            description="La gestion financière constate le versement de l'avance (75 %).",
        )
        .Next(this.after_pay_advance)
    )
    after_pay_advance = (
        Route("Avance versée").When(S.ADVANCE_PAID, this.final_report).When(S.RENOUNCED, this.end_renounced)
    )

    final_report = (
        Stage(S.ADVANCE_PAID, roles=(Role.PORTEUR,), deadline="report_due")
        .Annotation(
            title="Déposer le rapport final",
            description="La commune dépose le rapport final dans les deux mois suivant la fin du projet.",
        )
        .Next(this.after_final_report)
    )
    after_final_report = Route("Rapport déposé").When(S.REPORT_SUBMITTED, this.settle)

    settle = (
        Stage(S.REPORT_SUBMITTED, roles=(Role.FINANCE,))
        .Annotation(
            title="Solder",
            description=(
                "Le solde est recalculé sur les dépenses réelles ; négatif, il donne lieu à un reversement."
            ),
        )
        .Next(this.after_settle)
    )
    after_settle = Route("Solde").When(S.CLOSED, this.end_closed).When(S.RECOVERY_PENDING, this.recover)

    recover = (
        Stage(S.RECOVERY_PENDING, roles=(Role.FINANCE,))
        .Annotation(
            title="Recouvrer le trop-perçu", description="La gestion financière constate le reversement."
        )
        .Next(this.after_recover)
    )
    after_recover = Route("Reversement constaté").When(S.CLOSED, this.end_closed)

    # ---- endings: one per final status of the dossier ------------------------------------------
    end_ineligible = Ending(S.INELIGIBLE)
    end_withdrawn = Ending(S.WITHDRAWN)
    end_closed_without_follow_up = Ending(S.CLOSED_WITHOUT_FOLLOW_UP)
    end_rejected = Ending(S.REJECTED)
    end_lapsed = Ending(S.LAPSED)
    end_closed = Ending(S.CLOSED)
    end_renounced = Ending(S.RENOUNCED)

    # ---- system steps -------------------------------------------------------------------------
    def start_process(self, activation, *, dossier, by=None):
        """Start handle: the process of ``dossier`` begins with its submission by ``by``."""
        actor = by if getattr(by, "is_authenticated", False) else None
        activation.process.dossier = dossier
        activation.task.owner = actor
        activation.task.data = {
            "transition": "submit",
            "by": actor.pk if actor else None,
            "to": dossier.status,
        }
        return activation.process

    def record_eligibility(self, activation):
        """Link the eligibility run the submission just stored (E1–E9) to the process.

        The checks are *not* run again here: ``perform(…, "submit")`` ran and stored them in this
        very transaction (a blocking failure refuses the submission, so a process never starts for
        an ineligible deposit). Running them twice would store two runs and two audit events for
        one deposit. The second run the règlement asks for happens when an instructor takes the
        dossier (``start_instruction``). Non-blocking failures are copied here so the instructor's
        queue can flag them.
        """
        dossier = activation.process.dossier
        run = dossier.eligibility_runs.filter(moment="submission").order_by("-ran_at", "-id").first()
        summary = {"eligibility_run": None, "rules_version": dossier.rules_version, "warnings": []}
        if run is not None:
            summary["eligibility_run"] = run.pk
            summary["rules_version"] = run.rules_version
            summary["warnings"] = sorted(
                run.verdicts.filter(result=Verdict.Result.FAIL).values_list("code", flat=True)
            )
        activation.task.data = {**(activation.task.data or {}), **summary}
        activation.process.data = {**(activation.process.data or {}), **summary}
        activation.process.save(update_fields=["data"])

    # ---- lookups used by handlers, queues and the chart --------------------------------------
    @classmethod
    def stages(cls) -> list[Stage]:
        return [node for node in cls.instance.nodes() if isinstance(node, Stage)]

    @classmethod
    def stage_for(cls, status: str) -> Stage | None:
        """The stage in which a dossier in ``status`` waits (None for drafts and final statuses)."""
        for stage in cls.stages():
            if stage.waits_in == status:
                return stage
        return None
