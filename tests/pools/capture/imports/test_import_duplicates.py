"""The import's summary lists the rows that made no new lead: which row, what identified
it, and the lead it repeated (named only to whoever may open that lead)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pools.capture.imports.runs import import_job_run
from pools.capture.imports.services import import_job_create, import_job_start
from pools.models import ImportDuplicate, Lead
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

Same = ImportDuplicate.MatchedBy


def run_import(user, source, content: str):
    job = import_job_create(user=user, source=source, filename="f.csv", content=content.encode())
    job = import_job_start(job=job, mapping=job.mapping)
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


@pytest.fixture
def known(team, other_team):
    """Open leads an import may repeat: two of this team; and one of another team, which
    it may not (another team's leads are not this team's business)."""
    return {
        "ana": LeadFactory(team=team, first_name="Ana", last_name="Souza", email="ana@example.com"),
        "bruno": LeadFactory(
            team=team, first_name="Bruno", last_name="Lima", phone="+5511900000001"
        ),
        "secret": LeadFactory(
            team=other_team, first_name="Hidden", last_name="Person", email="hidden@example.com"
        ),
    }


FILE = (
    "id,name,email,phone\r\n"
    "A-1,Ana Souza,ana@example.com,\r\n"  # row 2: same e-mail as Ana
    "A-2,Bruno Lima,,+5511900000001\r\n"  # row 3: same phone, same name: Bruno
    "A-3,Carla Dias,,+5511900000001\r\n"  # row 4: same phone, another name: a new lead
    "A-4,Someone,hidden@example.com,\r\n"  # row 5: another team's lead: a new lead here
    "A-3,Carla Again,carla@example.com,\r\n"  # row 6: external id of row 4
)


def test_each_duplicate_row_is_recorded_with_its_lead_and_what_matched(manager, source, known):
    job = run_import(manager, source, FILE)
    assert (job.created, job.duplicates, job.rejected) == (2, 3, 0)
    carla = Lead.objects.get(external_id="A-3")
    assert list(job.duplicate_rows.values_list("row", "matched_by", "lead_id")) == [
        (2, Same.EMAIL, known["ana"].pk),
        (3, Same.PHONE, known["bruno"].pk),
        (6, Same.EXTERNAL_ID, carla.pk),
    ]
    ours = Lead.objects.get(external_id="A-4")
    assert ours.team_id == source.team_id and ours.email == "hidden@example.com"
    assert not known["secret"].events.filter(kind="inquiry").exists()


def test_a_reimport_lists_every_row_as_a_duplicate_of_its_lead(manager, source, known):
    first = run_import(manager, source, FILE)
    again = run_import(manager, source, FILE)
    assert (again.created, again.duplicates) == (0, 5)
    first_leads = dict(first.duplicate_rows.values_list("row", "lead_id"))
    first_leads[4] = Lead.objects.get(external_id="A-3").pk
    first_leads[5] = Lead.objects.get(external_id="A-4").pk
    assert dict(again.duplicate_rows.values_list("row", "lead_id")) == first_leads
    assert set(again.duplicate_rows.values_list("matched_by", flat=True)) == {Same.EXTERNAL_ID}
    # A row merged the first time is recognised, not logged on its lead a second time.
    assert known["ana"].events.filter(kind="inquiry").count() == 1


def test_a_file_without_ids_is_recognised_row_by_row(manager, source):
    content = "email\r\none@example.com\r\ntwo@example.com\r\n"
    run_import(manager, source, content)
    again = run_import(manager, source, content)
    assert list(again.duplicate_rows.values_list("row", "matched_by")) == [
        (2, Same.SAME_ROW),
        (3, Same.SAME_ROW),
    ]


def test_the_summary_links_the_leads_the_manager_may_open(manager, client_for, source, known):
    job = run_import(manager, source, FILE)
    page = client_for(manager).get(reverse("pools:import_job", args=[job.pk])).content.decode()
    assert "Duplicates: rows that made no new lead" in page
    ana_url = reverse("pools:lead_detail", args=[known["ana"].pk])
    assert f'<a href="{ana_url}">Ana Souza</a>' in page
    assert "Same e-mail" in page and "Same phone" in page and "Same external id" in page
    # Dedupe stays within the team: the other team's lead is neither joined nor named.
    assert "Hidden" not in page
    assert reverse("pools:lead_detail", args=[known["secret"].pk]) not in page
    # The lead page behind each link opens for this manager.
    assert client_for(manager).get(ana_url).status_code == 200


def test_the_summary_shows_twenty_and_says_how_many_more_in_constant_queries(
    manager, client_for, source
):
    client = client_for(manager)

    def page_queries(rows: int):
        content = "email\r\n" + "".join(f"p{i}@example.com\r\n" for i in range(rows))
        run_import(manager, source, content)
        job = run_import(manager, source, content)  # every row a duplicate
        url = reverse("pools:import_job", args=[job.pk])
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url).content.decode()
        return len(queries), page

    few, few_page = page_queries(3)
    many, many_page = page_queries(45)
    assert few == many
    assert few_page.count("Same row imported before") == 3 and "more." not in few_page
    assert many_page.count("Same row imported before") == 20
    assert "…and 25 more." in many_page


def test_the_duplicates_csv_lists_every_row(manager, client_for, source, known):
    job = run_import(manager, source, FILE)
    response = client_for(manager).get(reverse("pools:import_duplicates", args=[job.pk]))
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "row,identified by,lead id,lead,link"
    assert lines[1].startswith(f"2,Same e-mail,{known['ana'].pk},Ana Souza,http://testserver/")
    assert lines[3].startswith("6,Same external id,")
    assert len(lines) == 4


def test_the_duplicates_csv_is_for_the_job_s_managers_only(
    manager, rep, client_for, source, other_team
):
    from tests.factories import make_manager

    job = run_import(manager, source, FILE)
    url = reverse("pools:import_duplicates", args=[job.pk])
    assert client_for(rep).get(url).status_code == 403
    assert client_for(make_manager(teams=[other_team])).get(url).status_code == 404
    assert client_for(manager).post(url).status_code == 405
