"""``python -m kws <command>``: the host-side product commands (``listen``: WAV -> detections, as the SoC)."""
from __future__ import annotations

import sys

from kws import cli


def main(argv=None):
    from kws import listen
    parser = cli.ArgumentParser(prog="python -m kws", description=__doc__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=cli.ArgumentParser)
    sub.required = True
    listen.add_parser(sub)
    args = parser.parse_args(argv)
    return cli.run_main(args.func, args)


if __name__ == "__main__":
    sys.exit(main())
