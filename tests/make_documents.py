"""Builders of small test documents in every format ctqa reads, and a corpus of one file each.

The PDF writer produces a minimal valid PDF by hand (pypdf reads PDFs but cannot lay out text):
one Helvetica font, one content stream per page, text lines placed top-down. Headings are set
larger, with a gap after them; paragraphs are separated by a blank line's height.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

# A line of a PDF page: ("h", text) a heading, ("p", text) a body line, ("gap", "") a blank line,
# ("small", text) a small line (running header, page number).
PdfLine = tuple[str, str]

PAGE_WIDTH, PAGE_HEIGHT = 612, 792
LEFT_MARGIN, TOP = 72, 740
FONT_SIZES = {"h": 18, "p": 11, "small": 9}
LINE_GAP = 5  # points between two lines, beyond the font size
BLANK_LINE = 16  # points of a blank line between paragraphs


def _pdf_string(text: str) -> bytes:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("latin-1") + b")"


def simple_pdf(pages: list[list[PdfLine]], *, title: str | None = None) -> bytes:
    """A valid PDF whose pages hold ``pages``' lines (text must be Latin-1)."""
    objects: list[bytes] = []

    def add(data: bytes) -> int:
        objects.append(data)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    pages_id = add(b"")  # filled in once the page ids are known
    page_ids = []
    for lines in pages:
        y = TOP
        operations = []
        for kind, text in lines:
            if kind == "gap":
                y -= BLANK_LINE
                continue
            size = FONT_SIZES[kind]
            operations.append(b"BT /F1 %d Tf %d %d Td " % (size, LEFT_MARGIN, y) + _pdf_string(text) + b" Tj ET")
            y -= size + LINE_GAP
            if kind == "h":
                y -= BLANK_LINE
        stream = b"\n".join(operations)
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        page_ids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 %d 0 R >> >> "
                b"/Contents %d 0 R >>" % (pages_id, PAGE_WIDTH, PAGE_HEIGHT, font, content)
            )
        )
    kids = b" ".join(b"%d 0 R" % page for page in page_ids)
    objects[pages_id - 1] = b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % len(page_ids)
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    info = add(b"<< /Title " + _pdf_string(title) + b" >>") if title else None

    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, data in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + data + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R" % (len(objects) + 1, catalog)
    if info:
        out += b" /Info %d 0 R" % info
    out += b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def simple_docx(
    title: str, sections: list[tuple[str, list[str]]], table: list[tuple[str, str]] | None = None
) -> bytes:
    """A .docx with a Title paragraph, "Heading 1" sections of paragraphs, and an optional table
    (its first row is the header) at the end."""
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.add_heading(title, level=0)
    for heading, paragraphs in sections:
        document.add_heading(heading, level=1)
        for paragraph in paragraphs:
            if paragraph.startswith("- "):
                document.add_paragraph(paragraph[2:], style="List Bullet")
            else:
                document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=2)
        for row, (label, value) in zip(grid.rows, table, strict=True):
            row.cells[0].text, row.cells[1].text = label, value
    stream = io.BytesIO()
    document.save(stream)
    return stream.getvalue()


# -- one document of each format, each with a fact to ask about ---------------------------------

BEES_TXT = """Honey Bees

Notes on how a honey bee colony lives.

Colony Life

A honey bee colony has one queen, thousands of female worker bees and a few hundred male drones. The queen lays up to 2,000 eggs per day in spring.

Dances

Foragers tell their sisters where flowers are with the waggle dance. The angle of the dance shows the direction of the food relative to the sun.
"""

GARDEN_MD = """# Tomato Garden

Tomatoes are the easiest fruit to grow on a sunny balcony.

## Watering

Tomato plants need five litres of water per week in July. Water them in the morning so the leaves dry before night.

## Pests

Aphids gather under the leaves in early summer. A spray of soapy water keeps them away.
"""

