"""Start the ctqa chat page, like `ctqa serve`: `python app.py [--host H] [--port P] [--corpus DIR] [--index DIR]`.

The index is built first when it is missing or stale; options are parsed by ``ctqa.cli``.
"""

import sys

from ctqa.cli import main

if __name__ == "__main__":
    main(["serve", *sys.argv[1:]])
