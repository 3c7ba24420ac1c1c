"""Every kind of tampering is detected and names the right first bad sequence number.

Each test lifts the append-only triggers first, as an attacker with administrator rights on the
database would (see fonds/audit/protection.py); the rollback of the test restores them.
"""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from fonds.audit import chain
from fonds.audit.canonical import chain_hash
from fonds.audit.models import AuditEvent

from .conftest import forge, is_postgres, tamper

E = "audit_auditevent"
H = "audit_chainhead"


def assert_bad(seq: int, reason_part: str = ""):
    result = chain.verify()
    assert not result.ok, result
    assert result.first_bad_seq == seq, result
    assert reason_part in result.reason, result
    # the command says the same and exits non-zero
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_audit", stdout=io.StringIO(), stderr=err)
    assert exit_info.value.code == 1
    assert f"n° {seq} " in err.getvalue()
    return result


@pytest.mark.django_db
def test_intact_chain_and_command_output(events):
    assert chain.verify().ok
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert out.getvalue().strip() == "Piste d'audit intègre : 10 événements."
    quiet = io.StringIO()
    call_command("verify_audit", "--quiet", stdout=quiet)
    assert quiet.getvalue() == ""


@pytest.mark.django_db
def test_empty_chain_is_intact():
    result = chain.verify()
    assert (result.ok, result.count) == (True, 0)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "column, value",
    [
        ("canonical", None),  # replaced by a modified text below
        ("prev_hash", "f" * 64),
        ("hash", "e" * 64),
        ("action", "reject"),
        ("object_id", "9999"),
        ("object_type", "paiements.paymentorder"),
        ("actor_id", 424242),
        ("actor_id", None),  # on event 4, which has an actor
        ("actor_role", "admin"),
        ("created_at", dt.datetime(2031, 1, 1, tzinfo=dt.UTC)),
    ],
)
def test_update_of_any_column_is_detected(events, column, value):
    if column == "canonical":
        value = events[4].canonical.replace("1238.50", "9238.50")
        assert value != events[4].canonical
    if column == "created_at" and not is_postgres():
        value = "2031-01-01 00:00:00"
    seq = 4 if column == "actor_id" and value is None else 5
    tamper(f"UPDATE {E} SET {column} = %s WHERE seq = %s", [value, seq])
    assert_bad(seq)


@pytest.mark.django_db
def test_created_at_shifted_by_one_microsecond_is_detected(events):
    if is_postgres():
        tamper(f"UPDATE {E} SET created_at = created_at + interval '1 microsecond' WHERE seq = 6")
    else:
        tamper(f"UPDATE {E} SET created_at = '2030-02-15 09:05:00.000001' WHERE seq = 6")
    assert_bad(6, "colonne")


@pytest.mark.django_db
def test_created_at_in_another_textual_form_is_detected_on_sqlite(events):
    if is_postgres():
        pytest.skip("SQLite only: PostgreSQL stores a timestamp, not text")
    tamper(f"UPDATE {E} SET created_at = '2030-02-15T09:05:00' WHERE seq = 6")
    assert_bad(6)


@pytest.mark.django_db
def test_canonical_rewritten_with_matching_hash_breaks_the_next_link(events):
    """Forger rewrites event 4 and recomputes its hash: event 5 no longer follows it."""
    forged = events[3].canonical.replace("Échange", "Echange")
    forge(events[3], forged)
    assert_bad(4, "l'événement n° 4 n'est pas celui que l'événement n° 5 a chaîné (remplacé ou forgé)")


@pytest.mark.django_db
def test_last_event_rewritten_with_matching_hash_is_caught_by_the_head(events):
    forged = events[9].canonical.replace("Échange", "Echange")
    forge(events[9], forged)
    assert_bad(10, "tête")


@pytest.mark.django_db
def test_seq_moved_far_away(events):
    tamper(f"UPDATE {E} SET seq = 1000000 WHERE seq = 5")
    assert_bad(5, "absent")


@pytest.mark.django_db
def test_delete_in_the_middle(events):
    tamper(f"DELETE FROM {E} WHERE seq = 7")
    assert_bad(7, "absent")


@pytest.mark.django_db
def test_delete_several_in_the_middle(events):
    tamper(f"DELETE FROM {E} WHERE seq IN (3, 4, 8)")
    assert_bad(3)


@pytest.mark.django_db
def test_delete_of_the_last_event_is_detected_by_the_head(events):
    tamper(f"DELETE FROM {E} WHERE seq = 10")
    assert_bad(10, "supprimé")


