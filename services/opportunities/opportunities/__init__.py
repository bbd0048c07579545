"""Chorus opportunities: ways to be involved, fair matching, invitations and involvement."""
