"""``python -m seqviz``: the command line."""

import sys

from seqviz.cli import main

if __name__ == "__main__":
    sys.exit(main())
