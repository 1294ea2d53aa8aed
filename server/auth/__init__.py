"""Accounts, password hashing and signed bearer tokens."""
