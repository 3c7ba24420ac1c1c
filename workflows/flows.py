"""The life of a dossier after its submission — read this file to know every stage.

How to read it
==============
* ``Stage(status, roles=…)`` is a **human task**: the dossier *waits in that status* until
  somebody fires one of the status's transitions through ``fonds.dossiers.services.perform``
  (from a screen, the API or a Celery task). ``roles`` is the **queue** the task lands in — who
  is expected to act (``workflows.queues`` lists "my tasks"). A porteur only sees the tasks of
  their commune's dossiers; a committee member never sees a dossier they instructed.
  ``deadline`` names the dossier field that holds the due date.
* ``Route(…)`` follows every stage and reads the dossier's **new** status:
  ``.When(status, next)`` — "if the dossier is now in *status*, go to *next*". There is no default
  branch: a status the flow does not expect raises, and the dossier transition is rolled back.
* ``Ending(status)`` closes the process in one of the dossier's final statuses.
* Nothing here decides anything: the rules (who may fire what, conditions, amounts) live in the
  dossier's state machine (``fonds/dossiers/models.py``) and its service. The process only mirrors
  it, in the same database transaction (``workflows/handlers.py``): ``submit`` starts it, every
  other transition completes the open stage, recording the transition and the actor on the task.
  A dossier whose status was set outside ``perform`` (fixture, import, manual fix) has its process
  created or realigned on its next transition, visibly (see ``workflows/handlers.py``).
* Deadlines: the hourly Celery task ``workflows.tasks.expire_deadlines`` fires the *system*
  transitions ``expire_corrections`` and ``lapse``; they complete the stage like any other
  transition (audited, routed here). viewflow's timer boundaries are not used on purpose: they
  would move the process without a dossier transition, hence without audit event.

The chart is exported to ``docs/flow.svg`` and ``docs/flow.md`` (``python manage.py
export_flow_chart``; a test fails when they are out of date).

Stages at a glance (the dossier status each stage waits in, in brackets)
==================
start, check_eligibility   system: the submission started the process; E1–E9 were checked by it
take_for_instruction       instructeurs        start_instruction → instruct
  [submitted]                                  declare_ineligible → end (irrecevable) · withdraw (porteur) → end (retiré)
instruct                   the instructeur     request_corrections → correct · complete_instruction → schedule
  [in_instruction]         who took it         declare_ineligible → end (irrecevable) · withdraw (porteur) → end (retiré)
correct                    porteur (commune)   resubmit → instruct
  [corrections_requested]  by corrections_due  expire_corrections (system) → end (classé sans suite) · withdraw → end (retiré)
schedule                   instructeurs, admin schedule → committee · reopen_instruction → instruct
  [instructed]                                 withdraw (porteur) → end (retiré)
committee                  comité, in a        approve → sign_agreement · waitlist → waitlist · defer → schedule
  [in_committee]           sitting             reject → end (refusé) · unschedule (instructeur, admin) → schedule
waitlist [waitlisted]      system              promote (money freed, ranking order) → sign_agreement
sign_agreement             porteur (commune)   accept_agreement → pay_advance · renounce → end (renoncé)
  [approved]               by agreement_due    lapse (system) → end (caduc)
pay_advance                finance             pay_advance → final_report
  [agreement_signed]                           renounce (porteur) → end (renoncé)
final_report               porteur (commune)   submit_report → settle
  [advance_paid]           by report_due
settle [report_submitted]  finance             settle → end (soldé), or recover when the balance is negative
recover [recovery_pending] finance             recover → end (soldé)

(``tests/workflows/test_consistency.py`` checks this flow against the state machine: every
waiting status has one stage, every transition out of it is routed, every queue may act.)
"""

from __future__ import annotations

from django.conf import settings
from viewflow import this
from viewflow.workflow import flow, lock

from fonds.accounts.roles import Role
from fonds.dossiers.states import Status as S

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
            description="Le solde est recalculé sur les dépenses réelles ; négatif, il donne lieu à un reversement.",
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
        from fonds.eligibilite.models import Verdict

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
