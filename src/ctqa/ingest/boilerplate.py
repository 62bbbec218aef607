"""Remove web-page chrome from plain-text copies of web articles.

The rules are about the *shape* of site chrome, not about one site's strings:

1. **Site-name lines** — a short line (at most ``IngestSettings.site_line_max_words`` words, no sentence
   punctuation) that occurs two or more times in the page is navigation or branding (e.g. a site
   name printed above every section), never content.
2. **"See also" teasers** — a line such as "You may want to see also", "See also", "Related
   articles", "Read more", together with the short title line just above it (the teaser's
   article title), which belongs to another article.
3. **Footer** — from the first footer line ("Written by", "Reviewed by", "Share this post",
   "Print", "Did this article help you?", "Leave a comment", "Comments", "Tags:" ...) to the end
   of the page, provided every remaining line is short (author names, buttons): a long line
   after it means the "footer" line was content and nothing is cut.

Each rule returns the set of line numbers to drop so that callers can test them one by one.
"""

from __future__ import annotations

import re
from collections import Counter

from ctqa.config import INGEST

SEE_ALSO_RE = re.compile(
    r"^(?:you\s+(?:may|might)\s+(?:also\s+)?(?:want\s+to\s+)?(?:see|like|read|enjoy)(?:\s+also)?"
    r"|see\s+also|related(?:\s+(?:articles?|posts?|stories|reading))?|read\s+(?:more|next|also)"
    r"|recommended(?:\s+for\s+you)?|more\s+from\s+.{1,40})\s*[:.!]?$",
    re.IGNORECASE,
)

FOOTER_RE = re.compile(
    r"^(?:written\s+by\b.*|reviewed\s+by\b.*|edited\s+by\b.*|fact[-\s]checked\s+by\b.*"
    r"|share(?:\s+(?:this|on)\b.*)?|print|email|tweet"
    r"|did\s+(?:this|the)\s+(?:article|page|post)\s+help(?:\s+you)?\s*\??"
    r"|was\s+this\s+(?:article|page|post)\s+helpful\s*\??"
    r"|leave\s+a\s+(?:comment|reply)|\d*\s*comments?|tags?\s*:.*|categor(?:y|ies)\s*:.*"
    r"|about\s+the\s+author|subscribe.*|sign\s+up.*|follow\s+us.*)\s*$",
    re.IGNORECASE,
)

_SENTENCE_END = re.compile(r"[.!?:;]\s*$")


def word_count(line: str) -> int:
    return len(line.split())


def site_name_lines(lines: list[str]) -> set[int]:
    """Line numbers of short lines that repeat on the page (site names, nav labels)."""
    stripped = [line.strip() for line in lines]
    counts = Counter(s.casefold() for s in stripped if s)
    return {
        number
        for number, text in enumerate(stripped)
        if text
        and counts[text.casefold()] >= 2
        and word_count(text) <= INGEST.site_line_max_words
        and not _SENTENCE_END.search(text)
    }


def see_also_lines(lines: list[str]) -> set[int]:
    """Line numbers of "see also" markers and of the teaser title line just above each."""
    drop: set[int] = set()
    for number, line in enumerate(lines):
        if not SEE_ALSO_RE.match(line.strip()):
            continue
        drop.add(number)
        previous = number - 1
        while previous >= 0 and not lines[previous].strip():
            previous -= 1
        if previous >= 0:
            title = lines[previous].strip()
            if word_count(title) <= INGEST.teaser_title_max_words and not title.endswith("."):
                drop.add(previous)
    return drop


def footer_lines(lines: list[str]) -> set[int]:
    """Line numbers of the page footer: the first footer line onwards, if the tail is all short."""
    for number, line in enumerate(lines):
        if not FOOTER_RE.match(line.strip()):
            continue
        tail = [rest.strip() for rest in lines[number:]]
        if all(word_count(rest) <= INGEST.footer_tail_max_words for rest in tail):
            return set(range(number, len(lines)))
    return set()


def boilerplate_lines(lines: list[str]) -> set[int]:
    """All line numbers that the three rules above drop."""
    return site_name_lines(lines) | see_also_lines(lines) | footer_lines(lines)
