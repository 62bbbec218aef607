"""Generate a large synthetic corpus, and optionally time a full and an incremental index build.

Each document describes an invented place (a town, a station, a harbour, ...) in 2 to 6 titled
sections of 1 to 3 paragraphs, with facts (numbers, years, names) drawn from a seeded random
generator, so the same seed always gives the same corpus byte for byte. About 60 % of the
documents are markdown, 25 % plain text and 15 % HTML, so every text reader is exercised.

    python scripts/make_large_corpus.py /tmp/large/corpus                 # 2,000 documents
    python scripts/make_large_corpus.py /tmp/large/corpus --count 200 --seed 7
    python scripts/make_large_corpus.py /tmp/large/corpus --benchmark     # + build, edit one, re-index

``--benchmark`` builds the index (``<corpus>/../index`` unless ``--index`` is given) with a
progress bar, then appends a sentence to one document, re-indexes, and prints both times, the
texts embedded by each build, and their ratios. The corpus is a test fixture: never committed.
"""

from __future__ import annotations

import argparse
import html
import random
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_COUNT = 2000
DEFAULT_SEED = 2024
# Share of markdown / plain text documents; the rest are HTML pages.
MARKDOWN_SHARE = 0.60
TEXT_SHARE = 0.25

SYLLABLES = ("bar", "cel", "dor", "fen", "gal", "hav", "ist", "kor", "lun", "mar", "nor", "ost",
             "pel", "quin", "ros", "sal", "tor", "ul", "ven", "wick", "yar", "zel", "ash", "brook")
KINDS = ("town", "harbour", "railway station", "observatory", "monastery", "vineyard", "mill",
         "lighthouse", "library", "bridge", "market", "mine", "dam", "botanical garden", "fortress")
FIRST_NAMES = ("Ada", "Bram", "Clara", "Dmitri", "Elena", "Farid", "Greta", "Hugo", "Ines", "Jonas",
               "Kaito", "Lena", "Mateo", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Sven", "Tarek")
LAST_NAMES = ("Albers", "Brandt", "Castillo", "Dubois", "Eriksen", "Fischer", "Galli", "Horvat",
              "Ito", "Jansen", "Kowalski", "Lindqvist", "Moreau", "Novak", "Okafor", "Petrov")
MATERIALS = ("granite", "red brick", "oak timber", "limestone", "iron", "sandstone", "basalt")
GOODS = ("wool", "salt", "copper", "grain", "olive oil", "timber", "amber", "tea", "wine", "cheese")
SEASONS = ("spring", "summer", "autumn", "winter")

SECTION_TEMPLATES: dict[str, tuple[str, ...]] = {
    "History": (
        "The {kind} of {place} was founded in {year} by {person}.",
        "It was rebuilt in {year2} after a fire destroyed the {part}.",
        "During the {century} century the {kind} was the largest of its kind in the {region} region.",
        "Records from {year2} mention {number} workers living nearby.",
    ),
    "Construction": (
        "The main building of {place} is made of {material} and stands {height} metres tall.",
        "Its {part} was designed by the architect {person}.",
        "Construction took {small} years and cost {money} thousand crowns.",
        "The foundations rest on {material2} brought from {place2}.",
    ),
    "Economy": (
        "Trade in {goods} made {place} prosperous.",
        "By {year} the {kind} handled {number} tonnes of {goods} a year.",
        "Merchants from {place2} bought most of the {goods2} sold at {place}.",
        "A tax of {small} percent on {goods} paid for the upkeep of the {part}.",
    ),
    "People": (
        "{person} served as keeper of the {kind} for {small} years.",
        "The chronicler {person2} wrote the first history of {place} in {year}.",
        "About {number} people live in {place} today.",
        "Every {season} the inhabitants hold a festival in honour of {person}.",
    ),
    "Visiting": (
        "Visitors can reach {place} by boat from {place2} in {small} hours.",
        "The {part} is open to the public from {season} to {season2}.",
        "A guided tour of the {kind} lasts {minutes} minutes.",
        "Tickets cost {small} crowns for adults and are free for children.",
    ),
    "Climate": (
        "{place} receives {rain} millimetres of rain a year.",
        "The warmest month is {month}, with an average of {temp} degrees.",
        "Strong winds from {direction} close the {part} on about {small} days each {season}.",
        "Snow has fallen in {place} only {small} times since {year}.",
    ),
    "Legends": (
        "A local legend says that {person} hid a chest of {goods} under the {part}.",
        "Children in {place} are told that the {kind} was built in a single night.",
        "The legend of the {colour} lantern dates from {year}.",
        "Sailors from {place2} still avoid the {part} on the first night of {season}.",
    ),
}
PARTS = ("north tower", "great hall", "east gate", "clock tower", "old quay", "lower vault", "west wing")
REGIONS = ("Valmor", "Ostrand", "Kessel", "Lindmark", "Serrat", "Havn")
MONTHS = ("June", "July", "August")
DIRECTIONS = ("the north", "the west", "the sea", "the mountains")
COLOURS = ("blue", "green", "silver", "red")


@dataclass(frozen=True)
class GeneratedDocument:
    name: str
    title: str
    sections: list[tuple[str, list[str]]]


def place_name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def fill(template: str, rng: random.Random, place: str, kind: str) -> str:
    year = rng.randint(1200, 1950)
    values = {
        "place": place, "kind": kind, "place2": place_name(rng), "person": person(rng),
        "person2": person(rng), "year": year, "year2": year + rng.randint(5, 60),
        "century": rng.choice(("sixteenth", "seventeenth", "eighteenth", "nineteenth")),
        "region": rng.choice(REGIONS), "part": rng.choice(PARTS), "material": rng.choice(MATERIALS),
        "material2": rng.choice(MATERIALS), "height": rng.randint(8, 90), "small": rng.randint(2, 19),
        "money": rng.randint(20, 900), "goods": rng.choice(GOODS), "goods2": rng.choice(GOODS),
        "number": rng.randint(120, 9800), "season": rng.choice(SEASONS), "season2": rng.choice(SEASONS),
        "minutes": rng.choice((30, 45, 60, 90)), "rain": rng.randint(300, 2400),
        "month": rng.choice(MONTHS), "temp": rng.randint(14, 31), "direction": rng.choice(DIRECTIONS),
        "colour": rng.choice(COLOURS),
    }
    return template.format(**values)


def generate_document(number: int, rng: random.Random) -> GeneratedDocument:
    place, kind = place_name(rng), rng.choice(KINDS)
    titles = rng.sample(sorted(SECTION_TEMPLATES), rng.randint(2, 6))
    sections = []
    for title in titles:
        paragraphs = []
        for _ in range(rng.randint(1, 3)):
            templates = rng.sample(SECTION_TEMPLATES[title], rng.randint(2, 4))
            paragraphs.append(" ".join(fill(t, rng, place, kind) for t in templates))
        sections.append((title, paragraphs))
    return GeneratedDocument(f"{number:05d}-{place.lower()}", f"The {kind.title()} of {place}", sections)


def as_markdown(document: GeneratedDocument) -> str:
    body = "\n\n".join(f"## {title}\n\n" + "\n\n".join(paragraphs) for title, paragraphs in document.sections)
    return f"# {document.title}\n\n{body}\n"


def as_text(document: GeneratedDocument) -> str:
    body = "\n\n".join(f"{title}\n\n" + "\n\n".join(paragraphs) for title, paragraphs in document.sections)
    return f"{document.title}\n\n{body}\n"


def as_html(document: GeneratedDocument) -> str:
    sections = "\n".join(
        f"<h2>{html.escape(title)}</h2>\n" + "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        for title, paragraphs in document.sections
    )
    return (
        f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(document.title)}</title></head>\n"
        "<body><nav><a href=\"/\">Home</a> | <a href=\"/places\">Places</a></nav>\n"
        f"<article><h1>{html.escape(document.title)}</h1>\n{sections}\n</article>\n"
        "<footer>Gazetteer of invented places</footer></body></html>\n"
    )


