"""The decision export's 46 columns as ONE PostgreSQL query (bench only): the floor (``COPY`` of
it) and what django-import-export is fed (a raw queryset of it) in ``bench_exports.py``, so that
the three exports compare on the same rows and the same columns.

Same values as ``fonds.reporting.decisions`` (latest non-preview eligibility run's verdicts,
overrides, scores, amounts, paid and recovered amounts, latest agenda item, latest date of each
stage from the audit trail, dates in Paris time), with codes where the product prints labels
(status, region, verdicts, outcome) and the raw tally JSON for the votes."""

from __future__ import annotations

STAGES = [
    ("date_depot", ("submit",)),
    ("date_prise_en_instruction", ("start_instruction",)),
    ("date_demande_corrections", ("request_corrections",)),
    ("date_fin_instruction", ("complete_instruction",)),
    ("date_inscription_comite", ("schedule",)),
    ("date_decision", ("approve", "reject", "waitlist", "promote", "declare_ineligible")),
    ("date_convention", ("accept_agreement",)),
    ("date_avance", ("pay_advance",)),
    ("date_rapport_final", ("submit_report",)),
    ("date_solde", ("settle",)),
    ("date_reversement", ("recover",)),
    ("date_fin", ("withdraw", "lapse", "expire_corrections")),
]
CODES = [f"E{n}" for n in range(1, 10)]
CRITERIA = ["participation", "inclusion", "quality", "territorial", "low_carbon", "budget"]


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


def columns() -> list[str]:
    return (
        ["reference", "campagne", "commune", "code_insee", "population", "departement", "region"]
        + ["statut", "statut_code"]
        + [f"eligibilite_{c}" for c in CODES]
        + ["derogations"]
        + [f"note_{c}" for c in CRITERIA]
        + ["note_totale", "montant_demande", "montant_propose", "montant_accorde"]
        + ["montant_verse", "montant_reverse", "seance_comite", "decision_comite", "votes"]
        + [key for key, _ in STAGES]
    )


def query(max_id: int | None = None, with_id: bool = False) -> str:
    """The SELECT (``with_id``: plus the dossier id, which a raw queryset needs, and every column
    named ``c_<name>``, clear of the model's field names)."""
    verdicts = ", ".join(f"max(v.result) FILTER (WHERE v.code = '{c}') AS e_{c}" for c in CODES)
    scores = ", ".join(f"max(points) FILTER (WHERE criterion = '{c}') AS s_{c}" for c in CRITERIA)
    local = "((max(created_at) FILTER (WHERE action IN ({})) AT TIME ZONE 'Europe/Paris')::date) AS {}"
    stages = ", ".join(local.format(_in(actions), key) for key, actions in STAGES)
    every_action = _in(a for _, actions in STAGES for a in actions)
    select = (
        ["d.reference", "c.name", "cm.name", "cm.code", "cm.population", "cm.departement", "cm.region"]
        + ["d.status", "d.status"]
        + [f"e.e_{c}" for c in CODES]
        + ["o.codes"]
        + [f"s.s_{c}" for c in CRITERIA]
        + ["a.score_total", "d.requested_amount", "d.proposed_amount", "d.approved_amount"]
        + [
            "p.paid",
            "p.recovered",
            "(ag.starts_at AT TIME ZONE 'Europe/Paris')::date",
            "ag.outcome",
            "ag.tally",
        ]
        + [f"st.{key}" for key, _ in STAGES]
    )
    names = [f"c_{n}" for n in columns()] if with_id else columns()
    extra = ", d.id AS id" if with_id else ""
    where = "d.status <> 'draft'" + (f" AND d.id <= {int(max_id)}" if max_id else "")
    return f"""
SELECT {", ".join(f"{expr} AS {name}" for expr, name in zip(select, names, strict=True))}{extra}
FROM dossiers_dossier d
JOIN referentiel_campaign c ON c.id = d.campaign_id
JOIN referentiel_commune cm ON cm.code = d.commune_id
LEFT JOIN instruction_assessment a ON a.dossier_id = d.id
LEFT JOIN LATERAL (
    SELECT {verdicts} FROM eligibilite_verdict v WHERE v.run_id = (
        SELECT r.id FROM eligibilite_eligibilityrun r WHERE r.dossier_id = d.id AND r.moment <> 'preview'
        ORDER BY r.ran_at DESC, r.id DESC LIMIT 1)
) e ON true
LEFT JOIN LATERAL (
    SELECT string_agg(DISTINCT code, ' ' ORDER BY code) AS codes
    FROM instruction_eligibilityoverride WHERE dossier_id = d.id
) o ON true
LEFT JOIN LATERAL (SELECT {scores} FROM instruction_score WHERE dossier_id = d.id) s ON true
LEFT JOIN LATERAL (
    SELECT sum(amount) FILTER (WHERE kind <> 'recovery') AS paid,
           sum(amount) FILTER (WHERE kind = 'recovery') AS recovered
    FROM payments_paymentorder WHERE dossier_id = d.id AND state = 'paid'
) p ON true
LEFT JOIN LATERAL (
    SELECT se.starts_at, i.outcome, i.tally FROM comite_agendaitem i
    JOIN comite_session se ON se.id = i.session_id WHERE i.dossier_id = d.id
    ORDER BY se.starts_at DESC, i.id DESC LIMIT 1
) ag ON true
LEFT JOIN LATERAL (
    SELECT {stages} FROM audit_auditevent
    WHERE object_type = 'dossiers.dossier' AND object_id = d.id::text AND action IN ({every_action})
) st ON true
WHERE {where}
ORDER BY d.id"""
