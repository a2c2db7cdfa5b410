"""Who may reach what: every URL the resolver knows and every websocket group, against
every role, with the expected answer in one table.

A URL without a row fails `test_every_url_has_a_row` by name: add its row to MATRIX (one
line). Django admin's own URLs are one rule instead of ~120 rows — every /admin/ URL is for
staff (the admin role) only — tested on a sample (ADMIN_SAMPLE).

Columns (ROLES): anonymous; a rep of team A; a rep of team B; a manager of team A; a
manager of team B; an admin; a request bearing the API key of another lead source (no
session); a skimmer — a rep of team B given skimming rights for team A (a top performer:
RepProfile.skim_teams), who may work team A's skim queue on the desk and nothing else of
team A's. The objects (lead, pool, offer, import job, web form) belong to team A and to
lead source S.

Each request runs in a savepoint rolled back after it, so an action one role is allowed
(a claim, a release) leaves the world as it was for the next cell.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import timedelta

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.roles import Role
from leadroute.asgi import application
from leadroute.shared.live import (
    board_group,
    pool_group,
    simulation_group,
    team_group,
    user_group,
)
from pools.capture.apikeys import apikey_create
from pools.capture.imports.services import import_job_create
from pools.capture.webhooks.secrets import hook_create
from pools.lifecycle import LeadState
from pools.models import InboundHook
from routing.models import Notification, Offer, RoutingRule
from routing.simulator.drafts import rule_set_copy_live
from routing.simulator.runs import simulation_run_create, simulation_run_execute
from tests.factories import (
    LeadFactory,
    LeadSourceFactory,
    PoolFactory,
    TeamFactory,
    UserFactory,
    make_manager,
    make_rep,
)
from tests.pool_helpers import pooled
from tests.routing_factories import RuleFactory

ROLES = ("anonymous", "rep", "rep_b", "manager", "manager_b", "admin", "key_b", "skimmer")


@dataclass(frozen=True)
class Row:
    method: str
    args: str  # "lead_id=owned pool_id=pool": URL arguments, named objects of the world
    expect: str  # one answer per role, in ROLES order: a status code, or "login" for a
    # redirect to a sign-in page (the site's or the admin's)
    data: str = ""  # form or JSON fields, the same notation ("lead=pooled")


GET, POST = "GET", "POST"
# URL name (or the route, for an unnamed URL) → the request and each role's answer,
# columns as ROLES: anonymous, rep, rep_b, manager, manager_b, admin, key_b, skimmer.
MATRIX: dict[str, Row] = {
    "home": Row(GET, "", "login 302 302 302 302 302 login 302"),  # to each role's start page
    "healthz": Row(GET, "", "503 503 503 503 503 503 503 503"),  # public; no beat in tests
    "favicon.ico": Row(GET, "", "301 301 301 301 301 301 301 301"),
    "accounts:login": Row(GET, "", "200 302 302 302 302 302 200 302"),
    "accounts:logout": Row(POST, "", "login login login login login login login login"),
    "accounts:no_role": Row(GET, "", "login 403 403 403 403 403 login 403"),
    "pools:leads": Row(GET, "", "login 403 403 200 200 200 login 403"),
    "pools:my_leads": Row(GET, "", "login 200 200 403 403 403 login 200"),
    "pools:lead_detail": Row(GET, "lead_id=owned", "login 200 404 200 404 200 login 404"),
    "pools:touch": Row(POST, "lead_id=owned", "login 302 404 403 403 403 login 404", "kind=call"),
    "pools:dispose": Row(
        POST, "lead_id=owned", "login 400 404 403 403 403 login 404", "disposition=x"
    ),
    "pools:note": Row(POST, "lead_id=owned", "login 302 404 403 403 403 login 404", "text=hello"),
    "pools:release": Row(POST, "lead_id=owned", "login 400 404 403 403 403 login 404"),
    "pools:return_to_pool": Row(
        POST, "lead_id=owned", "login 403 403 302 404 302 login 403", "pool=pool reason=back"
    ),
    # Managers read their teams' pools (read-only, with "assign to…"); manager_b's list
    # is their own team's.
    "pools:pools": Row(GET, "", "login 200 200 200 200 200 login 200"),
    "pools:pool": Row(GET, "pool_id=pool", "login 200 404 200 404 200 login 404"),
    "pools:claim": Row(POST, "pool_id=pool", "login 302 404 403 403 403 login 404", "lead=pooled"),
    "pools:claim_next": Row(POST, "pool_id=pool", "login 302 404 403 403 403 login 404"),
    "pools:unqualified": Row(GET, "", "login 403 403 200 200 200 login 403"),
    "pools:override": Row(POST, "lead_id=rejected", "login 403 403 302 404 302 login 403"),
    "pools:forms": Row(GET, "", "login 403 403 200 200 200 login 403"),
    "pools:import": Row(GET, "", "login 403 403 200 200 200 login 403"),
    "pools:import_job": Row(GET, "job_id=job", "login 403 403 200 404 200 login 403"),
    "pools:import_errors": Row(GET, "job_id=job", "login 403 403 200 404 200 login 403"),
    "pools:import_duplicates": Row(GET, "job_id=job", "login 403 403 200 404 200 login 403"),
    "capture:form": Row(GET, "slug=slug", "200 200 200 200 200 200 200 200"),  # public web form
    "capture:thanks": Row(GET, "slug=slug", "200 200 200 200 200 200 200 200"),
    "routing:decision": Row(GET, "lead_id=owned", "login 200 404 200 404 200 login 404"),
    "routing:offers_mine": Row(GET, "", "login 200 200 403 403 403 login 200"),
    # rep_b's 302 is the refusal ("not yours") on My leads; the API rows below show it.
    "routing:offer_accept": Row(POST, "offer_id=offer", "login 302 302 403 403 403 login 302"),
    "routing:offer_decline": Row(POST, "offer_id=offer", "login 302 302 403 403 403 login 302"),
    "reports:team": Row(GET, "", "login 403 403 200 200 200 login 403"),
    "reports:index": Row(GET, "", "login 403 403 200 200 200 login 403"),
    "reports:conversion": Row(GET, "", "login 403 403 200 200 200 login 403"),
    "reports:speed": Row(GET, "", "login 403 403 200 200 200 login 403"),
    "reports:fairness": Row(GET, "", "login 403 403 200 200 200 login 403"),
    "reports:quotas": Row(GET, "", "login 403 403 200 200 200 login 403"),
    "reports:pools": Row(GET, "", "login 403 403 200 200 200 login 403"),
    "reports:offers": Row(GET, "", "login 403 403 200 200 200 login 403"),
    "reports:escalations": Row(GET, "", "login 403 403 200 200 200 login 403"),
    "reports:ab": Row(GET, "", "login 403 403 200 200 200 login 403"),
    # Rule replays: managers read their teams' runs; only admins (or staff who may change
    # rules) start or cancel one.
    "reports:simulations": Row(GET, "", "login 403 403 200 200 200 login 403"),
    "reports:simulation": Row(GET, "run_id=run", "login 403 403 200 404 200 login 403"),
    "reports:simulation_csv": Row(GET, "run_id=run", "login 403 403 200 404 200 login 403"),
    "reports:simulation_cancel": Row(POST, "run_id=run", "login 403 403 403 404 302 login 403"),
    # Notifications: everyone signed in has their own (no one reads another's).
    "routing:notifications": Row(GET, "", "login 200 200 200 200 200 login 200"),
    "routing:notifications_read": Row(POST, "", "login 302 302 302 302 302 login 302"),
    # The rep's own notification; nobody else's to open or mark read.
    "routing:notification_open": Row(GET, "pk=notification", "login 302 404 404 404 404 login 404"),
    "routing:notifications_email": Row(
        POST, "", "login 302 302 302 302 302 login 302", "mute=reminder"
    ),
    # The manager desk: manager_b's desk and queue are their own team's (empty).
    "desk:desk": Row(GET, "", "login 403 403 200 200 200 login 200"),
    "desk:queue": Row(GET, "", "login 403 403 200 200 200 login 200"),
    "desk:bulk": Row(
        POST, "", "login 403 403 302 404 302 login 403", "action=pool pool=pool leads=skimming"
    ),
    "desk:assign": Row(
        POST, "lead_id=skimming", "login 403 403 302 404 302 login 302", "rep=user.rep"
    ),
    "desk:pool": Row(POST, "lead_id=skimming", "login 403 403 302 404 302 login 403", "pool=pool"),
    "desk:skim": Row(POST, "lead_id=owned", "login 403 403 302 404 302 login 403", "reason=back"),
    # The team board's "Set away": managers of the rep's team (and admins) only.
    "desk:availability": Row(
        POST, "rep_id=user.rep", "login 403 403 302 404 302 login 403", "availability=away"
    ),
    "api:openapi-json": Row(GET, "", "200 200 200 200 200 200 200 200"),
    "api:openapi-view": Row(GET, "", "200 200 200 200 200 200 200 200"),
    "api:api-root": Row(GET, "", "404 404 404 404 404 404 404 404"),
    "api:claim": Row("JSON", "pool_id=pool", "401 200 404 403 403 403 401 404", "lead_id=pooled"),
    "api:lead_post": Row("JSON", "", "401 401 401 401 401 401 201 401", "email=new@example.test"),
    "api:lead_get": Row(GET, "lead_id=owned", "401 401 401 401 401 401 404 401"),  # S's lead
    "api:accept": Row("JSON", "offer_id=offer", "401 200 403 403 403 403 401 403"),
    "api:decline": Row("JSON", "offer_id=offer", "401 200 403 403 403 403 401 403"),
    # Webhooks: the hook's secret is the only credential (in the body for Google, a header
    # for mapped JSON); a session or another source's API key opens nothing.
    "api:google_ads_lead": Row(
        "JSON", "slug=slug", "403 403 403 403 403 403 403 403", "lead_id=m-1 google_key=wrong"
    ),
    "api:mapped_json_lead": Row("JSON", "slug=slug", "403 403 403 403 403 403 403 403"),
}

# Every /admin/ URL: staff only. A sample, enough to prove the rule holds for the admin's
# index, lists, add and change forms of this project's models.
ADMIN_SAMPLE = {
    "admin:index": "",
    "admin:pools_lead_changelist": "",
    "admin:pools_lead_change": "object_id=owned",
    "admin:routing_routingrule_add": "",
    "admin:accounts_user_changelist": "",
    "admin:pools_pool_change": "object_id=pool",
    "admin:pools_inboundhook_changelist": "",
    "admin:pools_inboundhook_mapping": "object_id=hook",
    "admin:pools_inboundhook_rotate": "object_id=hook",
    "admin:routing_ruleset_make_live": "object_id=draft",
}
ADMIN_EXPECT = "login login login login login 200 login login"


def _routes(patterns=None, prefix: str = "", namespace: str = ""):
    """(key, route) for every URL: the key is the URL's name with its namespaces, or the
    route for an unnamed one."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(n for n in (namespace, pattern.namespace or "") if n)
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield (name or route), route


