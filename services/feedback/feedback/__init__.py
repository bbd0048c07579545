"""Chorus feedback: consultations, stories, "you said, we did", learning and metrics."""
