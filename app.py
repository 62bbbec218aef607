"""Start the ctqa chat page, like `ctqa serve`: `python app.py [--host H] [--port P] [--corpus DIR] [--index DIR]`.

The page is served at once; the index is built or updated (when missing or stale) in the same
process meanwhile. Options are parsed by ``ctqa.cli``; `python app.py --help` lists them.
"""

import sys

from ctqa.cli import main

if __name__ == "__main__":
    main(["serve", *sys.argv[1:]])
