"""Bulk invitations from a CSV file (fonds.depot.account_admin.csv_import and import_jobs), without
HTTP: each refusal reason, nothing created for a refused line, the files Excel and LibreOffice
write, the audit events and the invitation emails (through the outbox), the background job."""

import pytest
from django.core import mail

from fonds.accounts.models import User
from fonds.accounts.roles import roles_of
from fonds.audit.models import AuditEvent
from fonds.depot.account_admin import csv_import, import_jobs
from fonds.depot.account_admin.csv_import import AGENTS, MAYORS, CsvUnreadable, check
from fonds.depot.models import InvitationImport
from fonds.ops.models import OutboxMessage
from fonds.referentiel.rules import default_rules
from tests.factories import make_campaign, make_commune, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def communes():
    make_campaign()
    return make_commune("01001", population=800), make_commune("2A004", population=3000)


def reasons(report):
    return {line.number: " ".join(line.reasons) for line in report.refused}


def invite(kind, text, *, by, capture):
    """Upload, confirm and run an import (the task runs on commit, eagerly)."""
    job = import_jobs.create(kind, text, by=by)
    with capture(execute=True):
        import_jobs.confirm(job.pk, by=by)
    job.refresh_from_db()
    return job


def refused_reasons(job):
    return {line["number"]: " ".join(line["reasons"]) for line in job.refused}


def test_mayors_file_with_header_semicolons_and_bom_is_read(communes):
    data = "\ufeffcode_insee;email;nom\n01001;Maire@Commune.fr;Anne Martin\n2A004;maire@ajaccio-sud.fr;Paul\n"
    report = check(MAYORS, csv_import.decode(data.encode("utf-8")))
    assert [line.email for line in report.accepted] == ["maire@commune.fr", "maire@ajaccio-sud.fr"]
    assert report.accepted[0].commune == communes[0] and not report.refused


def test_commas_without_bom_and_insee_code_without_leading_zero(communes):
    report = check(MAYORS, csv_import.decode(b"1001,maire@commune.fr,Anne Martin\n"))
    (line,) = report.accepted
    assert line.insee == "01001" and line.commune == communes[0]


def test_windows_1252_file_is_read(communes):
    data = "code insee;courriel;nom\n01001;maire@commune.fr;Hélène Lefèvre\n".encode("cp1252")
    (line,) = check(MAYORS, csv_import.decode(data)).accepted
    assert line.name == "Hélène Lefèvre"


def test_unknown_insee_code_is_refused(communes):
    report = check(MAYORS, "99999;maire@x.fr;A\n")
    assert "code INSEE inconnu" in reasons(report)[1]


def test_commune_over_the_campaign_population_threshold_is_refused(communes):
    make_commune("75056", population=2_100_000)
    report = check(MAYORS, "75056;maire@paris.fr;A\n01001;maire@commune.fr;B\n")
    assert "au-delà du seuil" in reasons(report)[1] and "3\xa0500" in reasons(report)[1]
    assert [line.number for line in report.accepted] == [2]


def test_population_threshold_is_read_from_the_current_rules(communes):
    campaign = csv_import.current_campaign()
    params = default_rules()
    params["eligibility"]["max_population"] = 500
    campaign.rules.new_version(params, note="seuil abaissé")
    report = check(MAYORS, "01001;maire@commune.fr;A\n")
    assert report.max_population == 500 and "au-delà du seuil" in reasons(report)[1]


def test_duplicate_in_the_file_is_refused(communes):
    report = check(MAYORS, "01001;maire@commune.fr;A\n2A004;MAIRE@commune.fr;B\n")
    assert [line.number for line in report.accepted] == [1]
    assert "en double dans le fichier (déjà à la ligne 1)" in reasons(report)[2]


def test_existing_account_is_refused(communes):
    make_user("porteur", commune=communes[0], email="maire@commune.fr")
    assert "un compte existe déjà" in reasons(check(MAYORS, "01001;maire@commune.fr;A\n"))[1]


def test_invalid_email_is_refused(communes):
    assert "adresse électronique invalide" in reasons(check(MAYORS, "01001;maire(at)commune;A\n"))[1]


def test_empty_or_binary_file_is_unreadable():
    with pytest.raises(CsvUnreadable):
        check(MAYORS, "code_insee;email;nom\n\n")
    with pytest.raises(CsvUnreadable):
        csv_import.decode(b"\x81\x8d\x8f\x90\x9d")


