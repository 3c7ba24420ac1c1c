"""Expert opinions (issue 20): asking, answering once, cancelling, reminding, expiring."""

import datetime as dt

import pytest

from fonds import clock
from fonds.accounts.roles import Role, roles_of
from fonds.accounts.twofactor import needs_two_factor
from fonds.audit.models import AuditEvent
from fonds.avis import reminders, services
from fonds.avis.models import AvisRequest
from fonds.ops.models import OutboxMessage
from tests.avis.conftest import in_days
from tests.factories import PDF_BYTES, make_user

pytestmark = pytest.mark.django_db


def actions(dossier) -> list[str]:
    return list(
        AuditEvent.objects.filter(
            object_type="dossiers.dossier", object_id=str(dossier.pk), action__startswith="avis_"
        )
        .order_by("seq")
        .values_list("action", flat=True)
    )


def queued(task: str) -> list[list]:
    return [m.args for m in OutboxMessage.objects.filter(task=task).order_by("created_at")]


def test_an_instructor_invites_a_new_expert_who_gets_a_restricted_account_with_a_second_factor(
    ask, avis_world, settings
):
    settings.FJJ_REQUIRE_2FA = True
    avis = ask()
    expert = avis.expert
    assert roles_of(expert) == {Role.EXPERT}
    assert not expert.has_usable_password()  # chooses it through the invitation link
    assert needs_two_factor(expert)
    assert actions(avis.dossier) == ["avis_requested"]
    assert AuditEvent.objects.filter(action="invitation_sent", object_id=str(expert.pk)).exists()
    assert queued("fonds.depot.tasks.send_invitation_email")[0][0] == expert.pk
    assert ["requested", avis.pk] in queued("fonds.avis.tasks.send_avis_email")


def test_an_expert_already_known_is_not_invited_again(ask, avis_world):
    first = ask()
    second = ask(dossier=avis_world["other"])
    assert second.expert == first.expert
    assert len(queued("fonds.depot.tasks.send_invitation_email")) == 1


def test_the_address_of_an_agent_or_a_commune_is_refused(ask, avis_world):
    with pytest.raises(services.AvisRefused) as refused:
        ask(email=avis_world["porteur"].email)
    assert "personne extérieure" in refused.value.message
    with pytest.raises(services.AvisRefused):
        ask(email=make_user("comite").email)


def test_the_deadline_must_be_after_today(ask):
    with pytest.raises(services.AvisRefused) as refused:
        ask(days=0)
    assert refused.value.message == services.DEADLINE_PAST
    assert not AvisRequest.objects.exists()


def test_only_instructors_ask(avis_world):
    with pytest.raises(services.AvisRefused) as refused:
        services.request_avis(
            avis_world["dossier"],
            by=make_user("auditeur"),
            email="x@exemple.fr",
            question="?",
            deadline=in_days(5),
        )
    assert refused.value.kind == "role"


def test_one_pending_request_per_expert_and_dossier(ask):
    ask()
    with pytest.raises(services.AvisRefused) as refused:
        ask()
    assert refused.value.message.endswith(services.ALREADY_ASKED)


def test_bulk_asks_the_same_expert_about_each_dossier_of_the_selection(avis_world):
    made = services.request_avis_many(
        [avis_world["dossier"], avis_world["other"]],
        by=avis_world["instructeur"],
        email="ambassade@exemple.org",
        question="Le partenaire est-il connu ?",
        deadline=in_days(7),
        visibility=AvisRequest.Visibility.COMMITTEE,
    )
    assert {a.dossier_id for a in made} == {avis_world["dossier"].pk, avis_world["other"].pk}
    assert len({a.expert_id for a in made}) == 1
    assert actions(avis_world["dossier"]) == actions(avis_world["other"]) == ["avis_requested"]


