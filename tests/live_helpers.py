"""Proving that a socket did NOT get a frame: "nothing within N seconds" passes on a slow
machine without proving anything. Instead, after the frame that must not arrive, send a
sentinel to a group the socket is in: Redis delivers one subscriber's messages in the
order they were published, so if the sentinel is the next frame, the other never came."""

import uuid

from channels.layers import get_channel_layer

from leadroute.shared.live import user_group


async def assert_next_frame_is_a_sentinel(communicator, user_id: int) -> None:
    sentinel = f"<p>sentinel {uuid.uuid4()}</p>"
    await get_channel_layer().group_send(
        user_group(user_id), {"type": "live.html", "html": sentinel}
    )
    assert await communicator.receive_from(timeout=5) == sentinel
