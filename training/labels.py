"""The 12 MLPerf-Tiny KWS labels (Speech Commands v2 mapping), in the order the model outputs them."""

from kws.cli import UserError

KEYWORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
SILENCE = "_silence_"
UNKNOWN = "_unknown_"
LABELS = (SILENCE, UNKNOWN) + KEYWORDS
SILENCE_INDEX = 0
UNKNOWN_INDEX = 1


class TrainingError(UserError):
    """A user-facing problem (bad input, missing tool). ``str(err)`` is one line; the CLI prints
    ``error: <that line>`` on stderr and exits with status 2."""
