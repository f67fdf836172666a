"""The form as an A4 PDF with the Chinese font embedded (a subset), laid out like the .docx.

The table is drawn by hand rather than with fpdf2's table helper, because a row (ten sources,
a long summary) may be taller than a page: such a row continues on the next page under its
label marked （续）. Every string is set with cell() and markdown off, so nothing a post
contains is read as markup; characters the font lacks are replaced, never dropped silently.
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import Align, TextMode, XPos, YPos

from huiying.cases.documents import layout
from huiying.cases.documents.data import FormDocument
from huiying.cases.documents.fonts import PdfFont, pdf_font

FAMILY = "cjk"
# Conventional mark of a character the type cannot set (缺字符号).
MISSING_MARK = "〓"
NO_LINE_START = set("，。、；：？！）》」』】〕〉”’…—·%,.;:?!)]}")
NO_LINE_END = set("（《「『【〔〈“‘([{")

PAGE_MARGIN = 20.0
LABEL_W = 28.0
PAD_X = 2.0
PAD_Y = 1.8
BODY_PT = 11.0
LINE_H = 6.0
SMALL_PT = 9.0
TITLE_PT = 20.0
RED = (200, 16, 16)


class FormPdf(FPDF):
    def __init__(self, font: PdfFont, doc: FormDocument) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.font_info = font
        self.doc = doc
        self.replaced = 0
        self._widths: dict[tuple[str, float], float] = {}
        self.mark = MISSING_MARK if font.covers(MISSING_MARK) else "?"
        self.add_font(FAMILY, "", str(font.path), collection_font_number=font.index)
        self.set_margins(PAGE_MARGIN, PAGE_MARGIN, PAGE_MARGIN)
        # Page breaks are placed by row(), which knows how to continue a cell.
        self.set_auto_page_break(False, margin=PAGE_MARGIN)
        self.set_lang("zh-CN")
        self.set_title(self.safe(f"{layout.DOCUMENT_TITLE} {doc.number_text}"))
        self.set_author(self.safe(doc.issuer))
        self.set_creator("huiying")
        # fpdf2 would swap its page-count alias ("{nb}") wherever it occurs, posts included;
        # the footers are written once the page count is known instead (page_footers).
        self.alias_nb_pages(None)  # type: ignore[arg-type]  # documented: None turns it off

    def safe(self, text: str) -> str:
        """The text with each character the font cannot set replaced by the missing mark."""
        out = []
        for ch in text:
            if ch == "\n" or self.font_info.covers(ch):
                out.append(ch)
            else:
                out.append(self.mark)
                self.replaced += 1
        return "".join(out)

    def page_footers(self) -> None:
        """第 n 页 / 共 m 页 on every page, written last, when m is known."""
        total = self.page
        for n in range(1, total + 1):
            self.page = n
            # fpdf2 remembers one current font for the document, not one per page: select
            # another first so the footer's size is written into this page's content.
            self.set_font(FAMILY, size=BODY_PT)
            self.set_font(FAMILY, size=SMALL_PT - 1)
            self.set_text_color(110, 110, 110)
            y = self.h - PAGE_MARGIN + 6
            self.line_at(self.l_margin, y, self.epw, self.safe(layout.footer_line(self.doc)))
            self.line_at(self.l_margin, y, self.epw, f"第 {n} 页 / 共 {total} 页", Align.R)
        self.page = total
        self.set_text_color(0, 0, 0)

    # --- text ----------------------------------------------------------------------------------

    def char_width(self, ch: str) -> float:
        key = (ch, self.font_size_pt)
        width = self._widths.get(key)
        if width is None:
            width = self._widths[key] = self.get_string_width(ch)
        return width

    def wrap(self, text: str, width: float) -> list[str]:
        """Lines of ``text`` at the current font within ``width``. Chinese breaks between any
        two characters (so a long URL or a run of Chinese never overflows its cell), but never
        before a closing mark nor after an opening one (避头尾)."""
        lines: list[str] = []
        for paragraph in self.safe(text).split("\n"):
            line, used = "", 0.0
            for ch in paragraph:
                w = self.char_width(ch)
                if line and used + w > width:
                    cut = len(line)
                    if ch in NO_LINE_START and cut > 1:
                        cut -= 1
                    while cut > 1 and line[cut - 1] in NO_LINE_END:
                        cut -= 1
                    lines.append(line[:cut])
                    line = line[cut:]
                    used = sum(self.char_width(c) for c in line)
                line += ch
                used += w
            lines.append(line)
        return lines

    def line_at(self, x: float, y: float, w: float, text: str, align: Align = Align.L) -> None:
        self.set_xy(x, y)
        self.cell(w, LINE_H, text, align=align, new_x=XPos.RIGHT, new_y=YPos.TOP, markdown=False)

    def bold_cell(self, w: float, h: float, size: float, text: str, align: Align) -> None:
        # One regular face is embedded; a thin outline stroke stands in for a bold face. The
        # local context (q … Q) keeps the stroke from leaking into the text that follows.
        with self.local_context(
            font_family=FAMILY, font_size_pt=size, text_mode=TextMode.FILL_STROKE, line_width=0.4
        ):
            self.cell(w, h, self.safe(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    # --- parts of the form -----------------------------------------------------------------------

    def head(self) -> None:
        doc = self.doc
        if doc.banner:
            self.set_font(FAMILY, size=BODY_PT + 1)
            self.set_text_color(*RED)
            self.cell(0, 7, self.safe(doc.banner), align=Align.C)
            self.ln(8)
            self.set_text_color(0, 0, 0)
        self.bold_cell(0, 14, TITLE_PT, layout.DOCUMENT_TITLE, Align.C)
        self.ln(3)
        self.set_font(FAMILY, size=BODY_PT)
        left = self.safe(layout.issuer_line(doc))
        right = self.safe(layout.number_line(doc))
        width = self.epw
        if self.get_string_width(left) + self.get_string_width(right) + 6 > width:
            self.line_at(self.l_margin, self.y, width, left)
            self.ln(LINE_H)
        else:
            self.line_at(self.l_margin, self.y, width, left)
        self.line_at(self.l_margin, self.y, width, right, Align.R)
        self.ln(LINE_H + 2)

    def row(self, row: layout.Row) -> None:
        value_w = self.epw - LABEL_W
        lines: list[tuple[str, float]] = []
        for line in row.lines:
            size = SMALL_PT if isinstance(line, layout.Mono) else BODY_PT
            self.set_font(FAMILY, size=size)
            lines += [(part, size) for part in self.wrap(line, value_w - 2 * PAD_X)]
        i, first = 0, True
        while i < len(lines):
            fit = int((self.h - self.b_margin - self.y - 2 * PAD_Y) // LINE_H)
            left = len(lines) - i
            at_top = self.y <= self.t_margin + 0.5
            # A short row moves whole to the next page; a long one is split there.
            if not at_top and (fit < 2 or (left > fit and left <= 4)):
                self.add_page()
                continue
            chunk = lines[i : i + max(fit, 1)]
            self._draw(row.label if first else f"{row.label}\n（续）", chunk, value_w)
            i += len(chunk)
            first = False
            if i < len(lines):
                self.add_page()

    def _draw(self, label: str, chunk: list[tuple[str, float]], value_w: float) -> None:
        x, y = self.l_margin, self.y
        self.set_font(FAMILY, size=BODY_PT)
        label_lines = self.wrap(label, LABEL_W - 2 * PAD_X)
        height = max(len(chunk), len(label_lines)) * LINE_H + 2 * PAD_Y
        self.rect(x, y, LABEL_W, height)
        self.rect(x + LABEL_W, y, value_w, height)
        top = y + (height - len(label_lines) * LINE_H) / 2
        for n, text in enumerate(label_lines):
            self.line_at(x + PAD_X, top + n * LINE_H, LABEL_W - 2 * PAD_X, text, Align.C)
        for n, (text, size) in enumerate(chunk):
            self.set_font(FAMILY, size=size)
            self.line_at(x + LABEL_W + PAD_X, y + PAD_Y + n * LINE_H, value_w - 2 * PAD_X, text)
        self.set_xy(x, y + height)

    def stamp(self) -> None:
        # The seal is pressed over these two lines (压成文日期), so they need no room above.
        lines = layout.stamp_lines(self.doc)
        step = LINE_H + 1
        if self.y + 4 + len(lines) * step > self.h - self.b_margin:
            self.add_page()
        self.ln(4)
        self.set_font(FAMILY, size=BODY_PT + 1)
        x = self.l_margin + self.epw - 60
        for text in lines:
            self.line_at(x, self.y, 60, self.safe(text), Align.C)
            self.ln(step)

    def note_replacements(self) -> None:
        if not self.replaced:
            return
        self.ln(4)
        self.set_font(FAMILY, size=SMALL_PT)
        self.set_text_color(110, 110, 110)
        note = f"注：“{self.mark}”处为本 PDF 字体无法显示的字符（共 {self.replaced} 处），原文以系统或 .docx 版本为准。"
        for text in self.wrap(note, self.epw):
            if self.y + LINE_H > self.h - self.b_margin:
                self.add_page()
            self.line_at(self.l_margin, self.y, self.epw, text)
            self.ln(LINE_H)
        self.set_text_color(0, 0, 0)


def render_pdf(doc: FormDocument) -> bytes:
    """The PDF bytes. Raises FontMissing (a Chinese message) when no Chinese font is found."""
    pdf = FormPdf(pdf_font(), doc)
    pdf.add_page()
    pdf.head()
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    for row in layout.rows(doc):
        pdf.row(row)
    pdf.stamp()
    pdf.note_replacements()
    pdf.page_footers()
    return bytes(pdf.output())