@pytest.mark.django_db
def test_delete_of_the_last_three_events(events):
    tamper(f"DELETE FROM {E} WHERE seq >= 8")
    assert_bad(8, "supprimé")


@pytest.mark.django_db
def test_delete_of_everything_is_detected_by_the_head(events):
    tamper(f"DELETE FROM {E}")
    assert_bad(1, "supprimé")


@pytest.mark.django_db
def test_forged_event_inserted_after_the_last(events):
    """A well-chained forged event 11 (the head was not moved) is beyond the head."""
    with_seq = events[9].canonical.rsplit(',"seq":', 1)[0] + ',"seq":11}'
    tamper(
        f"INSERT INTO {E} (seq, created_at, actor_id, actor_role, action, object_type, object_id, canonical, "
        "prev_hash, hash) "
        f"SELECT 11, created_at, actor_id, actor_role, action, object_type, object_id, %s, %s, %s FROM {E} "
        "WHERE seq = 10",
        [with_seq, events[9].hash, chain_hash(events[9].hash, with_seq)],
    )
    assert_bad(11, "au-delà")


@pytest.mark.django_db
def test_event_replaced_by_a_forged_one(events):
    """Event 6 deleted, a self-consistent forgery inserted under the same number: 6 is named."""
    forged = events[5].canonical.replace("1239.50", "1.00")
    tamper(f"DELETE FROM {E} WHERE seq = 6")
    tamper(
        f"INSERT INTO {E} (seq, created_at, actor_id, actor_role, action, object_type, object_id, canonical, "
        "prev_hash, hash) "
        "VALUES (6, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [
            AuditEvent._meta.get_field("created_at").get_db_prep_value(
                events[5].created_at, connection=_conn()
            ),
            events[5].actor_id,
            events[5].actor_role,
            events[5].action,
            events[5].object_type,
            events[5].object_id,
            forged,
            events[5].prev_hash,
            chain_hash(events[5].prev_hash, forged),
        ],
    )
    assert_bad(6, "remplacé")


@pytest.mark.django_db
def test_forged_event_inserted_in_the_middle_with_renumbering(events):
    """Events 5..10 renumbered 6..11, a forged event 5 chained after 4: 5 is named."""
    tamper(f"UPDATE {E} SET seq = seq + 100 WHERE seq >= 5")
    tamper(f"UPDATE {E} SET seq = seq - 99 WHERE seq >= 105")
    forged = events[4].canonical.replace("1238.50", "1.00")
    assert forged != events[4].canonical
    tamper(
        f"INSERT INTO {E} (seq, created_at, actor_id, actor_role, action, object_type, object_id, canonical, "
        "prev_hash, hash) "
        f"SELECT 5, created_at, actor_id, actor_role, action, object_type, object_id, %s, %s, %s FROM {E} "
        "WHERE seq = 6",
        [forged, events[3].hash, chain_hash(events[3].hash, forged)],
    )
    tamper(f"UPDATE {H} SET last_seq = 11 WHERE id = 1")
    assert_bad(5)


@pytest.mark.django_db
def test_delete_in_the_middle_with_renumbering(events):
    tamper(f"DELETE FROM {E} WHERE seq = 4")
    tamper(f"UPDATE {E} SET seq = seq + 100 WHERE seq > 4")
    tamper(f"UPDATE {E} SET seq = seq - 101 WHERE seq > 104")
    tamper(f"UPDATE {H} SET last_seq = 9 WHERE id = 1")
    assert_bad(4)


@pytest.mark.django_db
def test_reorder_two_events(events):
    """Swap the sequence numbers of events 3 and 7."""
    tamper(f"UPDATE {E} SET seq = 1003 WHERE seq = 3")
    tamper(f"UPDATE {E} SET seq = 3 WHERE seq = 7")
    tamper(f"UPDATE {E} SET seq = 7 WHERE seq = 1003")
    assert_bad(3)


@pytest.mark.django_db
def test_reorder_adjacent_events(events):
    tamper(f"UPDATE {E} SET seq = 1005 WHERE seq = 5")
    tamper(f"UPDATE {E} SET seq = 5 WHERE seq = 6")
    tamper(f"UPDATE {E} SET seq = 6 WHERE seq = 1005")
    assert_bad(5)


