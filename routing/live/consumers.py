import logging
from importlib import import_module
from urllib.parse import parse_qs

from channels.auth import get_user
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from leadroute.shared.live import (
    board_changed_on_commit,
    board_group,
    pool_group,
    simulation_group,
    team_group,
    user_group,
)

from .presence import presence_gone, presence_seen, users_online

logger = logging.getLogger(__name__)


def _query(scope) -> dict[str, list[str]]:
    return parse_qs(scope.get("query_string", b"").decode("latin-1"))


def _requested_pool(scope) -> int | None:
    values = _query(scope).get("pool", [])
    try:
        return int(values[0]) if values else None
    except ValueError:
        return None


def _requested_simulation(scope) -> int | None:
    values = _query(scope).get("simulation", [])
    try:
        return int(values[0]) if values else None
    except ValueError:
        return None


def _requested_board(scope) -> bool:
    return _query(scope).get("board", [""])[0] == "1"


@database_sync_to_async
def _groups_for(
    user, pool_id: int | None = None, board: bool = False, simulation_id: int | None = None
) -> list[str]:
    from accounts.selectors import teams_managed_by
    from pools.pull.selectors import pools_viewable_by
    from routing.simulator.selectors import simulation_runs_visible_to

    groups = [user_group(user.pk)]
    # A pool page's socket also joins the pool's group — only if the user may open the
    # pool's page (the same scope check as the page), so no frame reaches anyone outside it.
    if pool_id is not None and pools_viewable_by(user=user).filter(pk=pool_id).exists():
        groups.append(pool_group(pool_id))
    profile = getattr(user, "rep_profile", None)
    managed = sorted(teams_managed_by(user=user).values_list("pk", flat=True))
    # A skimmer's desk follows the queue of the teams they may skim: their team groups.
    team_ids = set(teams_managed_by(user=user, skimming=True).values_list("pk", flat=True))
    if profile is not None and profile.team_id:
        team_ids.add(profile.team_id)
    groups += [team_group(team_id) for team_id in sorted(team_ids)]
    # The team board's socket: the boards of the teams the user manages, as the page.
    if board:
        groups += [board_group(team_id) for team_id in managed]
    # A replay's page: its progress, for whoever may read the run (the page's check).
    if (
        simulation_id is not None
        and simulation_runs_visible_to(user=user).filter(pk=simulation_id).exists()
    ):
        groups.append(simulation_group(simulation_id))
    return groups


@database_sync_to_async
def _team_of(user) -> int | None:
    profile = getattr(user, "rep_profile", None)
    return profile.team_id if profile is not None else None


# What a page sends every presence.HEARTBEAT_SECONDS while it is open.
HEARTBEAT = "heartbeat"
# The close code of a socket whose session is over (at connect or later): the page's
# reconnect is then refused until the user signs in again.
SESSION_OVER = 4401


async def _session_user(session_key: str | None):
    """The user of the session as it is in the store now (not as it was when the socket
    opened): AnonymousUser once it was flushed, its user deactivated or their password
    changed. Django's own checks, through channels' `get_user` on a fresh session store."""
    if not session_key:
        from django.contrib.auth.models import AnonymousUser

        return AnonymousUser()
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return await get_user({"session": store})


@database_sync_to_async
def _presence(write, *, team_id: int | None = None, **kwargs) -> None:
    # Off the event loop (a blocking Redis client); a Redis that does not answer must not
    # close the socket: the rep only looks offline until it answers again.
    try:
        # A rep's first socket or their last one closing changes who is online: their
        # team's board hears of it (a socket among others opening or closing does not).
        before = team_id is not None and bool(users_online(user_ids=[kwargs["user_id"]]))
        write(**kwargs)
        if team_id is not None and before != bool(users_online(user_ids=[kwargs["user_id"]])):
            board_changed_on_commit(team_id)
    except Exception:
        logger.warning("presence write failed", exc_info=True)


class LiveConsumer(AsyncWebsocketConsumer):
    """One socket per open page. Authorises once, joins the user's groups, forwards
    server-rendered fragments; it holds no business logic."""

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=SESSION_OVER)
            return
        self.pool_id = _requested_pool(self.scope)
        self.board = _requested_board(self.scope)
        self.simulation_id = _requested_simulation(self.scope)
        session = self.scope.get("session")
        self.session_key = getattr(session, "session_key", None)
        self.groups_joined = await _groups_for(user, self.pool_id, self.board, self.simulation_id)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        self.user_id = user.pk
        self.team_id = await _team_of(user)
        await _presence(
            presence_seen, team_id=self.team_id, user_id=user.pk, connection=self.channel_name
        )
        await self.accept()

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        if getattr(self, "user_id", None) is not None:
            await _presence(
                presence_gone,
                team_id=self.team_id,
                user_id=self.user_id,
                connection=self.channel_name,
            )

    async def receive(self, text_data=None, bytes_data=None):
        # The socket is server-to-browser only but for heartbeats (presence: a rep is
        # online while their pages beat); writes go through views that check permissions
        # and CSRF.
        if text_data == HEARTBEAT and getattr(self, "user_id", None) is not None:
            # Two indexed reads a beat: a session that ended by a path no signal covers
            # (expired, deleted, a bulk update of users) closes within a heartbeat.
            if await self._session_over():
                return
            await _presence(presence_seen, user_id=self.user_id, connection=self.channel_name)

    async def session_check(self, event):
        """Logout, deactivation, a team move (`user_sockets_recheck_on_commit`): close if
        this socket's session is over, else join exactly the groups the user has now."""
        ended = event.get("ended_session")
        if ended and ended == self.session_key:
            await self._close_session()
            return
        user = await _session_user(self.session_key)
        if await self._session_over(user):
            return
        groups = await _groups_for(user, self.pool_id, self.board, self.simulation_id)
        for group in set(self.groups_joined) - set(groups):
            await self.channel_layer.group_discard(group, self.channel_name)
        for group in set(groups) - set(self.groups_joined):
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = groups

    async def _session_over(self, user=None) -> bool:
        user = user or await _session_user(self.session_key)
        if user.is_authenticated and user.pk == self.user_id:
            return False
        await self._close_session()
        return True

    async def _close_session(self):
        # Out of every group first: no frame reaches the socket while it closes.
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = []
        await self.close(code=SESSION_OVER)

    async def live_html(self, event):
        await self.send(text_data=event["html"])
