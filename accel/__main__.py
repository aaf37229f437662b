"""``python -m accel``: inspect and run int8 .tflite models (see accel/cli.py)."""
import sys

from accel.cli import main

sys.exit(main())
