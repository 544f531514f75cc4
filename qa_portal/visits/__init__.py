"""QA visits of providers: scheduling, invitations, the checklist, sign-off and reports."""
