"""`python -m bench seed [--scale small|full|N] [--fresh]` builds the data; `python -m bench run` measures."""

import os
import sys

import django


USAGE = "usage: python -m bench {seed,run} [options]  (add --help after the command for its options)"


def main(argv):
    if not argv or argv[0] not in {"seed", "run"}:
        sys.stderr.write(USAGE + "\n")
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    if argv[0] == "seed":
        from bench import seed as command
    else:
        from bench import run as command
    return command.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
