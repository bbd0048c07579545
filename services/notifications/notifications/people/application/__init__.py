"""The people half's handlers and policies: the directory, who is told what, reminders,
digests, sending, preferences and sign-in codes."""
