"""Moke server: wiring, configuration, HTTP, authentication, storage and the message bus."""