@pytest.mark.django_db
def test_head_hash_modified(events):
    tamper(f"UPDATE {H} SET last_hash = %s WHERE id = 1", ["a" * 64])
    assert_bad(10, "tête")


@pytest.mark.django_db
@pytest.mark.parametrize("head_hash", ["0" * 64, "f" * 64])
def test_head_hash_below_or_above_the_last_hash_is_detected(events, head_hash):
    """Any head hash but the last event's is named, whichever way it compares with it."""
    tamper(f"UPDATE {H} SET last_hash = %s WHERE id = 1", [head_hash])
    assert_bad(10, "la tête de chaîne ne porte pas l'empreinte de l'événement n° 10")


@pytest.mark.django_db
def test_hashed_text_not_ending_with_its_number_is_named_moved_or_renumbered(events):
    """Event 5 rewritten (hash recomputed) with a text whose end is not ``,"seq":5}``: named, and
    the reason says its hashed text is not the one of its position."""
    forged = events[4].canonical[:-1] + "5"  # ``,"seq":55`` without its closing brace
    forge(events[4], forged)
    assert_bad(5, "(lignes déplacées ou renumérotées)")


@pytest.mark.django_db
def test_head_moved_forward(events):
    tamper(f"UPDATE {H} SET last_seq = 12 WHERE id = 1")
    assert_bad(11)


@pytest.mark.django_db
def test_head_moved_back_consistently(events):
    """Head set to event 8 with its hash: events 9 and 10 are beyond the head."""
    tamper(f"UPDATE {H} SET last_seq = 8, last_hash = %s WHERE id = 1", [events[7].hash])
    assert_bad(9, "l'événement n° 9 est au-delà de la tête de chaîne : inséré")


@pytest.mark.django_db
def test_head_deleted(events):
    tamper(f"DELETE FROM {H}")
    assert_bad(10, "tête")


@pytest.mark.django_db
def test_null_in_a_not_null_column_is_reported_not_crashing(events):
    """Even a DBA dropping NOT NULL constraints gets a report, not a traceback."""
    if is_postgres():
        tamper(f"ALTER TABLE {E} ALTER COLUMN actor_role DROP NOT NULL")
        tamper(f"UPDATE {E} SET actor_role = NULL WHERE seq = 2")
        assert_bad(2)
    else:
        tamper(f"UPDATE {E} SET actor_id = 'abc' WHERE seq = 2")
        assert_bad(2)


def _conn():
    from django.db import connection

    return connection


@pytest.mark.django_db
@pytest.mark.parametrize("stored", ["0" * 64, "f" * 64])
def test_stored_hash_replaced_is_named_as_a_modified_row(events, stored):
    """A hash column that is not sha256(prev_hash ‖ canonical): the row itself is named modified,
    whichever way the forged value compares with the true one."""
    tamper(f"UPDATE {E} SET hash = %s WHERE seq = 5", [stored])
    assert_bad(5, "l'empreinte enregistrée ne correspond pas à l'empreinte précédente et au contenu haché")


@pytest.mark.django_db
def test_reorder_beyond_event_9_names_the_first_moved_position(events):
    """Two-digit numbers: events 10 and 12 swapped, position 10 holds the text of event 12."""
    from .conftest import make_events

    make_events(2, start=10)
    tamper(f"UPDATE {E} SET seq = 1010 WHERE seq = 10")
    tamper(f"UPDATE {E} SET seq = 10 WHERE seq = 12")
    tamper(f"UPDATE {E} SET seq = 12 WHERE seq = 1010")
    assert_bad(10, "le contenu haché en position 10 est celui de l'événement n° 12 (lignes déplacées")


@pytest.mark.django_db
def test_gap_in_the_numbering_is_named_even_when_everything_after_it_is_rehashed(events):
    """Events 5..10 renumbered 6..11, their texts and hashes recomputed and the head moved: the
    chain links, but number 5 is missing and is named."""
    prev, rewritten = events[3].hash, []
    for event in events[4:]:
        text = event.canonical.replace(f',"seq":{event.seq}}}', f',"seq":{event.seq + 1}}}')
        digest = chain_hash(prev, text)
        rewritten.append((event.seq, text, prev, digest))
        prev = digest
    for seq, text, prev_hash, digest in reversed(rewritten):
        tamper(
            f"UPDATE {E} SET seq = %s, canonical = %s, prev_hash = %s, hash = %s WHERE seq = %s",
            [seq + 1, text, prev_hash, digest, seq],
        )
    tamper(f"UPDATE {H} SET last_seq = 11, last_hash = %s WHERE id = 1", [prev])
    assert_bad(5, "événement n° 5 absent")