def test_every_url_has_a_row():
    routes = dict(_routes())
    unlisted = [
        f"{key} (/{route})"
        for key, route in routes.items()
        if not route.startswith("admin/") and key not in MATRIX
    ]
    assert not unlisted, "URLs without a row in MATRIX: " + ", ".join(unlisted)
    stale = sorted(set(MATRIX) - set(routes)) + sorted(set(ADMIN_SAMPLE) - set(routes))
    assert not stale, "rows for URLs that no longer exist: " + ", ".join(stale)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The cast and the objects each URL names, made once for the module (and deleted
    after it, as the database is shared by the module's other tests)."""
    with django_db_blocker.unblock(), transaction.atomic():
        team_a, team_b = TeamFactory(name="Matrix A"), TeamFactory(name="Matrix B")
        users = {
            "rep": make_rep(team=team_a),
            "rep_b": make_rep(team=team_b),
            "manager": make_manager(teams=[team_a]),
            "manager_b": make_manager(teams=[team_b]),
            "admin": UserFactory(roles=[Role.ADMIN], is_staff=True, is_superuser=True),
            "skimmer": make_rep(team=team_b),
        }
        users["skimmer"].rep_profile.skim_teams.add(team_a)
        source = LeadSourceFactory(
            slug="matrix-form", name="Matrix form", team=team_a, form_enabled=True
        )
        for kind in (InboundHook.Kind.GOOGLE_ADS, InboundHook.Kind.MAPPED_JSON):
            hook_create(source=source, kind=kind)
        _, key_b = apikey_create(source=LeadSourceFactory(slug="matrix-other", team=team_b))
        pool = PoolFactory(team=team_a, claim_cooldown_hours=0)
        pool_b = PoolFactory(team=team_b)
        now = timezone.now()
        offered = LeadFactory(status=LeadState.OFFERED, team=team_a, source=source)
        objects = {
            "pool": pool.pk,
            "pooled": pooled(pool, source=source).pk,
            "owned": LeadFactory(
                status=LeadState.ASSIGNED,
                owner=users["rep"],
                team=team_a,
                source=source,
                assigned_at=now,
            ).pk,
            "rejected": LeadFactory(status=LeadState.REJECTED, team=team_a, source=source).pk,
            "skimming": LeadFactory(status=LeadState.SKIMMING, team=team_a, source=source).pk,
            "offer": Offer.objects.create(
                lead=offered,
                rule=RuleFactory(team=team_a, action=RoutingRule.Action.OFFER),
                method="shotgun",
                recipient_ids=[users["rep"].pk],
                plan={"steps": [{"reps": [users["rep"].pk], "seconds": 600}]},
                expires_at=now + timedelta(minutes=10),
            ).pk,
            "job": import_job_create(
                user=users["manager"],
                source=source,
                filename="f.csv",
                content=b"Email\r\nm@example.test\r\n",
            ).pk,
            "slug": source.slug,
            "hook": InboundHook.objects.get(source=source, kind=InboundHook.Kind.MAPPED_JSON).pk,
            "draft": rule_set_copy_live(name="Matrix draft").pk,
            "pool_b": pool_b.pk,
            "team_a": team_a.pk,
            "team_b": team_b.pk,
            "stranger": UserFactory().pk,
            "notification": Notification.objects.create(
                user=users["rep"], kind=Notification.Kind.REMINDER, text="Waiting", lead=offered
            ).pk,
            **{f"user.{role}": user.pk for role, user in users.items()},
        }
        # A replay of team A (no leads: done at once, nothing published to a broker).
        draft = rule_set_copy_live(name="Matrix replay draft")
        run = simulation_run_create(
            user=users["admin"],
            draft=draft,
            start=now - timedelta(days=7),
            end=now,
            team=team_a,
            send=False,
        )
        simulation_run_execute(run_id=run.pk)
        objects["run"] = run.pk
        clients = {"anonymous": Client(), "key_b": Client(HTTP_AUTHORIZATION=f"Bearer {key_b}")}
        for role, user in users.items():
            clients[role] = Client()
            clients[role].force_login(user)
    yield clients, objects
    with django_db_blocker.unblock():
        # As after every transactional test: empty tables, the role groups made again.
        call_command("flush", interactive=False, verbosity=0)


SIGN_IN = ("/accounts/login/", "/admin/login/")


def _fields(notation: str, objects: dict) -> dict[str, object]:
    pairs = (item.split("=", 1) for item in notation.split())
    return {name: objects.get(value, value) for name, value in pairs}


def _answers(client: Client, key: str, row: Row, objects: dict) -> str:
    try:
        url = reverse(key, kwargs=_fields(row.args, objects))
    except NoReverseMatch:  # an unnamed URL: its key is its route
        url = "/" + key
    data = _fields(row.data, objects)
    cookies = copy.deepcopy(client.cookies)  # logging out must not sign the next cell out
    # Each cell in a savepoint rolled back after it: every role meets the same world.
    with transaction.atomic():
        if row.method == "JSON":
            response = client.post(url, json.dumps(data), content_type="application/json")
        else:
            response = getattr(client, row.method.lower())(url, data)
        transaction.set_rollback(True)
    client.cookies = cookies
    if response.status_code == 302 and response["Location"].split("?")[0] in SIGN_IN:
        return "login"
    return str(response.status_code)


@pytest.mark.django_db
def test_every_role_gets_the_expected_answer_from_every_url(world):
    clients, objects = world
    wrong = []
    cells = [(key, row) for key, row in MATRIX.items()]
    cells += [(key, Row(GET, args, ADMIN_EXPECT)) for key, args in ADMIN_SAMPLE.items()]
    for key, row in cells:
        got = " ".join(_answers(clients[r], key, row, objects) for r in ROLES)
        if got != row.expect:
            wrong.append(f"{key}: expected {row.expect}, got {got}")
    assert not wrong, "\n".join(["roles: " + " ".join(ROLES), *wrong])


# Websocket groups: which roles' sockets get a frame sent to the group. Each role opens
# the live socket twice, on a page of pool A and of pool B (`?pool=`); "refused" is a
# socket that does not open (no session: anonymous, an API key).
# The pool A page's socket also asks for the team board (`&board=1`) and team A's replay
# (`&simulation=`).
#                   anonymous rep rep_b manager manager_b admin key_b skimmer
WS_MATRIX = {
    "own user": "refused yes yes yes yes yes refused yes",
    "another user": "refused no no no no no refused no",
    # The skimmer's desk follows team A's queue frames (they carry ids and signals only).
    "team A": "refused yes no yes no yes refused yes",
    "team B": "refused no yes no yes yes refused yes",
    # A manager's socket on their team's pool page gets its frames (the read-only view).
    "pool A": "refused yes no yes no yes refused no",
    "pool B": "refused no yes no yes yes refused yes",
    # The team board's pings: the managers of the team (and admins), whoever else asks.
    "board A": "refused no no yes no yes refused no",
    "board B": "refused no no no yes yes refused no",
    # A replay's page (team A's run): who may read the run.
    "simulation A": "refused no no yes no yes refused no",
}


def _groups(objects: dict, role: str) -> dict[str, str]:
    return {
        "own user": user_group(objects.get(f"user.{role}", 0)),
        "another user": user_group(objects["stranger"]),
        "team A": team_group(objects["team_a"]),
        "team B": team_group(objects["team_b"]),
        "pool A": pool_group(objects["pool"]),
        "pool B": pool_group(objects["pool_b"]),
        "board A": board_group(objects["team_a"]),
        "board B": board_group(objects["team_b"]),
        "simulation A": simulation_group(objects["run"]),
    }


async def _sockets(client: Client, objects: dict) -> list[WebsocketCommunicator] | None:
    headers = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]
    if "sessionid" in client.cookies:
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    sockets = []
    for pool, board in (("pool", f"&board=1&simulation={objects['run']}"), ("pool_b", "")):
        path = f"/ws/live/?pool={objects[pool]}{board}"
        socket = WebsocketCommunicator(application, path, headers)
        if not (await socket.connect())[0]:
            return None
        sockets.append(socket)
    return sockets


@pytest.mark.django_db(transaction=True)
async def test_every_role_gets_the_expected_websocket_groups(world):
    clients, objects = world
    layer = get_channel_layer()
    got = {group: [] for group in WS_MATRIX}
    for role in ROLES:
        sockets = await _sockets(clients[role], objects)
        if sockets is None:
            for group in WS_MATRIX:
                got[group].append("refused")
            continue
        groups = _groups(objects, role)
        for label, group in groups.items():
            await layer.group_send(group, {"type": "live.html", "html": label})
        # Then a sentinel to the socket's own group: what came before it is all it got.
        await layer.group_send(groups["own user"], {"type": "live.html", "html": "end"})
        received = set()
        for socket in sockets:
            while (frame := await socket.receive_from(timeout=5)) != "end":
                received.add(frame)
            await socket.disconnect()
        for group in WS_MATRIX:
            got[group].append("yes" if group in received else "no")
    wrong = [
        f"{group}: expected {expect}, got {' '.join(got[group])}"
        for group, expect in WS_MATRIX.items()
        if " ".join(got[group]) != expect
    ]
    assert not wrong, "\n".join(["roles: " + " ".join(ROLES), *wrong])
