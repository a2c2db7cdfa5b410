"""Google retries a lead while the first delivery is still being answered: on PostgreSQL,
with real threads and connections, the retries all get the one lead."""

import json
import threading

import pytest
from django.db import connection
from django.test import Client

from pools.models import Lead
from tests.pools.capture.webhooks.test_google_ads import URL, google_sample


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lead_id", ["short-id", "L" * 200])  # external id, or only the key
def test_ten_simultaneous_deliveries_of_one_lead_make_one_lead(google_hook, lead_id):
    _, key = google_hook
    body = json.dumps(google_sample(key, lead_id=lead_id))
    results, barrier = [], threading.Barrier(10)

    def deliver():
        try:
            barrier.wait()
            response = Client().post(URL, body, content_type="application/json")
            results.append((response.status_code, response.json()["id"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Lead.objects.count() == 1
    assert [code for code, _ in results] == [200] * 10
    assert {lead_id for _, lead_id in results} == {Lead.objects.get().pk}