@pytest.mark.django_db
def test_verify_of_rows_whose_text_is_not_valid_unicode_names_the_row(events):
    """Rows handed to ``verify`` (an export read back, say) with a text that cannot be encoded in
    UTF-8: the row is named as modified, the verification does not crash."""
    rows = [list(row) for row in chain.iter_rows()]
    rows[4][7] = rows[4][7].replace("Échange", "\udcc9change")
    result = chain.verify([tuple(row) for row in rows])
    assert (result.ok, result.first_bad_seq) == (False, 5)
    assert "l'empreinte enregistrée ne correspond pas" in result.reason


@pytest.mark.django_db
def test_hashed_text_cut_inside_the_actor_label_is_named_a_modified_column(events):
    """Event 5's text rewritten (hash recomputed) so that the actor's label never ends: the row is
    named, its columns no longer match the hashed text."""
    text = events[4].canonical
    forged = text[: text.index('"label":"') + len('"label":"')] + "sans fin"
    forge(events[4], forged)
    assert_bad(5, "une colonne ne correspond plus au contenu haché (ligne modifiée)")


@pytest.mark.django_db
def test_verify_audit_verbose_prints_the_head_hash_and_the_time_taken(events, monkeypatch):
    from fonds.audit.management.commands import verify_audit

    ticks = iter([1000.0, 1000.25])
    monkeypatch.setattr(verify_audit.time, "perf_counter", lambda: next(ticks))
    out = io.StringIO()
    call_command("verify_audit", "--workers", "1", verbosity=2, stdout=out)
    assert f"Empreinte de tête : {events[-1].hash} (vérifiée en 0.25 s)" in out.getvalue()
    ticks = iter([1000.0, 1000.5])
    louder = io.StringIO()
    call_command("verify_audit", "--workers", "1", verbosity=3, stdout=louder)
    assert "(vérifiée en 0.50 s)" in louder.getvalue()


@pytest.mark.django_db
def test_verify_of_rows_with_an_event_repeated_names_the_repeated_number(events):
    """Rows handed to ``verify`` with event 3 twice: number 3 is named, unexpected where 4 should be."""
    rows = list(chain.iter_rows())
    result = chain.verify(rows[:3] + rows[2:])
    assert (result.ok, result.first_bad_seq) == (False, 3)
    assert result.reason.startswith("événement n° 3 inattendu à la place du n° 4")


@pytest.mark.django_db
def test_tampered_event_beyond_number_256_is_named_with_its_reason():
    """Numbers past CPython's small integers: event 300 altered is named with what is wrong."""
    from django.db import transaction

    with transaction.atomic():
        chain.append_many([{"action": "bulk", "payload": {"i": i}} for i in range(300)])
    tamper(f"UPDATE {E} SET action = 'x' WHERE seq = 300")
    assert_bad(300, "une colonne ne correspond plus au contenu haché (ligne modifiée)")


@pytest.mark.django_db
def test_failed_verification_counts_the_events_checked_before_the_first_bad(events):
    tamper(f"UPDATE {E} SET action = 'x' WHERE seq = 5")
    result = chain.verify()
    assert (result.ok, result.first_bad_seq, result.count) == (False, 5, 4)


@pytest.mark.django_db
def test_verification_without_read_ahead_gives_the_same_result(events):
    from django.db import connection

    from fonds.audit import scan

    intact = scan.verify_db(connection, 3, prefetch=False)
    assert (intact.ok, intact.count, intact.last_hash) == (True, 10, events[-1].hash)
    tamper(f"UPDATE {E} SET action = 'x' WHERE seq = 5")
    bad = scan.verify_db(connection, 3, prefetch=False)
    assert (bad.ok, bad.first_bad_seq) == (False, 5)


class _BadZone(dt.tzinfo):
    def utcoffset(self, value):
        return "pas un décalage"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "at",
    [0, dt.datetime(2030, 2, 15, 9, 4), dt.datetime(2030, 2, 15, 9, 4, tzinfo=_BadZone())],
    ids=["not-a-time", "naive", "zone-without-offset"],
)
def test_verify_of_rows_with_an_unreadable_time_names_the_row(events, at):
    """Rows handed to ``verify`` whose time cannot be written as the hashed text's: named, no crash."""
    rows = [list(row) for row in chain.iter_rows()]
    rows[4][1] = at
    result = chain.verify([tuple(row) for row in rows])
    assert (result.ok, result.first_bad_seq) == (False, 5)


