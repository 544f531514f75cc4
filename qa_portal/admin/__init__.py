"""Administration: users and invitations, the audit log and the email outbox."""