def test_invite_creates_accepted_lines_only_and_audits_each(communes, django_capture_on_commit_callbacks):
    admin = make_user("admin")
    text = "01001;maire@commune.fr;Anne Martin\n99999;inconnu@x.fr;B\n2A004;pas-une-adresse;C\n"
    job = invite(MAYORS, text, by=admin, capture=django_capture_on_commit_callbacks)
    assert job.status == "finished" and (job.total, job.done, job.invited, len(job.refused)) == (1, 1, 1, 2)
    assert job.text == "" and job.accepted == []  # the file is not kept once done
    assert not User.objects.filter(email__in=["inconnu@x.fr", "pas-une-adresse"]).exists()
    mayor = User.objects.get(email="maire@commune.fr")
    assert (mayor.first_name, mayor.last_name, mayor.commune) == ("Anne", "Martin", communes[0])
    assert roles_of(mayor) == {"porteur"} and not mayor.has_usable_password()
    (created,) = AuditEvent.objects.filter(action="account_invited", object_id=str(mayor.pk))
    assert created.data["payload"]["before"] is None
    assert created.data["payload"]["after"]["roles"] == ["porteur"]
    assert created.data["actor"]["id"] == admin.pk
    assert AuditEvent.objects.filter(action="invitation_sent", object_id=str(mayor.pk)).count() == 1
    assert [m.to for m in mail.outbox] == [["maire@commune.fr"]]


def test_agents_file_with_role_column(django_capture_on_commit_callbacks):
    admin = make_user("admin")
    text = (
        "email,nom,role\n"
        "instr@fonds.fr,Ida Instructrice,instructeur\n"
        "compta@fonds.fr,Carl Compta,Gestionnaire financier\n"
        "jury@fonds.fr,Jean Jury,membre du comité+auditeur\n"
        "maire@x.fr,Marc Maire,porteur\n"
        "vide@fonds.fr,Sans Rôle,\n"
    )
    job = invite(AGENTS, text, by=admin, capture=django_capture_on_commit_callbacks)
    assert roles_of(User.objects.get(email="instr@fonds.fr")) == {"instructeur"}
    assert roles_of(User.objects.get(email="compta@fonds.fr")) == {"finance"}
    assert roles_of(User.objects.get(email="jury@fonds.fr")) == {"comite", "auditeur"}
    refused = refused_reasons(job)
    assert "rôle inconnu « porteur »" in refused[5] and "rôle manquant" in refused[6]
    assert not User.objects.filter(email__in=["maire@x.fr", "vide@fonds.fr"]).exists()
    assert len(mail.outbox) == 3


def test_no_campaign_means_no_population_check():
    make_commune("01001", population=90_000)
    report = check(MAYORS, "01001;maire@commune.fr;A\n")
    assert report.campaign is None and len(report.accepted) == 1


def test_file_over_the_line_limit_is_refused_whole(communes, monkeypatch):
    monkeypatch.setattr(csv_import, "MAX_LINES", 2)
    with pytest.raises(CsvUnreadable, match="dépasse 2 lignes"):
        check(MAYORS, "01001;a@x.fr;A\n01001;b@x.fr;B\n01001;c@x.fr;C\n")


def test_nothing_is_invited_before_the_import_is_confirmed(communes):
    job = import_jobs.create(MAYORS, "01001;maire@commune.fr;Anne Martin\n", by=make_user("admin"))
    assert job.status == "checked" and job.total == 1 and job.accepted[0]["commune"] == "Commune 01001"
    assert not User.objects.filter(email="maire@commune.fr").exists() and not mail.outbox
    assert not OutboxMessage.objects.filter(task="fonds.depot.tasks.run_invitation_import").exists()


def test_only_an_administrator_imports_accounts(communes):
    with pytest.raises(import_jobs.ImportRefused):
        import_jobs.create(MAYORS, "01001;maire@commune.fr;A\n", by=make_user("instructeur"))
    job = import_jobs.create(MAYORS, "01001;maire@commune.fr;A\n", by=make_user("admin"))
    with pytest.raises(import_jobs.ImportRefused):
        import_jobs.confirm(job.pk, by=make_user("auditeur"))