@pytest.mark.django_db
def test_verify_of_rows_without_hashed_text_names_the_row(events):
    rows = [list(row) for row in chain.iter_rows()]
    rows[4][7] = None
    result = chain.verify([tuple(row) for row in rows])
    assert (result.ok, result.first_bad_seq) == (False, 5)
    assert "l'empreinte enregistrée ne correspond pas" in result.reason


@pytest.mark.django_db
@pytest.mark.parametrize("stored", ["0" * 64, "f" * 64])
def test_prev_hash_column_replaced_is_detected_whichever_way_it_sorts(events, stored):
    """Only the ``prev_hash`` column changed (the hash still that of the true link): named."""
    tamper(f"UPDATE {E} SET prev_hash = %s WHERE seq = 5", [stored])
    assert_bad(5)


@pytest.mark.django_db
def test_head_deleted_after_a_single_event_is_detected_and_an_empty_trail_without_head_is_not():
    from django.db import transaction

    tamper(f"DELETE FROM {H}")
    assert chain.verify().ok  # nothing was ever recorded: no head to lose
    with transaction.atomic():
        chain.append("submit")  # re-creates the head on the empty trail
    tamper(f"DELETE FROM {H}")
    assert_bad(1, "la tête de chaîne (dernier n° de séquence et empreinte) a disparu")


@pytest.mark.django_db
def test_hashed_text_without_its_number_is_named_moved_or_renumbered(events):
    forged = events[4].canonical.replace(',"seq":5}', "}")
    forge(events[4], forged)
    assert_bad(5, "est celui de l'événement n° None (lignes déplacées ou renumérotées)")


@pytest.mark.django_db
def test_first_event_rehashed_from_another_start_is_named(events):
    tamper(
        f"UPDATE {E} SET prev_hash = %s, hash = %s WHERE seq = 1",
        ["f" * 64, chain_hash("f" * 64, events[0].canonical)],
    )
    assert_bad(1, "le premier événement ne part pas de l'empreinte initiale")


@pytest.mark.django_db
def test_verify_audit_also_checks_the_time_stamped_anchors(events, monkeypatch):
    from types import SimpleNamespace

    from fonds.anchors.management.commands import verify_anchors as command

    failing = SimpleNamespace(ok=False, first_bad_seq=7, reason="jeton invalide")
    monkeypatch.setattr(command, "verify_anchors", lambda: failing)
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_audit", "--workers", "1", stdout=io.StringIO(), stderr=err)
    assert exit_info.value.code == 1
    assert "Ancrage en défaut au n° 7 — jeton invalide." in err.getvalue()


@pytest.mark.django_db
def test_hashed_text_with_its_number_written_otherwise_names_that_event(events):
    """Event 5 rewritten (hash recomputed) to end with ``,"seq":05}``: its number, written
    otherwise, is not the one hashed at its place; event 5 is named, not the event before it."""
    forged = events[4].canonical.replace(',"seq":5}', ',"seq":05}')
    assert forged != events[4].canonical
    forge(events[4], forged)
    assert_bad(5)


@pytest.mark.django_db
@pytest.mark.parametrize("column", [7, 9], ids=["no-hashed-text", "no-hash"])
def test_a_segment_stopped_at_its_first_row_ends_on_the_link_it_started_from(events, column):
    """A parallel worker's segment (``prev=None``) whose first row has no hashed text or no hash:
    nothing is counted, the row is named, and the last hash is the link the segment started from."""
    from fonds.audit import checks

    rows = list(chain.normalized(chain.iter_rows()))
    rows[4] = (*rows[4][:column], None, *rows[4][column + 1 :])
    assert checks.walk(rows[4:], start=4, prev=None) == (
        0,
        events[3].hash,
        (
            5,
            "l'empreinte enregistrée ne correspond pas à l'empreinte précédente et au contenu haché "
            "(ligne modifiée)",
        ),
    )


@pytest.mark.django_db
def test_verification_stopped_by_a_row_without_hashed_text_counts_the_events_before_it(events):
    rows = [list(row) for row in chain.iter_rows()]
    rows[4][7] = None
    result = chain.verify([tuple(row) for row in rows])
    assert (result.ok, result.first_bad_seq, result.count) == (False, 5, 4)


