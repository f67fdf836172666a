"""The form as a Word document (A4, bordered table), for offices that print, stamp and file it.

Word files name their fonts rather than embed them: each run names a Latin face and, through
w:eastAsia, a Chinese one (宋体 for the body, 黑体 for the title), which every Chinese Word
has and LibreOffice maps to an installed CJK face. python-docx writes text as text, so
nothing a post contains is read as markup.
"""

from __future__ import annotations

import io

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Length, Mm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from huiying.cases.documents import layout
from huiying.cases.documents.data import FormDocument

BODY_FONT = ("Times New Roman", "宋体")
TITLE_FONT = ("Times New Roman", "黑体")
MONO_FONT = ("Consolas", "宋体")
BODY_PT = 11
TITLE_PT = 20
LABEL_W = Mm(28)
VALUE_W = Mm(130)
RED = RGBColor(0xC8, 0x10, 0x10)
DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _font(run: Run, face: tuple[str, str], size: float, *, bold: bool = False) -> Run:
    latin, east_asian = face
    run.font.name = latin
    run.font.size = Pt(size)
    run.font.bold = bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asian)
    return run


def _styles(document: DocxDocument) -> None:
    normal = document.styles["Normal"]
    normal.font.name = BODY_FONT[0]  # type: ignore[attr-defined]
    normal.font.size = Pt(BODY_PT)  # type: ignore[attr-defined]
    rpr = normal.element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT[1])
    # The document's language, so Word breaks and checks lines as Chinese.
    lang = OxmlElement("w:lang")
    lang.set(qn("w:eastAsia"), "zh-CN")
    rpr.append(lang)


def _page(document: DocxDocument) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin = section.right_margin = Mm(26)


def _field(paragraph: Paragraph, instruction: str) -> None:
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _footer(document: DocxDocument, doc: FormDocument) -> None:
    p = document.sections[0].footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run(layout.footer_line(doc) + "　第 "), BODY_FONT, 8)
    _field(p, "PAGE")
    _font(p.add_run(" 页 / 共 "), BODY_FONT, 8)
    _field(p, "NUMPAGES")
    _font(p.add_run(" 页"), BODY_FONT, 8)


def _head(document: DocxDocument, doc: FormDocument) -> None:
    if doc.banner:
        p = document.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(p.add_run(doc.banner), BODY_FONT, BODY_PT + 1).font.color.rgb = RED
    p = document.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_before = Pt(6)
    p.paragraph_format.space_after = Pt(12)
    _font(p.add_run(layout.DOCUMENT_TITLE), TITLE_FONT, TITLE_PT, bold=True)
    # Issuer on the left, number flush right on the same line, as on a 公文.
    p = document.add_paragraph()
    p.paragraph_format.tab_stops.add_tab_stop(LABEL_W + VALUE_W, WD_TAB_ALIGNMENT.RIGHT)
    _font(p.add_run(layout.issuer_line(doc)), BODY_FONT, BODY_PT)
    _font(p.add_run("\t" + layout.number_line(doc)), BODY_FONT, BODY_PT)


def _cell_text(cell: _Cell, lines: list[str], *, center: bool = False) -> None:
    for n, line in enumerate(lines):
        p = cell.paragraphs[0] if n == 0 else cell.add_paragraph()
        if center:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.space_after = Pt(0)
        mono = isinstance(line, layout.Mono)
        _font(
            p.add_run(str(line)), MONO_FONT if mono else BODY_FONT, BODY_PT - 1 if mono else BODY_PT
        )


def _cell_margins(table: Table, **sides: Length) -> None:
    margins = OxmlElement("w:tblCellMar")
    for side, value in sides.items():
        node = OxmlElement(f"w:{side}")
        node.set(qn("w:w"), str(value.twips))
        node.set(qn("w:type"), "dxa")
        margins.append(node)
    table._tbl.tblPr.append(margins)


def _table(document: DocxDocument, doc: FormDocument) -> None:
    rows = layout.rows(doc)
    table = document.add_table(rows=len(rows), cols=2)
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    # Word reads the cells' widths, LibreOffice the grid's: set both.
    table.columns[0].width, table.columns[1].width = LABEL_W, VALUE_W
    _cell_margins(table, top=Mm(1.2), bottom=Mm(1.2), left=Mm(2), right=Mm(2))
    for tr, row in zip(table.rows, rows, strict=True):
        label, value = tr.cells
        label.width, value.width = LABEL_W, VALUE_W
        label.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        _cell_text(label, [row.label], center=True)
        _cell_text(value, row.lines)


def _stamp(document: DocxDocument, doc: FormDocument) -> None:
    document.add_paragraph().paragraph_format.space_after = Pt(18)
    for text in layout.stamp_lines(doc):
        p = document.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.paragraph_format.right_indent = Mm(10)
        _font(p.add_run(text), BODY_FONT, BODY_PT + 1)


def render_docx(doc: FormDocument) -> bytes:
    document = Document()
    _styles(document)
    _page(document)
    core = document.core_properties
    core.title = f"{layout.DOCUMENT_TITLE} {doc.number_text}"
    core.author = doc.issuer
    core.language = "zh-CN"
    _head(document, doc)
    _table(document, doc)
    _stamp(document, doc)
    _footer(document, doc)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
