"""Lesson-study rooms: people, roles, invites, presence, chat, floor control, venues and the main venue."""
