"""The real lead files in ../shared/data import with sensible results. The files are not in
the repo (their licences forbid it); without them these tests skip and say why. The big
files are imported as a prefix here; bench/import.py runs the whole 9,240-row file."""

from pathlib import Path

import pytest
from django.conf import settings

from pools.capture.imports import mapping as m
from pools.capture.imports.parsing import csv_inspect
from pools.capture.imports.runs import import_job_run
from pools.capture.imports.services import import_job_create, import_job_start
from pools.models import ImportJob, Lead
from tests.factories import LeadSourceFactory
from tests.shared_data import shared_data

pytestmark = pytest.mark.django_db
DATA = Path(settings.SHARED_DATA_DIR)
OLIST = DATA / "olist" / "olist_marketing_qualified_leads_dataset.csv"
OLIST_DAMAGED = DATA / "olist" / "olist_marketing_qualified_leads_excel_damaged.csv"
X_EDUCATION = DATA / "x_education" / "Leads.csv"
PREFIX_ROWS = 400


def data_file(path: Path) -> bytes:
    return shared_data(*path.relative_to(DATA).parts).read_bytes()


def prefix(content: bytes, rows: int) -> bytes:
    """The header and the first `rows` lines, cut at a line end (these files have no
    line breaks inside quoted cells)."""
    return b"\n".join(content.split(b"\n")[: rows + 1]) + b"\n"


def run(user, source, content: bytes) -> ImportJob:
    job = import_job_create(user=user, source=source, filename="real.csv", content=content)
    import_job_run(job_id=import_job_start(job=job, mapping=job.mapping).pk)
    job.refresh_from_db()
    return job


def test_olist_whole_file_is_read_and_mapped():
    info = csv_inspect(data_file(OLIST))
    assert info.total == 8000 and info.delimiter == ","
    assert m.mapping_guess(info.headers) == {
        "mql_id": "external_id",
        "first_contact_date": m.RECEIVED_AT,
        "landing_page_id": "landing_page",
        "origin": "campaign",
    }


def test_olist_imports_and_the_excel_damaged_copy_adds_no_duplicates(manager, source):
    job = run(manager, source, prefix(data_file(OLIST), PREFIX_ROWS))
    assert (job.status, job.created, job.duplicates, job.rejected) == (
        ImportJob.Status.DONE,
        PREFIX_ROWS,
        0,
        0,
    )
    lead = Lead.objects.get(external_id="dac32acd4db4c29c230538b72f8dd87d")
    assert lead.created_at.date().isoformat() == "2018-02-01" and lead.campaign == "social"
    # The same leads as Excel re-saved them: dd-mm-yyyy dates and CRLF; mql_id matches.
    damaged = data_file(OLIST_DAMAGED)
    info = csv_inspect(damaged)
    assert info.total == 8000
    again = run(manager, source, prefix(damaged, PREFIX_ROWS))
    assert (again.created, again.duplicates, again.rejected) == (0, PREFIX_ROWS, 0)
    assert Lead.objects.count() == PREFIX_ROWS


def test_olist_damaged_copy_on_its_own_reads_day_first_dates(manager):
    source = LeadSourceFactory(name="Olist", slug="olist")
    job = run(manager, source, prefix(data_file(OLIST_DAMAGED), 50))
    assert (job.created, job.rejected) == (50, 0)
    lead = Lead.objects.get(external_id="8c18d1de7f67e60dbd64e3c07d7e9d5d")
    assert lead.created_at.date().isoformat() == "2017-10-20"


def test_x_education_leads_import(manager, source):
    content = data_file(X_EDUCATION)
    info = csv_inspect(content)
    assert info.total == 9240 and len(info.headers) == 37
    job = run(manager, source, prefix(content, PREFIX_ROWS))
    assert (job.created, job.duplicates, job.rejected) == (PREFIX_ROWS, 0, 0)
    lead = Lead.objects.get(external_id="2a272436-5132-4136-86fa-dcc88c88f482")
    assert lead.country == "IN" and lead.campaign == "Organic Search"
    assert lead.city == ""  # "Select" is a placeholder
    assert lead.attributes["Lead Number"] == "660728"
    assert lead.attributes["Total Time Spent on Website"] == "674"
    assert "Specialization" not in lead.attributes  # mapped to product_interest
    countries = set(Lead.objects.values_list("country", flat=True))
    assert "IN" in countries and all(c == "" or (len(c) == 2 and c.isupper()) for c in countries)
