"""Chorus kernel: the parts every Chorus service stands on."""