def test_confirming_an_import_twice_queues_it_once(communes, django_capture_on_commit_callbacks):
    admin = make_user("admin")
    job = invite(MAYORS, "01001;maire@commune.fr;A\n", by=admin, capture=django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        import_jobs.confirm(job.pk, by=admin)
    assert OutboxMessage.objects.filter(task="fonds.depot.tasks.run_invitation_import").count() == 1
    assert User.objects.filter(email="maire@commune.fr").count() == 1 and len(mail.outbox) == 1


def test_an_import_without_accepted_line_cannot_be_confirmed(communes):
    admin = make_user("admin")
    job = import_jobs.create(MAYORS, "99999;x@y.fr;A\n", by=admin)
    with pytest.raises(import_jobs.ImportRefused, match="Aucune ligne"):
        import_jobs.confirm(job.pk, by=admin)


def test_retried_import_resumes_after_the_last_committed_chunk(communes, django_capture_on_commit_callbacks):
    admin = make_user("admin")
    text = "01001;a@commune.fr;A\n2A004;b@commune.fr;B\n01001;c@commune.fr;C\n"
    job = import_jobs.create(MAYORS, text, by=admin)
    InvitationImport.objects.filter(pk=job.pk).update(status="queued")
    with django_capture_on_commit_callbacks(execute=True):
        job = import_jobs._begin(job.pk)
        assert import_jobs._chunk(job, 2)  # the worker dies after its first chunk
        job = import_jobs.run(job.pk, chunk=2)  # the task is delivered again
    assert (job.status, job.done, job.invited) == ("finished", 3, 3)
    assert User.objects.filter(email__endswith="@commune.fr").count() == 3
    assert AuditEvent.objects.filter(action="account_invited").count() == 3 and len(mail.outbox) == 3


def test_account_created_while_the_import_runs_is_refused_not_invited(
    communes, django_capture_on_commit_callbacks
):
    admin = make_user("admin")
    job = import_jobs.create(MAYORS, "01001;a@commune.fr;A\n2A004;b@commune.fr;B\n", by=admin)
    InvitationImport.objects.filter(pk=job.pk).update(status="queued")
    job = import_jobs._begin(job.pk)
    make_user("porteur", email="b@commune.fr")
    with django_capture_on_commit_callbacks(execute=True):
        job = import_jobs.run(job.pk)
    assert (job.status, job.done, job.invited) == ("finished", 2, 1)
    assert refused_reasons(job) == {2: "un compte existe déjà à cette adresse"}


def test_file_checked_again_when_the_import_starts(communes, django_capture_on_commit_callbacks):
    admin = make_user("admin")
    job = import_jobs.create(MAYORS, "01001;a@commune.fr;A\n2A004;b@commune.fr;B\n", by=admin)
    make_user("porteur", email="a@commune.fr")
    with django_capture_on_commit_callbacks(execute=True):
        import_jobs.confirm(job.pk, by=admin)
    job.refresh_from_db()
    assert (job.total, job.invited) == (1, 1) and "un compte existe déjà" in refused_reasons(job)[1]


def test_a_file_of_every_commune_of_france_is_read_whole():
    """About 34,900 communes (INSEE), 31,700 under the threshold: one file, no splitting."""
    text = "".join(
        f"{10000 + i:05d};maire.{i}@une-commune-de-france.fr;Anne-Marie Martin\n" for i in range(35_000)
    )
    data = text.encode("utf-8")
    assert len(csv_import.rows(csv_import.decode(data))) == 35_000


def test_import_that_fails_says_so_and_keeps_what_was_invited(communes, monkeypatch):
    admin = make_user("admin")
    job = import_jobs.create(MAYORS, "01001;a@commune.fr;A\n2A004;b@commune.fr;B\n", by=admin)
    InvitationImport.objects.filter(pk=job.pk).update(status="queued")
    real = csv_import.invite_line

    def mail_server_down_on_b(line, **kwargs):
        if line["email"] == "b@commune.fr":
            raise OSError("serveur de courriel injoignable")
        return real(line, **kwargs)

    monkeypatch.setattr(import_jobs, "invite_line", mail_server_down_on_b)
    with pytest.raises(OSError):
        import_jobs.run(job.pk, chunk=1)
    job.refresh_from_db()
    assert (job.status, job.done, job.invited) == ("failed", 1, 1) and "injoignable" in job.error
    assert User.objects.filter(email="a@commune.fr").exists()
    assert not User.objects.filter(email="b@commune.fr").exists()
