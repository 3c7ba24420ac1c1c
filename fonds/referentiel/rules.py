"""The default rule set of a campaign: every number of the règlement, as data.

These are *defaults* copied into a new campaign's first `RuleSet`; an administrator edits them
per campaign, which creates a new version. Rule functions read a `RuleSet`, never this module.
Amounts are strings (Decimal-safe in JSON).
"""

from __future__ import annotations

import copy

DEFAULT_RULES: dict = {
    "eligibility": {
        "max_population": 3500,  # E1
        "min_youth": 5,  # E4
        "youth_min_age": 13,
        "youth_max_age": 30,
        "leader_min_age": 18,
        "youth_per_leader": 10,
        "min_activity_days": 3,  # E5
        "max_activity_days": 21,
        "min_days_before_start": 30,
        "min_own_share_pct": "10",  # E6
        "max_grant_pct_of_eligible": "80",
        "min_request": "1000",
        "max_request": "15000",
        "required_documents": ["deliberation", "twinning_agreement", "partner_commitment", "rib"],
        # a rule flagged blocking stops the submission; an advisory one only warns
        "blocking": {
            "E1": True,
            "E2": True,
            "E3": True,
            "E4": True,
            "E5": True,
            "E6": True,
            "E7": True,
            "E8": True,
            "E9": True,
        },
    },
    "scoring": {
        "threshold_total": 60,
        "min_share_per_criterion_pct": 50,
        "criteria": [
            {
                "code": "participation",
                "label": "Participation des jeunes, co-construction, réciprocité",
                "max": 25,
                "automatic": False,
            },
            {
                "code": "inclusion",
                "label": "Inclusion : jeunes ayant moins d'opportunités, premier voyage",
                "max": 20,
                "automatic": False,
            },
            {
                "code": "quality",
                "label": "Qualité du programme : interculturel, langues, protection des mineurs, "
                "engagement du partenaire",
                "max": 20,
                "automatic": False,
            },
            {"code": "territorial", "label": "Priorité territoriale", "max": 15, "automatic": True},
            {"code": "low_carbon", "label": "Mobilité bas carbone", "max": 10, "automatic": False},
            {"code": "budget", "label": "Réalisme du budget", "max": 10, "automatic": False},
        ],
        "territorial_bands": [
            {"below": 1000, "points": 15},
            {"below": 2000, "points": 10},
            {"below": 3501, "points": 5},
        ],
        "overseas_bonus": 5,
    },
    "amount": {
        "cap": "15000",
        "max_pct_of_eligible": "80",
        "floor": "1000",
        "organisation": "500",
        "stay_per_night": "25",
        # one-way great-circle distance bands [min_km, max_km or null, standard €, green €]
        "travel_bands": [
            [10, 99, "28", "56"],
            [100, 499, "211", "285"],
            [500, 1999, "309", "417"],
            [2000, 2999, "395", "535"],
            [3000, 3999, "580", "785"],
            [4000, 7999, "1188", "1188"],
            [8000, None, "1735", "1735"],
        ],
    },
    "committee": {
        "convocation_min_days": 5,
        "max_proxies_per_member": 1,
        "quorum_fraction": "0.5",
        # a session opens at the earliest this many minutes before its scheduled start
        "open_tolerance_minutes": 15,
    },
    "payment": {
        "advance_pct": "75",
    },
    "deadlines": {
        "corrections_days": 15,
        "corrections_reminder_days": 3,
        "agreement_days": 30,
        "agreement_reminder_days": 7,
        "report_months_after_end": 2,
        "report_reminder_days": 14,
        "recovery_answer_days": 15,
        "activity_period_months": 12,
    },
    "uploads": {
        "max_file_mb": 10,
        "max_dossier_mb": 50,
    },
    "retention": {
        "minors_data_years": 5,
    },
    "notifications": {
        # a dossier waiting longer than this in a staff queue goes in that queue's digest
        "max_wait_working_days": 10,
    },
}


def default_rules() -> dict:
    return copy.deepcopy(DEFAULT_RULES)


def setting(params: dict, section: str, key: str):
    """``params[section][key]`` of a rule set; a key added to the defaults after the rule set was
    created (rule sets are immutable) reads its default value from ``DEFAULT_RULES``, never from a
    constant in the calling code."""
    value = (params.get(section) or {}).get(key)
    return DEFAULT_RULES[section][key] if value is None else value
