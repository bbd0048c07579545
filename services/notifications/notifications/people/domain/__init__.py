"""The people half's pure rules: preferences and the clock (quiet hours, digest times), who
is told what, and the events stored when an e-mail goes or fails. Standard library and the
kernel's base types only."""
