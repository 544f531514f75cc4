"""Accounts: users, roles, sign-in, sessions, invitations and password resets."""