def test_bulk_is_all_or_nothing(ask, avis_world):
    ask(email="ambassade@exemple.org")
    with pytest.raises(services.AvisRefused) as refused:
        services.request_avis_many(
            [avis_world["dossier"], avis_world["other"]],
            by=avis_world["instructeur"],
            email="ambassade@exemple.org",
            question="?",
            deadline=in_days(7),
            visibility="confidential",
        )
    assert avis_world["dossier"].reference in refused.value.message
    assert not AvisRequest.objects.filter(dossier=avis_world["other"]).exists()


def test_the_expert_answers_once_with_an_attachment(ask):
    avis = ask()
    services.answer_avis(avis, by=avis.expert, text="Situation saine.", attachment=("avis.pdf", PDF_BYTES))
    avis.refresh_from_db()
    assert avis.status == AvisRequest.Status.ANSWERED and avis.attachment_type == "application/pdf"
    assert avis.attachment.read() == PDF_BYTES
    assert actions(avis.dossier) == ["avis_requested", "avis_answered"]
    assert ["answered", avis.pk] in queued("fonds.avis.tasks.send_avis_email")
    with pytest.raises(services.AvisRefused) as refused:
        services.answer_avis(avis, by=avis.expert, text="Je change d'avis.")
    assert refused.value.message == services.NOT_PENDING


def test_an_attachment_is_checked_as_every_upload(ask):
    avis = ask()
    with pytest.raises(services.AvisRefused) as refused:
        services.answer_avis(
            avis, by=avis.expert, text="Avis.", attachment=("virus.exe", b"MZ\x90\x00 not a pdf")
        )
    assert "PDF, JPEG et PNG" in refused.value.message
    avis.refresh_from_db()
    assert avis.is_pending


def test_only_the_invited_expert_answers(ask):
    avis = ask()
    other_expert = make_user("expert")
    with pytest.raises(services.AvisRefused) as refused:
        services.answer_avis(avis, by=other_expert, text="Avis.")
    assert refused.value.kind == "not_found"


def test_no_answer_after_the_deadline(ask):
    avis = ask(days=2)
    with clock.travel(clock.now() + dt.timedelta(days=3)):
        with pytest.raises(services.AvisRefused) as refused:
            services.answer_avis(avis, by=avis.expert, text="Avis.")
    assert refused.value.message == services.TOO_LATE


def test_the_instructor_cancels_a_pending_request(ask, avis_world):
    avis = ask()
    services.cancel_avis(avis, by=avis_world["instructeur"])
    avis.refresh_from_db()
    assert avis.status == AvisRequest.Status.CANCELLED
    assert actions(avis.dossier) == ["avis_requested", "avis_cancelled"]
    assert ["cancelled", avis.pk] in queued("fonds.avis.tasks.send_avis_email")


def test_a_reminder_leaves_once_the_set_number_of_days_before_the_deadline(ask, settings):
    settings.FJJ_AVIS_REMINDER_DAYS = 3
    avis = ask(days=10)
    assert reminders.run(in_days(6)) == {"reminded": 0, "expired": 0}
    assert reminders.run(in_days(7)) == {"reminded": 1, "expired": 0}
    assert reminders.run(in_days(8)) == {"reminded": 0, "expired": 0}
    assert actions(avis.dossier) == ["avis_requested", "avis_reminded"]
    assert ["reminder", avis.pk] in queued("fonds.avis.tasks.send_avis_email")


def test_no_reminder_when_the_setting_is_zero(ask, settings):
    settings.FJJ_AVIS_REMINDER_DAYS = 0
    ask(days=2)
    assert reminders.run(in_days(1))["reminded"] == 0


def test_a_request_expires_the_day_after_its_deadline(ask):
    avis = ask(days=5)
    assert reminders.run(in_days(5))["expired"] == 0
    assert reminders.run(in_days(6))["expired"] == 1
    avis.refresh_from_db()
    assert avis.status == AvisRequest.Status.EXPIRED
    assert actions(avis.dossier)[-1] == "avis_expired"


def test_an_answered_request_never_expires(ask):
    avis = ask(days=5)
    services.answer_avis(avis, by=avis.expert, text="Avis.")
    assert reminders.run(in_days(30)) == {"reminded": 0, "expired": 0}
