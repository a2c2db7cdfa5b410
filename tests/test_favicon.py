"""Every page has LeadRoute's icon: no 404 for /favicon.ico on the admin or the public form."""

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db

ICON = "img/favicon.svg"


def test_the_icon_file_exists():
    assert finders.find(ICON)


def test_favicon_ico_redirects_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith(ICON)


def test_admin_pages_name_the_icon(admin_user, client_for, client):
    response = client_for(admin_user).get("/admin/")
    assert response.status_code == 200
    assert f'rel="icon" href="/static/{ICON}"' in response.content.decode()
    login = client.get("/admin/login/")
    assert f'rel="icon" href="/static/{ICON}"' in login.content.decode()


def test_the_public_form_names_the_icon(client):
    from tests.factories import LeadSourceFactory

    source = LeadSourceFactory(form_enabled=True)
    response = client.get(f"/capture/{source.slug}/")
    assert response.status_code == 200
    assert f'rel="icon" href="/static/{ICON}"' in response.content.decode()