@pytest.mark.django_db
def test_head_hash_altered_with_no_event_or_a_single_one_names_event_1():
    """The head's hash is not the genesis hash (no event yet) or event 1's: number 1 is named."""
    from django.db import transaction

    from fonds.audit.canonical import GENESIS_HASH

    tamper(f"UPDATE {H} SET last_hash = %s WHERE id = 1", ["a" * 64])
    assert_bad(1, "la tête de chaîne ne porte pas l'empreinte de l'événement n° 0")
    tamper(f"UPDATE {H} SET last_hash = %s WHERE id = 1", [GENESIS_HASH])
    with transaction.atomic():
        chain.append("submit")
    tamper(f"UPDATE {H} SET last_hash = %s WHERE id = 1", ["a" * 64])
    assert_bad(1, "ne porte pas l'empreinte de l'événement n° 1 (tête ou dernier événement modifié)")


@pytest.mark.django_db
def test_head_deleted_and_the_last_event_renumbered_near_the_largest_number_is_still_read(events):
    """Without a head every event is read, whatever its number: event 10 moved to 2⁶² − 1 is
    found and number 10 is named absent."""
    tamper(f"DELETE FROM {H}")
    tamper(f"UPDATE {E} SET seq = %s WHERE seq = 10", [2**62 - 1])
    assert_bad(10, f"événement n° 10 absent (le suivant trouvé est le n° {2**62 - 1})")


@pytest.mark.django_db
def test_a_segment_counts_only_its_own_events_checked_before_its_first_bad_one(events):
    """A parallel worker's segment (events 4 to 10, ``start=3``) with event 7 altered: event 7 is
    named and the segment counts the three events it checked before it (4, 5 and 6)."""
    from fonds.audit import checks

    rows = list(chain.normalized(chain.iter_rows()))
    rows[6] = (*rows[6][:4], "x", *rows[6][5:])
    assert checks.walk(rows[3:], start=3, prev=None) == (
        3,
        events[5].hash,
        (7, "une colonne ne correspond plus au contenu haché (ligne modifiée)"),
    )


@pytest.mark.django_db
def test_hashed_text_with_a_space_in_its_number_is_named_moved_or_renumbered(events):
    """Event 5 rewritten (hash recomputed) to end with ``,"seq":5 }``: not the number of its
    position as written at the end of every hashed text; named, with that reason."""
    forged = events[4].canonical.replace(',"seq":5}', ',"seq":5 }')
    assert forged != events[4].canonical
    forge(events[4], forged)
    assert_bad(5, "est celui de l'événement n° None (lignes déplacées ou renumérotées)")


@pytest.mark.django_db
def test_verify_of_rows_with_a_forged_event_0_before_the_first_names_it_inserted(events):
    """Rows handed to ``verify`` (the table refuses a number below 1) starting with a
    self-consistent event 0 chained from the genesis hash: number 0 is named, unexpected where
    event 1 should be, and nothing is counted."""
    rows = list(chain.iter_rows())
    text = events[0].canonical.replace(',"seq":1}', ',"seq":0}')
    assert text != events[0].canonical
    genesis = events[0].prev_hash
    forged = (0, *rows[0][1:7], text, genesis, chain_hash(genesis, text))
    result = chain.verify([forged, *rows])
    assert (result.ok, result.first_bad_seq, result.count) == (False, 0, 0)
    assert result.reason == "événement n° 0 inattendu à la place du n° 1 : inséré ou renuméroté"


@pytest.mark.django_db
def test_delete_of_the_last_event_is_named_by_the_number_the_head_announces(events):
    tamper(f"DELETE FROM {E} WHERE seq = 10")
    result = assert_bad(10)
    assert result.reason == (
        "la tête de chaîne annonce 10 événements, la chaîne s'arrête au n° 9 : événement n° 10 supprimé"
    )


@pytest.mark.django_db
def test_event_beyond_number_256_rewritten_with_its_hash_is_named_by_the_next_link():
    """Numbers past CPython's small integers: event 300 rewritten and rehashed, event 301 intact in
    itself no longer follows it: event 300 is named, replaced or forged."""
    from django.db import transaction

    with transaction.atomic():
        events = chain.append_many([{"action": "bulk", "payload": {"i": i}} for i in range(301)])
    forge(events[299], events[299].canonical.replace('"i":299', '"i":2990'))
    assert_bad(300, "l'événement n° 300 n'est pas celui que l'événement n° 301 a chaîné (remplacé ou forgé)")
