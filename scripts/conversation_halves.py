"""Score a conversation report by halves of its set: the conversations at even and at odd
positions of the JSONL file (eval/README.md, "The fifth blind conversation set", "The sixth" and
"The seventh").

    ctqa eval --questions eval/blind_conversations5.jsonl --json report.json
    .venv/bin/python scripts/conversation_halves.py eval/blind_conversations5.jsonl report.json

Prints, for each half, the share of first turns and of later turns right, as ``ctqa eval`` does
for the whole set; the odd halves of the fifth, sixth and seventh sets are the ones scored in
aggregate only.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ctqa.evaluation.conversations import load_conversations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("conversations", type=Path, help="the conversation set (JSONL)")
    parser.add_argument("report", type=Path, help="the report `ctqa eval --json` wrote for it")
    args = parser.parse_args()
    position = {c.id: number for number, c in enumerate(load_conversations(args.conversations))}
    turns = json.loads(args.report.read_text(encoding="utf-8"))["turns"]
    for parity, name in ((0, "even positions (read)"), (1, "odd positions (held out)")):
        half = [t for t in turns if position[t["conversation"]] % 2 == parity]
        first = [t["right"] for t in half if t["number"] == 1]
        later = [t["right"] for t in half if t["number"] > 1]
        print(
            f"{name}: {len(first)} conversations; first turns right {sum(first)}/{len(first)} = "
            f"{sum(first) / len(first):.4f}; later turns right {sum(later)}/{len(later)} = {sum(later) / len(later):.4f}"
        )


if __name__ == "__main__":
    main()
