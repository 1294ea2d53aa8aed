"""Lesson-plan documents as CRDTs: the y-websocket protocol, durable storage, versions, comments, export."""
