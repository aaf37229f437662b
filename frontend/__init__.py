"""Fixed-point audio front-end: golden model (frontend.golden), tables (frontend.tables),
WAV input (frontend.wav), float reference (frontend.reference), RTL (frontend.hw)."""


class AudioError(Exception):
    """An audio file could not be read; the message is one line."""
