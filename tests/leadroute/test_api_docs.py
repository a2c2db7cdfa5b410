"""The API's interactive docs load from the app's own static files: from a CDN they were a
blank page on a machine without internet."""

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_the_api_docs_page_uses_local_swagger_files(client):
    body = client.get("/api/docs").content.decode()
    assert "cdn.jsdelivr.net" not in body
    for name in ("ninja/swagger-ui-bundle.js", "ninja/swagger-ui.css"):
        assert f"/static/{name}" in body
        assert finders.find(name), name  # served by whitenoise like every static file
