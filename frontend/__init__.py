"""Fixed-point audio front-end: feature format (frontend.format), golden model (frontend.golden),
tables (frontend.tables), WAV input (frontend.wav), float reference (frontend.reference),
generated C headers (frontend.c_headers), RTL (frontend.hw)."""
from kws.cli import UserError


class AudioError(UserError):
    """An audio file could not be read; the message is one line."""
