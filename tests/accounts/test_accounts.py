from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from accounts.forms import WorkingHoursField
from accounts.models import RepProfile, validate_time_zone, validate_working_hours
from accounts.roles import Role, has_role
from tests.factories import TeamFactory, UserFactory, make_rep

UTC = ZoneInfo("UTC")


def _profile(**fields) -> RepProfile:
    return RepProfile(time_zone=fields.pop("time_zone", "UTC"), **fields)


def test_working_hours_are_read_in_the_reps_own_time_zone():
    profile = _profile(time_zone="America/Sao_Paulo", working_hours={"mon": [["09:00", "17:00"]]})
    # Monday 2026-11-23 12:00 UTC is 09:00 in São Paulo (UTC-3): inside.
    assert profile.works_at(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    # 11:59 UTC is 08:59 there: outside, though it is inside 09–17 UTC.
    assert not profile.works_at(datetime(2026, 11, 23, 11, 59, tzinfo=UTC))
    # 20:00 UTC is 17:00 there: the window's end is exclusive.
    assert not profile.works_at(datetime(2026, 11, 23, 20, 0, tzinfo=UTC))
    # Tuesday has no window.
    assert not profile.works_at(datetime(2026, 11, 24, 13, 0, tzinfo=UTC))


def test_a_window_may_run_to_midnight():
    profile = _profile(working_hours={"mon": [["18:00", "24:00"]]})
    assert profile.works_at(datetime(2026, 11, 23, 23, 59, 59, tzinfo=UTC))


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"funday": []},
        {"mon": "9-5"},
        {"mon": [["17:00", "09:00"]]},
        {"mon": [["nine", "five"]]},
    ],
)
def test_bad_working_hours_get_a_clear_message(bad):
    with pytest.raises(ValidationError):
        validate_working_hours(bad)


def test_time_zone_must_be_iana():
    validate_time_zone("Europe/Lisbon")
    with pytest.raises(ValidationError, match="IANA"):
        validate_time_zone("Mars/Olympus")


@pytest.mark.django_db
def test_caps_fall_back_to_the_team():
    team = TeamFactory(max_per_day=10, max_open_untouched=None)
    rep = make_rep(team=team, max_per_day=None, max_open_untouched=3)
    profile = rep.rep_profile
    assert profile.effective_cap("max_per_day") == 10
    assert profile.effective_cap("max_open_untouched") == 3
    assert profile.effective_cap("max_per_week") is None


@pytest.mark.django_db
def test_roles_come_from_groups():
    rep = UserFactory(roles=[Role.REP])
    assert has_role(rep, Role.REP) and not has_role(rep, Role.MANAGER)
    superuser = UserFactory(is_superuser=True)
    assert has_role(superuser, Role.ADMIN)
    inactive = UserFactory(roles=[Role.REP], is_active=False)
    assert not has_role(inactive, Role.REP)


@pytest.mark.django_db
def test_role_groups_carry_permissions_after_migrate():
    from django.contrib.auth.models import Group

    from accounts.services import role_groups_ensure

    role_groups_ensure()
    manager = Group.objects.get(name="manager")
    assert manager.permissions.filter(codename="view_lead").exists()
    assert not manager.permissions.filter(codename="delete_lead").exists()
    assert Group.objects.get(name="admin").permissions.filter(codename="delete_lead").exists()


# --- the admin's plain-text editing of JSON ---------------------------------------------


def test_working_hours_read_and_written_as_a_line_per_day():
    field = WorkingHoursField(required=False)
    week = {"mon": [["09:00", "12:00"], ["13:00", "18:00"]], "sat": [["10:00", "14:00"]]}
    text = field.prepare_value(week)
    assert text.splitlines()[:3] == ["mon: 09:00-12:00, 13:00-18:00", "tue: off", "wed: off"]
    assert field.clean(text) == week  # round trip
    assert field.clean("Monday: 08:00–12:00\n\nfri: off\nsun:00:00-24:00") == {
        "mon": [["08:00", "12:00"]],
        "sun": [["00:00", "24:00"]],
    }
    assert field.clean("") == {}
    for bad, says in [
        ("09:00-17:00", "start each line with a day"),
        ("mon: 9-17", "is not a window like 09:00-17:00"),
        ("mon: 09:00-17:00\nmon: off", "mon appears twice"),
        ("funday: off", "start each line with a day"),
    ]:
        with pytest.raises(ValidationError) as exc:
            field.clean(bad)
        assert says in exc.value.messages[0]
    assert not field.has_changed(week, text) and field.has_changed(week, "mon: off")


def test_admin_edits_working_hours_as_lines_and_the_model_still_checks_each_window(client_for, db):
    client = client_for(UserFactory(is_staff=True, is_superuser=True))
    profile = make_rep().rep_profile
    profile.working_hours = {"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]]}
    profile.save()
    url = f"/admin/accounts/repprofile/{profile.pk}/change/"
    page = client.get(url)
    html = page.content.decode()
    assert "mon: 09:00-17:00\ntue: 09:00-17:00\nwed: off" in html
    # The time zone box suggests zones (the model's validator still decides).
    assert 'name="time_zone"' in html and 'list="time_zone-zones"' in html
    assert (
        '<datalist id="time_zone-zones">' in html and '<option value="America/Sao_Paulo">' in html
    )
    data = {
        "user": profile.user_id,
        "team": profile.team_id,
        "seniority": profile.seniority,
        "weight": profile.weight,
        "time_zone": "UTC",
        "availability": profile.availability,
        "availability_since_0": "2026-11-30",
        "availability_since_1": "09:00:00",
        "out_of_office-TOTAL_FORMS": 0,
        "out_of_office-INITIAL_FORMS": 0,
    }
    response = client.post(url, {**data, "working_hours": "mon: 18:00-09:00"})
    assert "a window must end after it starts" in response.content.decode()
    profile.refresh_from_db()
    assert profile.working_hours["tue"] == [["09:00", "17:00"]]  # nothing saved
    response = client.post(url, {**data, "working_hours": "mon: 08:00-16:00\nwed: 10:00-14:00"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    profile.refresh_from_db()
    assert profile.working_hours == {"mon": [["08:00", "16:00"]], "wed": [["10:00", "14:00"]]}
