"""What a manager and a visitor do: import a CSV and watch it run; fill the web form."""

import re

import pytest

from pools.lifecycle import LeadState
from pools.models import ImportJob, Lead
from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD, LeadSourceFactory, PoolFactory
from tests.servers import celery_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = (
    "Name;E-mail;Phone;Country;Company\r\n"
    + "".join(
        f"Person {i};p{i}@example.com;11 9{i:04d}-1234;Brasil;Firm {i}\r\n" for i in range(1, 300)
    )
    + "Broken;not-an-email;;;\r\n"
)


@pytest.fixture
def team_source(manager):
    team = manager.managed_teams.get()
    PoolFactory(team=team, is_team_default=True)
    return LeadSourceFactory(name="Fairs", slug="fairs", team=team, form_enabled=True)


@pytest.mark.worker
def test_manager_imports_a_csv_and_watches_progress(
    browser, live_url, manager, team_source, tmp_path
):
    upload = tmp_path / "fair.csv"
    upload.write_bytes(CSV.encode("latin-1"))
    page = browser.new_page()
    login(page, live_url, manager.username, PASSWORD)
    page.goto(f"{live_url}/leads/import/")
    page.select_option("#id_source", str(team_source.pk))
    page.set_input_files("#id_file", str(upload))
    page.click("text=Upload and map columns")
    page.wait_for_load_state("networkidle")
    assert "Check the columns" in page.inner_text("main")
    job_url = page.url
    with celery_worker("celery"):
        page.click("button:has-text('Import 300 rows')")
        # The progress partial polls every second; no reload happens in this test.
        page.wait_for_selector("#import-progress:has-text('Summary')", timeout=60_000)
    assert page.url == job_url
    text = page.inner_text("#import-progress")
    assert "299" in text and "created" in text and "rejected" in text
    screenshot(page, "import-summary")
    job = ImportJob.objects.get()
    assert (job.created, job.rejected) == (299, 1)
    with page.expect_download() as download:
        page.click("text=Download the error report (CSV)")
    assert "not a valid e-mail" in open(download.value.path(), encoding="utf-8-sig").read()
    page.close()


def test_visitor_fills_the_web_form(browser, live_url, team_source):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{live_url}/capture/fairs/")
    # The honeypot sits off-screen: people never see it, naive bots fill it in.
    assert page.locator("#id_website").bounding_box()["x"] < -1000
    page.fill("#id_first_name", "Rita")
    page.fill("#id_email", "rita@example.com")
    page.fill("#id_phone", "+55 21 99876-5432")
    page.wait_for_timeout(2200)  # people take a moment; instant posts are treated as bots
    page.click("button:has-text('Send')")
    page.wait_for_load_state("networkidle")
    assert "/thanks/" in page.url
    screenshot(page, "capture-thanks-phone")
    lead = Lead.objects.get()
    assert lead.phone == "+5521998765432" and lead.source == team_source
    assert lead.status in (LeadState.NEW, LeadState.SCREENED, LeadState.POOLED)
    page.close()


def test_autofilled_form_sent_a_second_after_loading_is_kept_for_review(
    browser, live_url, team_source
):
    """Autofill fills every field at once and the visitor clicks Send a second later: the
    thanks they see is true — the lead exists, held for a manager because it was fast."""
    team_source.default_country = "BR"  # the form asks no country
    team_source.save()
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{live_url}/capture/fairs/")
    screenshot(page, "capture-form-laptop")
    page.reload()  # the fill time counts from here: the screenshot is not the visitor's
    for selector, value in (
        ("#id_first_name", "Rita"),
        ("#id_last_name", "Lopes"),
        ("#id_email", "rita@example.com"),
        ("#id_phone", "21 99876-5432"),
        ("#id_company", "Lopes Pet"),
    ):
        page.fill(selector, value)
    page.wait_for_timeout(500)  # well under the 2 s minimum, even on a busy machine
    page.click("button:has-text('Send')")
    page.wait_for_load_state("networkidle")
    assert "/thanks/" in page.url
    assert team_source.thank_you_message in page.inner_text("body")
    screenshot(page, "capture-thanks-laptop")
    lead = Lead.objects.get()
    assert (lead.email, lead.phone) == ("rita@example.com", "+5521998765432")
    assert re.match(r"Looks automated: sent [01]\.\d s after the form loaded", lead.review_reason)
    page.close()


def test_visitor_fixes_a_phone_error_and_resends_at_once(browser, live_url, team_source):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{live_url}/capture/fairs/")
    screenshot(page, "capture-form-phone")
    page.fill("#id_first_name", "Rita")
    page.fill("#id_email", "rita@example.com")
    page.fill("#id_phone", "21 99876-5432")
    page.wait_for_timeout(2200)  # typed by a person
    page.click("button:has-text('Send')")
    page.wait_for_load_state("networkidle")
    error = page.inner_text(".field-error")
    # The form has no country field, and the source no default country: ask for the code.
    assert "starting with +" in error and "country" not in error.replace("country code", "")
    screenshot(page, "capture-phone-error-phone")
    page.fill("#id_phone", "+55 21 99876-5432")
    page.click("button:has-text('Send')")  # well within two seconds of the error page
    page.wait_for_load_state("networkidle")
    assert "/thanks/" in page.url
    lead = Lead.objects.get()
    assert lead.phone == "+5521998765432" and lead.review_reason == ""
    page.close()
