"""Argon2id password hashing (server/auth/passwords.py)."""

from __future__ import annotations

from server.auth.passwords import hash_password, verify_password


def test_a_hash_verifies_its_password_only() -> None:
    stored = hash_password("秋天的雨-2026")
    assert stored.startswith("$argon2id$") and "秋天的雨" not in stored
    assert verify_password(stored, "秋天的雨-2026")
    assert not verify_password(stored, "秋天的雨-2025")
    assert hash_password("same") != hash_password("same")  # salted


def test_an_unknown_user_or_a_broken_hash_never_verifies() -> None:
    assert not verify_password(None, "moke-dummy-password")  # the dummy hash's own password
    assert not verify_password("not-a-hash", "x")