LIGHTHOUSES_HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Lighthouses of the North | Coast Guide</title></head>
<body>
<nav><a href="/">Home</a> | <a href="/maps">Maps</a> | <a href="/shop">Shop</a></nav>
<article>
<h1>Lighthouses of the North</h1>
<p>The northern coast has forty lighthouses, most of them built in the nineteenth century.</p>
<h2>Lenses</h2>
<p>The Fresnel lens was invented by the French physicist Augustin-Jean Fresnel in 1822. Its rings of glass prisms let a small lamp be seen more than twenty miles away.</p>
<h2>Keepers</h2>
<p>Keepers lived at the station with their families.<br>They trimmed the wick of the lamp every four hours through the night.</p>
<table>
<tr><th>Station</th><th>Height</th></tr>
<tr><td>Skerry Point</td><td>41 metres</td></tr>
<tr><td>Gull Rock</td><td>28 metres</td></tr>
</table>
</article>
<footer>Subscribe to our newsletter. Copyright Coast Guide.</footer>
</body></html>
"""

GLACIER_PAGES: list[list[PdfLine]] = [
    [
        ("small", "Alpine Glacier Survey Report"),
        ("h", "Glacier Survey"),
        ("p", "This report sums up the measurements of the alpine glacier survey."),
        ("gap", ""),
        ("h", "Ice Thickness"),
        ("p", "Radar soundings show that the ice of the Pers glacier is 180 metres thick at its"),
        ("p", "centre. The thickness was measured at twelve points along the main flow line."),
        ("gap", ""),
        ("small", "1"),
    ],
    [
        ("small", "Alpine Glacier Survey Report"),
        ("h", "Retreat"),
        ("p", "The Morteratsch glacier retreated 38 metres in 2019, the largest loss since the"),
        ("p", "survey began. Its tongue now ends above the old railway bridge."),
        ("gap", ""),
        ("p", "Summer heat waves are the main cause of the retreat, ac-"),
        ("p", "cording to the survey team."),
        ("gap", ""),
        ("small", "2"),
    ],
]

BAKERY_SECTIONS = [
    ("Opening Hours", ["The bakery opens at 6 am on weekdays and at 8 am on Sundays."]),
    ("Bread", ["The sourdough rye is baked in a wood-fired oven every morning.", "- Rye loaf", "- Spelt rolls"]),
]
BAKERY_TABLE = [("Bread", "Price"), ("Rye loaf", "4 euros"), ("Spelt roll", "1 euro")]


@dataclass(frozen=True)
class FormatQuestion:
    """A question about one document, and where its answer is."""

    question: str
    doc_id: str
    section: str
    answer_part: str
    page: int | None = None


FORMAT_QUESTIONS = (
    FormatQuestion("How many eggs does the queen lay per day?", "bees.txt", "Colony Life", "2,000 eggs"),
    FormatQuestion("How much water do tomato plants need per week?", "garden.md", "Watering", "five litres"),
    FormatQuestion("Who invented the Fresnel lens?", "lighthouses.html", "Lenses", "Augustin-Jean Fresnel"),
    FormatQuestion(
        "How many metres did the Morteratsch glacier retreat in 2019?", "glaciers.pdf", "Retreat", "38 metres", page=2
    ),
    FormatQuestion("At what hour does the bakery open on Sundays?", "bakery.docx", "Opening Hours", "8 am on Sundays"),
)


def write_format_corpus(folder: Path) -> Path:
    """One document of each format in ``folder`` (created): .txt, .md, .html, .pdf, .docx."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bees.txt").write_text(BEES_TXT, encoding="utf-8")
    (folder / "garden.md").write_text(GARDEN_MD, encoding="utf-8")
    (folder / "lighthouses.html").write_text(LIGHTHOUSES_HTML, encoding="utf-8")
    (folder / "glaciers.pdf").write_bytes(simple_pdf(GLACIER_PAGES, title="Glacier Survey 2019"))
    (folder / "bakery.docx").write_bytes(simple_docx("Village Bakery", BAKERY_SECTIONS, BAKERY_TABLE))
    return folder