def write_corpus(folder: Path, count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write ``count`` documents into ``folder`` (created; emptied first); returns their paths."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    rng = random.Random(seed)
    paths = []
    for number in range(count):
        document = generate_document(number, rng)
        draw = rng.random()
        if draw < MARKDOWN_SHARE:
            path, text = folder / f"{document.name}.md", as_markdown(document)
        elif draw < MARKDOWN_SHARE + TEXT_SHARE:
            path, text = folder / f"{document.name}.txt", as_text(document)
        else:
            path, text = folder / f"{document.name}.html", as_html(document)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def benchmark(corpus_dir: Path, index_dir: Path, paths: list[Path]) -> None:
    """Full build, then a re-index after editing one document; prints times and ratios.

    Wall-clock time and this process's CPU time are both reported: on a shared machine the
    wall clock also counts other programs, the CPU time does not.
    """
    import ctqa

    if index_dir.exists():
        shutil.rmtree(index_dir)
    qa = ctqa.DocumentQA(corpus_dir, index_dir)
    qa.embedder  # noqa: B018 — load the model before timing, as a running server has it loaded
    wall, cpu = time.perf_counter(), time.process_time()
    full = qa.build(show_progress=True)
    full_wall, full_cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"full build: {full_wall:.1f} s wall, {full_cpu:.1f} s CPU — {full.summary()}")

    edited = paths[len(paths) // 2]
    with edited.open("a", encoding="utf-8") as stream:
        stream.write("\nThe museum of the town keeps a map drawn in 1642 by Clara Ito.\n")
    wall, cpu = time.perf_counter(), time.process_time()
    again = qa.build(show_progress=True)
    again_wall, again_cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"re-index after editing {edited.name}: {again_wall:.2f} s wall, {again_cpu:.2f} s CPU — {again.summary()}")
    print(
        f"ratio re-index / full: wall {again_wall / full_wall:.4f}, CPU {again_cpu / full_cpu:.4f}, "
        f"texts embedded {again.embedded}/{full.embedded} = {again.embedded / max(full.embedded, 1):.5f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="where to write the documents (emptied first)")
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="number of documents (default 2000)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default 2024)")
    parser.add_argument("--benchmark", action="store_true", help="build, edit one document, re-index, report")
    parser.add_argument("--index", type=Path, help="index folder for --benchmark (default: FOLDER/../index)")
    args = parser.parse_args(argv)
    paths = write_corpus(args.folder, args.count, args.seed)
    print(f"wrote {len(paths)} documents to {args.folder}")
    if args.benchmark:
        benchmark(args.folder, args.index or args.folder.parent / "index", paths)
    return 0


if __name__ == "__main__":
    sys.exit(main())
