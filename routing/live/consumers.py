import logging
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from leadroute.shared.live import pool_group, team_group, user_group

from .presence import presence_gone, presence_seen

logger = logging.getLogger(__name__)


def _requested_pool(scope) -> int | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("pool", [])
    try:
        return int(values[0]) if values else None
    except ValueError:
        return None


@database_sync_to_async
def _groups_for(user, pool_id: int | None = None) -> list[str]:
    from accounts.selectors import teams_managed_by
    from pools.pull.selectors import pools_viewable_by

    groups = [user_group(user.pk)]
    # A pool page's socket also joins the pool's group — only if the user may open the
    # pool's page (the same scope check as the page), so no frame reaches anyone outside it.
    if pool_id is not None and pools_viewable_by(user=user).filter(pk=pool_id).exists():
        groups.append(pool_group(pool_id))
    profile = getattr(user, "rep_profile", None)
    team_ids = set(teams_managed_by(user=user).values_list("pk", flat=True))
    if profile is not None and profile.team_id:
        team_ids.add(profile.team_id)
    groups += [team_group(team_id) for team_id in sorted(team_ids)]
    return groups


# What a page sends every presence.HEARTBEAT_SECONDS while it is open.
HEARTBEAT = "heartbeat"


@database_sync_to_async
def _presence(write, **kwargs) -> None:
    # Off the event loop (a blocking Redis client); a Redis that does not answer must not
    # close the socket: the rep only looks offline until it answers again.
    try:
        write(**kwargs)
    except Exception:
        logger.warning("presence write failed", exc_info=True)


class LiveConsumer(AsyncWebsocketConsumer):
    """One socket per open page. Authorises once, joins the user's groups, forwards
    server-rendered fragments; it holds no business logic."""

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=4401)
            return
        self.groups_joined = await _groups_for(user, _requested_pool(self.scope))
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        self.user_id = user.pk
        await _presence(presence_seen, user_id=user.pk, connection=self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        if getattr(self, "user_id", None) is not None:
            await _presence(presence_gone, user_id=self.user_id, connection=self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        # The socket is server-to-browser only but for heartbeats (presence: a rep is
        # online while their pages beat); writes go through views that check permissions
        # and CSRF.
        if text_data == HEARTBEAT and getattr(self, "user_id", None) is not None:
            await _presence(presence_seen, user_id=self.user_id, connection=self.channel_name)

    async def live_html(self, event):
        await self.send(text_data=event["html"])
