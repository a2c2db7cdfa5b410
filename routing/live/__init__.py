"""The websocket side: one consumer that joins a user's groups and forwards fragments."""
