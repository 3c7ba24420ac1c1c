"""Decision exports: one row per dossier (CSV, XLSX, ODS), the SCDL open data, the audit event."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zipfile
from decimal import Decimal
from xml.etree import ElementTree as ET

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from fonds import clock
from fonds.audit import chain as audit
from fonds.audit.models import AuditEvent
from fonds.eligibilite.models import EligibilityRun, Verdict
from fonds.instruction.models import (
    Assessment,
    DossierLabel,
    EligibilityOverride,
    Label,
    SavedFilter,
    Score,
)
from fonds.referentiel.siret import demo_siret
from fonds.reporting import decisions, exports, formats, scdl
from fonds.reporting.models import ExportJob
from tests.factories import make_campaign, make_commune, make_dossier, make_user

from .helpers import dossier_in

pytestmark = pytest.mark.django_db
TEST_SIRET = "13002526500013"  # 14 digits, Luhn-valid (test value)


def read_csv(data: bytes, delimiter=","):
    text = data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def csv_bytes(qs, **kw):
    return b"".join(exports.csv_stream(qs, "csv", **kw))


@pytest.fixture
def campaign_data():
    campaign = make_campaign()
    approved = dossier_in(
        "closed", campaign=campaign, commune=make_commune(population=950, name="Saint-Jean-de-Luz-sur-Mer")
    )
    rejected = dossier_in("rejected", campaign=campaign)
    draft = make_dossier(campaign=campaign)
    other = dossier_in("submitted")  # another campaign
    user = make_user("instructeur")
    run = EligibilityRun.objects.create(dossier=approved, moment="submission", rules_version=1)
    Verdict.objects.create(run=run, code="E1", result="pass", explanation="ok")
    failed = Verdict.objects.create(run=run, code="E5", result="fail", explanation="dates")
    EligibilityOverride.objects.create(
        dossier=approved, verdict=failed, code="E5", motivation="force majeure", rules_version=1, by=user
    )
    Score.objects.create(dossier=approved, criterion="participation", points=20, rules_version=1)
    Score.objects.create(
        dossier=approved, criterion="territorial", points=15, automatic=True, rules_version=1
    )
    Assessment.objects.create(dossier=approved, score_total=35, scored_criteria=2)
    return campaign, approved, rejected, draft, other


def test_one_row_per_dossier_of_the_campaign_drafts_excluded(campaign_data):
    campaign, approved, rejected, draft, other = campaign_data
    qs, description = exports.selection(campaign=campaign)
    rows = read_csv(csv_bytes(qs))
    refs = [r[0] for r in rows[1:]]
    assert refs == [approved.reference, rejected.reference]
    assert description == {"campaign": {"id": campaign.pk, "name": campaign.name}}


def test_row_holds_commune_verdicts_overrides_scores_amounts_and_stage_dates(campaign_data):
    campaign, approved, *_ = campaign_data
    qs, _ = exports.selection(campaign=campaign)
    header, first = read_csv(csv_bytes(qs))[:2]
    row = dict(zip(header, first))
    assert row["Commune"] == "Saint-Jean-de-Luz-sur-Mer"
    assert row["Code INSEE"] == approved.commune_id and row["Population"] == "950"
    assert row["Département"] == approved.commune.departement and row["Région"] == "Auvergne-Rhône-Alpes"
    assert row["Statut"] == "Soldé" and row["Code du statut"] == "closed"
    assert (
        row["Éligibilité E1"] == "Conforme"
        and row["Éligibilité E5"] == "Non conforme"
        and row["Éligibilité E2"] == ""
    )
    assert row["Dérogations d'éligibilité"] == "E5"
    assert row["Note : Participation des jeunes, co-construction, réciprocité"] == "20"
    assert row["Note : Priorité territoriale"] == "15" and row["Note totale"] == "35"
    assert row["Montant demandé (€)"] == "6000.00" and row["Montant accordé (€)"] == "5000.00"
    start = timezone.localtime(approved.submitted_at).date()
    assert row["Date de dépôt"] == start.isoformat()
    assert row["Date de décision"] == (start + dt.timedelta(days=4)).isoformat()
    assert row["Date du solde"] == (start + dt.timedelta(days=8)).isoformat()
    assert row["Date du reversement"] == ""


def test_verdicts_are_those_of_the_latest_run_previews_aside(campaign_data):
    campaign, approved, *_ = campaign_data
    later = clock.now() + dt.timedelta(days=1)
    run = EligibilityRun.objects.create(dossier=approved, moment="on_demand", rules_version=1, ran_at=later)
    Verdict.objects.create(run=run, code="E5", result="pass", explanation="dates corrigées")
    Verdict.objects.create(run=run, code="E9", result="fail", explanation="non")
    preview = EligibilityRun.objects.create(
        dossier=approved, moment="preview", rules_version=1, ran_at=later + dt.timedelta(hours=1)
    )
    Verdict.objects.create(run=preview, code="E5", result="fail", explanation="aperçu")
    qs, _ = exports.selection(campaign=campaign)
    header, first = read_csv(csv_bytes(qs))[:2]
    row = dict(zip(header, first))
    assert (row["Éligibilité E1"], row["Éligibilité E5"], row["Éligibilité E9"]) == (
        "",
        "Conforme",
        "Non conforme",
    )


def test_semicolon_option_uses_decimal_comma_and_bom(campaign_data):
    campaign, *_ = campaign_data
    qs, _ = exports.selection(campaign=campaign)
    data = csv_bytes(qs, semicolon=True)
    assert data.startswith("\ufeff".encode())
    header, first = read_csv(data, delimiter=";")[:2]
    assert dict(zip(header, first))["Montant accordé (€)"] == "5000,00"


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x")', "+33 1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"])
def test_formula_injection_neutralised_in_csv_xlsx_ods(name, tmp_path):
    campaign = make_campaign()
    dossier_in("submitted", campaign=campaign, commune=make_commune(name=name))
    qs, _ = exports.selection(campaign=campaign)
    row = dict(zip(*read_csv(csv_bytes(qs))[:2]))
    assert row["Commune"] == "'" + name
    out = io.BytesIO()
    exports.write_decisions(out, qs, "xlsx")
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(out.getvalue())).active
    cell = ws.cell(row=2, column=3)
    assert cell.data_type == "s" and cell.value.replace("\n", "\r") == "'" + name  # XML reads \r as \n
    out = io.BytesIO()
    exports.write_decisions(out, qs, "ods")
    ns = {"table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0"}
    row = ET.fromstring(zipfile.ZipFile(out).read("content.xml")).findall(".//table:table-row", ns)[1]
    text = "".join(row.findall("table:table-cell", ns)[2].itertext())
    assert text.replace("\n", "\r") == "'" + name


def test_xlsx_holds_the_same_rows_with_typed_cells(campaign_data):
    campaign, approved, *_ = campaign_data
    qs, _ = exports.selection(campaign=campaign)
    out = io.BytesIO()
    assert exports.write_decisions(out, qs, "xlsx") == 2
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(out.getvalue())).active.values)
    header = rows[0]
    first = dict(zip(header, rows[1]))
    assert len(rows) == 3 and first["Numéro de dossier"] == approved.reference
    assert first["Population"] == 950 and first["Montant accordé (€)"] == 5000
    assert isinstance(first["Date de dépôt"], dt.datetime)


def test_ods_is_an_opendocument_with_the_same_rows(campaign_data):
    campaign, approved, *_ = campaign_data
    qs, _ = exports.selection(campaign=campaign)
    out = io.BytesIO()
    assert exports.write_decisions(out, qs, "ods") == 2
    zf = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    first = zf.infolist()[0]
    assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
    assert zf.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
    root = ET.fromstring(zf.read("content.xml"))
    ns = {
        "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
        "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    }
    rows = root.findall(".//table:table-row", ns)
    assert len(rows) == 3
    cells = rows[1].findall("table:table-cell", ns)
    assert "".join(cells[0].itertext()) == approved.reference
    population = cells[4]
    assert (
        population.get(f"{{{ns['office']}}}value-type") == "float"
        and population.get(f"{{{ns['office']}}}value") == "950"
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods"])
def test_command_writes_the_same_bytes_as_the_job(
    fmt, campaign_data, tmp_path, django_capture_on_commit_callbacks
):
    campaign, *_ = campaign_data
    user = make_user("auditeur")
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.create_job(user, fmt, campaign=campaign)
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE and job.rows_done == 2 and job.percent == 100
    path = tmp_path / f"out.{fmt}"
    call_command("export_decisions", "--format", fmt, "--campaign", str(campaign.pk), "-o", str(path))
    assert path.read_bytes() == job.file.read()


def test_every_export_is_an_audit_event_with_sha256_and_row_count(
    campaign_data, tmp_path, django_capture_on_commit_callbacks
):
    campaign, *_ = campaign_data
    user = make_user("auditeur")
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.create_job(user, "xlsx", campaign=campaign)
    job.refresh_from_db()
    event = AuditEvent.objects.filter(action="export_decisions").order_by("-seq").first()
    payload = audit.event_payload(event)
    assert event.actor_id == user.pk and event.actor_role == "auditeur"
    assert payload["rows"] == 2 and payload["format"] == "xlsx"
    assert payload["sha256"] == hashlib.sha256(job.file.read()).hexdigest() == job.sha256
    assert payload["filter"] == {"campaign": {"id": campaign.pk, "name": campaign.name}}
    path = tmp_path / "d.csv"
    call_command("export_decisions", "--format", "csv", "-o", str(path))
    payload = audit.event_payload(
        AuditEvent.objects.filter(action="export_decisions").order_by("-seq").first()
    )
    assert payload["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest() and payload["rows"] == 3
    assert payload["filter"] == {"all": True}


def test_streamed_csv_records_its_audit_event_once_sent(campaign_data):
    campaign, *_ = campaign_data
    user = make_user("admin")
    qs, description = exports.selection(user=user, campaign=campaign)
    before = AuditEvent.objects.filter(action="export_decisions").count()
    stream = exports.stream_decisions(user, qs, description, "csv")
    data = next(stream)
    assert AuditEvent.objects.filter(action="export_decisions").count() == before
    data += b"".join(stream)
    event = AuditEvent.objects.filter(action="export_decisions").order_by("-seq").first()
    assert audit.event_payload(event)["sha256"] == hashlib.sha256(data).hexdigest()


def test_saved_filter_selection_reruns_the_instruction_filter(
    campaign_data, django_capture_on_commit_callbacks
):
    campaign, approved, rejected, draft, other = campaign_data
    owner = make_user("instructeur")
    saved = SavedFilter.objects.create(
        user=owner, name="Refusés", querystring=f"campaign={campaign.pk}&status=rejected"
    )
    auditor = make_user("auditeur")
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.create_job(auditor, "csv", saved_filter=saved)
    job.refresh_from_db()
    rows = read_csv(job.file.read())
    assert [r[0] for r in rows[1:]] == [rejected.reference]
    assert job.querystring == saved.querystring


def test_paid_recovered_amounts_committee_session_and_votes():
    from fonds.comite.models import AgendaItem, Session
    from fonds.payments.models import PaymentOrder

    campaign = make_campaign()
    dossier = dossier_in("closed", campaign=campaign)
    chair = make_user("comite")
    starts = clock.now() - dt.timedelta(days=50)
    session = Session.objects.create(campaign=campaign, starts_at=starts, chair=chair, created_by=chair)
    AgendaItem.objects.create(
        session=session,
        dossier=dossier,
        rank=1,
        outcome="approved",
        tally={"pour": 4, "contre": 1, "abstention": 0, "adopted": True},
    )
    PaymentOrder.objects.create(
        reference="A-1", dossier=dossier, kind="advance", amount=Decimal("3750.00"), state="paid"
    )
    PaymentOrder.objects.create(
        reference="B-1", dossier=dossier, kind="balance", amount=Decimal("1000.00"), state="paid"
    )
    PaymentOrder.objects.create(
        reference="R-1", dossier=dossier, kind="recovery", amount=Decimal("250.00"), state="paid"
    )
    qs, _ = exports.selection(campaign=campaign)
    row = dict(zip(*read_csv(csv_bytes(qs))[:2]))
    assert row["Montant versé (€)"] == "4750.00" and row["Montant reversé (€)"] == "250.00"
    assert row["Séance du comité"] == timezone.localtime(starts).date().isoformat()
    assert row["Décision du comité"] == "Accordé"
    assert row["Votes (pour / contre / abstentions)"] == "4 pour, 1 contre, 0 abstention(s) : adopté"


# --- SCDL ------------------------------------------------------------------------------------


def scdl_file(tmp_path, settings, campaign=None) -> tuple:
    settings.FJJ_SIRET = TEST_SIRET
    path = tmp_path / "subventions.csv"
    args = ["--campaign", str(campaign.pk)] if campaign else []
    call_command("export_decisions", "--format", "scdl", *args, "-o", str(path))
    return path, read_csv(path.read_bytes())


def test_scdl_export_valid_against_official_schema_2_1_1(tmp_path, settings):
    from frictionless import Resource, Schema, validate

    campaign = make_campaign()
    for d in (
        dossier_in("agreement_signed", campaign=campaign, commune=make_commune(name="L'Hôpital, « test »")),
        dossier_in("closed", campaign=campaign),
    ):
        _bank(d.commune, demo_siret(d.commune.siren), certified=True)
    path, rows = scdl_file(tmp_path, settings, campaign)
    assert len(rows) == 3
    schema = Schema.from_descriptor(scdl.schema())
    report = validate(Resource(path=path.name, basepath=str(tmp_path), schema=schema))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_scdl_rejects_invalid_data_through_the_same_validation(tmp_path, settings):
    """The validation can fail: the same file with a montant that is not a number is refused."""
    from frictionless import Resource, Schema, validate

    campaign = make_campaign()
    signed = dossier_in("agreement_signed", campaign=campaign)
    _bank(signed.commune, demo_siret(signed.commune.siren), certified=True)
    path, rows = scdl_file(tmp_path, settings, campaign)
    header = rows[0]
    rows[1][header.index("montant")] = "cinq mille"
    bad = tmp_path / "bad.csv"
    with open(bad, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    report = validate(
        Resource(path=bad.name, basepath=str(tmp_path), schema=Schema.from_descriptor(scdl.schema()))
    )
    assert not report.valid


def test_scdl_publishes_only_awards_with_accepted_convention(tmp_path, settings):
    campaign = make_campaign()
    signed = dossier_in("agreement_signed", campaign=campaign)
    for d in (signed, dossier_in("approved", campaign=campaign), dossier_in("rejected", campaign=campaign)):
        _bank(d.commune, demo_siret(d.commune.siren), certified=True)
    _, rows = scdl_file(tmp_path, settings, campaign)
    row = dict(zip(rows[0], rows[1]))
    assert len(rows) == 2 and row["idSubvention"] == signed.reference
    assert row["idAttribuant"] == TEST_SIRET and row["idServiceInstructeur"] == TEST_SIRET
    assert row["nomBeneficiaire"] == f"Commune de {signed.commune.name}"
    assert row["idBeneficiaire"] == demo_siret(signed.commune.siren)
    assert row["montant"] == "5000.00" and row["montantDemande"] == "6000.00"
    convention = (timezone.localtime(signed.submitted_at) + dt.timedelta(days=5)).date()
    assert row["dateConvention"] == convention.isoformat()
    assert rows[0] == scdl.field_names()


def test_scdl_beneficiary_uses_a_known_siret_never_an_invented_nic():
    """Never the SIREN, never an invented NIC: without a valid SIRET the row is held back."""
    assert scdl.beneficiary("213501232", "21350123200010") == ("21350123200010", scdl.CERTIFIED)
    assert scdl.beneficiary("213501232", "") == ("", scdl.HELD_BACK)
    assert scdl.beneficiary("213501232", "99999999900015") == ("", scdl.HELD_BACK)  # another SIREN
    assert scdl.beneficiary("213501232", "21350123200015") == ("", scdl.HELD_BACK)  # checksum wrong
    assert scdl.beneficiary("213501232", "", "21350123200010") == ("21350123200010", scdl.DECLARED)


def _bank(commune, siret, *, certified):
    """Bank details as recorded through fonds.payments.services (setup only: that path is tested there)."""
    from fonds.payments.models import BankDetails

    bank = BankDetails(
        commune=commune,
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
        holder=f"Commune de {commune.name}",
        siret=siret,
    )
    if certified:
        bank.certified_at = clock.now()
        bank.certified_fingerprint = bank.fingerprint()
    bank.save()
    return bank


def _by_reference(rows):
    return {dict(zip(rows[0], row))["idSubvention"]: dict(zip(rows[0], row)) for row in rows[1:]}


def test_scdl_publishes_the_certified_siret_of_the_commune(tmp_path, settings, capsys):
    campaign = make_campaign()
    dossier = dossier_in("agreement_signed", campaign=campaign)
    siret = demo_siret(dossier.commune.siren)
    _bank(dossier.commune, siret, certified=True)
    path, rows = scdl_file(tmp_path, settings, campaign)
    assert _by_reference(rows)[dossier.reference]["idBeneficiaire"] == siret
    assert "SIRET certifié pour toutes les lignes publiées (1)" in capsys.readouterr().err
    payload = audit.event_payload(
        AuditEvent.objects.filter(action="export_decisions").order_by("-seq").first()
    )
    assert payload["id_beneficiaire"] == {scdl.CERTIFIED: 1, scdl.DECLARED: 0, scdl.HELD_BACK: 0}
    assert payload["held_back"] == []


def test_scdl_falls_back_to_the_declared_siret_and_says_so_on_stderr(tmp_path, settings, capsys):
    campaign = make_campaign()
    certified, declared = (dossier_in("agreement_signed", campaign=campaign) for _ in range(2))
    _bank(certified.commune, demo_siret(certified.commune.siren), certified=True)
    _bank(declared.commune, demo_siret(declared.commune.siren), certified=False)
    path, rows = scdl_file(tmp_path, settings, campaign)
    got = {ref: row["idBeneficiaire"] for ref, row in _by_reference(rows).items()}
    assert got == {
        certified.reference: demo_siret(certified.commune.siren),
        declared.reference: demo_siret(declared.commune.siren),
    }
    err = capsys.readouterr().err
    assert "2 ligne(s) publiée(s), dont 1 avec le SIRET déclaré" in err and "retenue" not in err


def test_scdl_row_without_siret_is_held_back_and_listed(tmp_path, settings, capsys):
    """No valid SIRET (no bank details, none typed, a wrong one): not in the file — never the
    SIREN — and listed for completion on stderr, in the audit event and on the « Contrôle » page."""
    from frictionless import Resource, Schema, validate

    campaign = make_campaign()
    published, legacy, none, wrong = (dossier_in("agreement_signed", campaign=campaign) for _ in range(4))
    _bank(published.commune, demo_siret(published.commune.siren), certified=True)
    _bank(legacy.commune, "", certified=True)  # certified before the SIRET existed
    _bank(wrong.commune, "99999999900015", certified=False)  # another SIREN's SIRET
    path, rows = scdl_file(tmp_path, settings, campaign)
    assert list(_by_reference(rows)) == [published.reference]
    assert all(
        row[rows[0].index("idBeneficiaire")] != d.commune.siren
        for row in rows[1:]
        for d in (legacy, none, wrong)
    )
    report = validate(
        Resource(path=path.name, basepath=str(tmp_path), schema=Schema.from_descriptor(scdl.schema()))
    )
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    held = sorted((legacy, none, wrong), key=lambda d: d.reference)
    err = capsys.readouterr().err
    assert "3 subvention(s) retenue(s)" in err
    for d in held:
        assert f"{d.reference} — commune de {d.commune.name} ({d.commune_id})" in err
    payload = audit.event_payload(
        AuditEvent.objects.filter(action="export_decisions").order_by("-seq").first()
    )
    assert payload["id_beneficiaire"] == {scdl.CERTIFIED: 1, scdl.DECLARED: 0, scdl.HELD_BACK: 3}
    assert [row["reference"] for row in payload["held_back"]] == [d.reference for d in held]
    coverage = scdl.siret_coverage(exports.selection(campaign=campaign)[0])
    assert (coverage.total, coverage.certified, coverage.declared) == (4, 1, 0)
    reasons = {h.reference: h.reason for h in coverage.held_back}
    assert [h.reference for h in coverage.held_back] == [d.reference for d in held]
    assert (
        "aucune coordonnée bancaire" in reasons[none.reference] and "non saisi" in reasons[legacy.reference]
    )
    assert (
        "SIRET saisi invalide" in reasons[wrong.reference] and wrong.commune.siren in reasons[wrong.reference]
    )


def test_scdl_held_back_rows_counted_in_the_web_export_event(client, settings):
    settings.FJJ_SIRET = TEST_SIRET
    campaign = make_campaign()
    held = dossier_in("closed", campaign=campaign)
    client.force_login(make_user("auditeur"))
    response = client.get(reverse("reporting:csv"), {"format": "scdl", "campaign": campaign.pk})
    data = b"".join(response.streaming_content)
    assert held.reference.encode() not in data
    payload = audit.event_payload(
        AuditEvent.objects.filter(action="export_decisions").order_by("-seq").first()
    )
    assert payload["channel"] == "web" and payload["id_beneficiaire"][scdl.HELD_BACK] == 1
    assert payload["held_back"] == [
        {"reference": held.reference, "commune": held.commune_id, "commune_name": held.commune.name}
    ]


def test_scdl_export_query_count_does_not_grow_with_the_rows(settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.FJJ_SIRET = TEST_SIRET

    def count(campaign):
        with CaptureQueriesContext(connection) as ctx:
            list(scdl.csv_chunks(exports.selection(campaign=campaign)[0]))
        return len(ctx.captured_queries)

    small, large = make_campaign(), make_campaign()
    first = dossier_in("agreement_signed", campaign=small)
    _bank(first.commune, demo_siret(first.commune.siren), certified=True)
    for i in range(5):
        d = dossier_in("agreement_signed", campaign=large)
        _bank(d.commune, demo_siret(d.commune.siren), certified=bool(i % 2))
    assert count(small) == count(large)


def test_scdl_refused_without_the_fund_siret(settings):
    settings.FJJ_SIRET = ""
    with pytest.raises(ImproperlyConfigured):
        list(scdl.iter_records(exports.selection()[0]))


def test_xlsx_bytes_do_not_depend_on_the_second_of_saving(monkeypatch):
    """openpyxl stamps docProps/core.xml with the time of saving: normalised away."""
    import datetime as real_dt
    import io

    from openpyxl.writer import excel

    from fonds.reporting.decisions import Column

    cols = [Column("a", "A", "text")]
    outputs = []
    for year in (2001, 2031):

        class Fixed(real_dt.datetime):
            YEAR = year

            @classmethod
            def now(cls, tz=None):
                return real_dt.datetime(cls.YEAR, 5, 4, 3, 2, 1, tzinfo=tz)

        monkeypatch.setattr(excel.datetime, "datetime", Fixed)
        out = io.BytesIO()
        formats.write_xlsx(out, cols, [["x"]])
        outputs.append(out.getvalue())
    assert outputs[0] == outputs[1]


def test_rows_without_the_labels_and_processing_times_are_the_rows_less_those_cells(campaign_data):
    campaign, *_ = campaign_data
    qs, _ = exports.selection(campaign=campaign)
    cols = decisions.columns(qs)
    kept = [i for i, c in enumerate(cols) if c.key != "etiquettes" and not c.key.startswith("delai_")]
    assert len(cols) - len(kept) == 7
    full = list(decisions.iter_rows(qs, cols))
    fewer = list(decisions.iter_rows(qs, [cols[i] for i in kept]))
    assert fewer == [[row[i] for i in kept] for row in full]


def test_rows_read_chunk_by_chunk_are_the_rows_read_at_once(campaign_data):
    """The side reads of a chunk run while the previous chunk is written (``decisions._chunks``):
    chunks of one dossier give the rows of one chunk, and the caller's progress (a query of its
    own between chunks) sees each chunk."""
    campaign, approved, rejected, *_ = campaign_data
    user = make_user("instructeur")
    label = Label.objects.create(campaign=campaign, name="Prioritaire", colour="blue-ecume", created_by=user)
    DossierLabel.objects.create(dossier=rejected, label=label, added_by=user)
    qs, _ = exports.selection(campaign=campaign)
    cols = decisions.columns(qs)
    done = []

    job = ExportJob.objects.create(user=make_user("instructeur"), format="xlsx")

    def progress(n):  # as build_job's: an UPDATE, here read back
        ExportJob.objects.filter(pk=job.pk).update(rows_done=n)
        done.append((n, ExportJob.objects.get(pk=job.pk).rows_done))

    once = list(decisions.iter_rows(qs, cols, chunk_size=1000))
    by_one = list(decisions.iter_rows(qs, cols, chunk_size=1, progress=progress))
    assert by_one == once and len(once) == 2
    assert once[1][[c.key for c in cols].index("etiquettes")] == "Prioritaire"
    delays = [i for i, c in enumerate(cols) if c.key.startswith("delai_")]
    assert delays and all(any(row[i] is not None for i in delays) for row in once)  # read in the pipeline
    assert done == [(1, 1), (2, 2)]


def test_an_export_left_midway_leaves_the_connection_usable(campaign_data):
    """A download cut off (the client gone: the generator closed inside a chunk's pipeline) or a
    writer failing midway: the next queries of the process still run."""
    campaign, approved, *_ = campaign_data
    qs, _ = exports.selection(campaign=campaign)
    rows = decisions.iter_rows(qs, chunk_size=1)
    assert next(rows)[0] == approved.reference
    rows.close()
    assert ExportJob.objects.count() == 0
    rows = decisions.iter_rows(qs, chunk_size=1)
    next(rows)
    with pytest.raises(RuntimeError):
        rows.throw(RuntimeError("disque plein"))
    assert ExportJob.objects.count() == 0
