"""History PDFs and timelines tell each audit event in a French sentence (issue 18): amounts and
dates through ``fonds.formats``, statuses by their labels, never a payload key or raw JSON."""

from __future__ import annotations

from fonds.ui.event_sentences import describe
from tests.french import text_problems


def test_an_amount_and_its_motivation_in_one_sentence():
    sentence = describe("amount_proposed", {"proposed_amount": "5500.00", "motivation": "Budget réaliste."})
    assert sentence == "Montant proposé : 5\u00a0500\u00a0€ (motivation : Budget réaliste)."


def test_a_transition_tells_its_statuses_and_dates_not_its_keys():
    payload = {
        "data": {
            "agreement_due": "2027-01-29T10:00:00+00:00",
            "amount": "5000.00",
            "award_bounds": {"cap": "1"},
        },
        "forum": "committee_sitting",
        "from": "in_committee",
        "to": "approved",
        "motivation": "",
        "reference": "FJJ-2026-000012",
        "rules_version": 1,
    }
    sentence = describe("approve", payload)
    assert sentence.startswith("Statut : En comité → ")
    assert "29 janvier 2027" in sentence and "5\u00a0000\u00a0€" in sentence
    assert "award_bounds" not in sentence and "committee_sitting" not in sentence
    assert text_problems(sentence) == []


def test_nothing_to_tell_is_an_empty_sentence():
    assert describe("receipt_generated", {"sha256": "ab" * 32, "key": "receipt-1", "size": 1234}) == ""
