"""Lesson-study rooms: people, roles, invites, presence, chat, floor control, and the venues of a room."""
