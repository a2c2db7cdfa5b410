"""Login throttling (django-axes) on the app's sign-in and the admin's."""

import pytest
from django.test import Client

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _sign_in(client, path, username, password):
    client.get(path)
    return client.post(
        path,
        {
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        },
    )


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_five_wrong_passwords_pause_that_name_from_that_address(path, settings):
    user = UserFactory(is_staff=True)
    client = Client(enforce_csrf_checks=True)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(client, path, user.username, "wrong").status_code == 200
    locked = _sign_in(client, path, user.username, "wrong")
    assert locked.status_code == 429 and "Sign-in paused" in locked.content.decode()
    assert "Try again in 15 minutes" in locked.content.decode()
    # Even the right password waits out the pause...
    assert _sign_in(client, path, user.username, PASSWORD).status_code == 429
    # ...while another person signing in from the same address is not held up.
    other = UserFactory(is_staff=True)
    assert (
        _sign_in(Client(enforce_csrf_checks=True), path, other.username, PASSWORD).status_code
        == 302
    )


def test_a_right_password_before_the_limit_starts_the_count_again(settings):
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, "/accounts/login/", user.username, "wrong")
    assert _sign_in(client, "/accounts/login/", user.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(client, "/accounts/login/", user.username, "wrong").status_code == 200
