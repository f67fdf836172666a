"""The printed form (《网络政务舆情处置交办单》) as .docx and PDF, read back as a reader would."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.urls import reverse
from docx import Document
from docx.oxml.ns import qn
from pypdf import PdfReader

from huiying.cases import services
from huiying.cases.documents import layout
from huiying.cases.documents.data import Deadline, clean_text, form_document_data
from huiying.cases.documents.fonts import FontMissing, find_font, pdf_font
from huiying.cases.documents.pdf import NO_LINE_START, FormPdf, render_pdf
from huiying.cases.models import Assignment, Status
from huiying.cases.tests.builders import PHONE, SOURCE, draft, to_status
from huiying.common.tests.browser import SHOTS

pytestmark = pytest.mark.django_db


# --- reading the files back ----------------------------------------------------------------------


def get(client: Client, user: Any, name: str, form: Assignment) -> Any:
    client.force_login(user)
    return client.get(reverse(f"cases:{name}", args=[form.pk]))


def docx_text(body: bytes) -> str:
    document = Document(io.BytesIO(body))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def pdf_text(body: bytes) -> str:
    """The PDF's text with white space removed: wrapped lines join up again."""
    reader = PdfReader(io.BytesIO(body))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def pdf_fonts(body: bytes) -> list[dict[str, Any]]:
    """Each font the PDF uses: its name, its type, whether its program and a ToUnicode map are in."""
    reader = PdfReader(io.BytesIO(body))
    found: dict[str, dict[str, Any]] = {}
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for ref in resources["/Font"].values():
            font = ref.get_object()
            descendant = (
                font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            )
            descriptor = descendant["/FontDescriptor"].get_object()
            found[str(font["/BaseFont"])] = {
                "subtype": str(font["/Subtype"]),
                "embedded": any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")),
                "unicode_map": "/ToUnicode" in font,
            }
    return [{"name": name, **info} for name, info in found.items()]


def letters(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def assert_cjk_font_embedded(body: bytes) -> None:
    fonts = pdf_fonts(body)
    assert fonts, "the PDF uses no font"
    chosen = letters(pdf_font().name)
    for font in fonts:
        # A subset: six capitals and a plus before the face's own name.
        assert re.fullmatch(r"/[A-Z]{6}\+.+", font["name"]), font
        assert letters(font["name"].split("+", 1)[1]) == chosen, font
        assert font["subtype"] == "/Type0" and font["embedded"] and font["unicode_map"], font


# --- forms -------------------------------------------------------------------------------------------


def signed_form(city: Any) -> Assignment:
    return to_status(city, Status.SIGNED)


def issued_pair(city: Any, **fields: Any) -> tuple[Assignment, Assignment]:
    """A matter of two units: the housing bureau leads, the district assists."""
    lead = draft(city, co_units=(city.district,), **fields)
    co = Assignment.objects.get(thread=lead.thread, is_lead=False)
    # A matter is submitted and issued as one set: both forms get their numbers together.
    services.form_submit(form=lead, actor=city.monitor)
    services.form_issue(form=lead, actor=city.reviewer)
    return Assignment.objects.get(pk=lead.pk), Assignment.objects.get(pk=co.pk)


# --- .docx -----------------------------------------------------------------------------------------


def test_docx_of_a_signed_form_has_every_part_of_the_printed_form(
    client: Client, city: Any
) -> None:
    form = signed_form(city)
    signature = form.signatures.get()
    response = get(client, city.housing_handler, "document_docx", form)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml"
    )
    text = docx_text(response.content)
    for expected in (
        layout.DOCUMENT_TITLE,
        f"编号：{form.number}",
        "交办单位：南通市委网信办",
        "市住房和城乡建设局（牵头）",
        form.title,
        form.get_category_display(),
        form.get_severity_display(),
        form.get_reply_channel_display(),
        form.summary,
        form.cac_opinion,
        SOURCE["platform"],
        SOURCE["url"],
        "王监测",  # drafter
        "李审核",  # reviewer
        "签收人：陈承办",
        signature.content_hash,
        "（盖章）",
    ):
        assert expected in text, expected
    for label in ("答复时限", "反馈时限", "签收时限", "舆情信息", "交办意见", "交办时间"):
        assert label in text
    assert "草稿" not in text


def test_docx_names_a_chinese_font_for_every_run(client: Client, city: Any) -> None:
    body = get(client, city.reviewer, "document_docx", signed_form(city)).content
    document = Document(io.BytesIO(body))
    runs = [r for p in document.paragraphs for r in p.runs]
    runs += [
        r
        for t in document.tables
        for row in t.rows
        for c in row.cells
        for p in c.paragraphs
        for r in p.runs
    ]
    assert runs
    for run in runs:
        fonts: Any = run._element.get_or_add_rPr().rFonts
        assert fonts is not None and fonts.get(qn("w:eastAsia")) in {"宋体", "黑体"}, run.text
    section = document.sections[0]
    assert section.page_width is not None and section.page_height is not None
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)


# --- PDF -----------------------------------------------------------------------------------------


def test_pdf_of_a_signed_form_has_the_same_text_and_embeds_a_chinese_font(
    client: Client, city: Any
) -> None:
    form = signed_form(city)
    signature = form.signatures.get()
    response = get(client, city.housing_handler, "document_pdf", form)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    for expected in (
        layout.DOCUMENT_TITLE,
        f"编号：{form.number}",
        "市住房和城乡建设局（牵头）",
        form.title,
        form.get_category_display(),
        form.get_severity_display(),
        form.cac_opinion,
        form.summary,
        "王监测",
        "李审核",
        "签收人：陈承办",
        signature.content_hash,
        "（盖章）",
        "第1页/共1页",
    ):
        assert squeeze(expected) in text, expected
    assert_cjk_font_embedded(response.content)


def test_downloads_carry_the_form_number_as_a_utf8_file_name(client: Client, city: Any) -> None:
    form = signed_form(city)
    for name, ext in (("document_pdf", "pdf"), ("document_docx", "docx")):
        response = get(client, city.housing_handler, name, form)
        disposition = response["Content-Disposition"]
        assert disposition.startswith(f'attachment; filename="form-{form.pk}.{ext}"')
        encoded = re.search(r"filename\*=UTF-8''(\S+)", disposition)
        assert encoded is not None
        assert unquote(encoded.group(1)) == f"交办单-{form.number}.{ext}"
        assert re.fullmatch(r"通网舆交〔\d{4}〕\d{4}号", form.number or "")
        assert response["Cache-Control"] == "private, no-store"


def test_a_co_unit_form_names_the_lead_unit_and_others_cannot_download_it(
    client: Client, city: Any
) -> None:
    lead, co = issued_pair(city)
    body = get(client, city.district_handler, "document_pdf", co).content
    text = pdf_text(body)
    assert "崇川区人民政府（协办）" in text
    assert "牵头单位：市住房和城乡建设局" in text
    docx = docx_text(get(client, city.housing_handler, "document_docx", lead).content)
    assert "市住房和城乡建设局（牵头）" in docx
    assert "协办单位：崇川区人民政府" in docx
    # Another district sees neither form: the same 404 as a form that does not exist.
    for name in ("document_pdf", "document_docx"):
        assert get(client, city.other_handler, name, co).status_code == 404
        assert get(client, city.other_handler, name, lead).status_code == 404
        missing = client.get(reverse(f"cases:{name}", args=[co.pk + 1000]))
        assert missing.status_code == 404


def test_a_phone_assigned_form_says_its_number_is_still_to_be_filled_in(
    client: Client, city: Any
) -> None:
    form = to_status(city, PHONE)
    assert form.number is None
    body = get(client, city.district_handler, "document_pdf", form).content
    text = pdf_text(body)
    assert "编号：（电话交办，待补填编号）" in text
    # A major emergency: the 5-hour and 24-hour clocks are printed with the others.
    assert "其他时限" in text and "补填交办单" in text and "发布权威信息" in text
    assert "电话交办" in text and "接听人：值班员" in text
    docx = docx_text(get(client, city.monitor, "document_docx", form).content)
    assert "（电话交办，待补填编号）" in docx


def test_a_draft_is_marked_as_such_and_stays_with_the_cyberspace_office(
    client: Client, city: Any
) -> None:
    form = to_status(city, Status.DRAFT)
    pdf = get(client, city.monitor, "document_pdf", form)
    docx = get(client, city.reviewer, "document_docx", form)
    assert pdf.status_code == docx.status_code == 200
    assert unquote(pdf["Content-Disposition"]).endswith(f"交办单-草稿{form.pk}.pdf")
    for text in (pdf_text(pdf.content), squeeze(docx_text(docx.content))):
        assert "草稿（未经审核交办，不作为办理依据）" in text
        assert "编号：（未交办）" in text
        assert "尚未签收" in text
    # A unit never sees a draft, not even its own.
    assert get(client, city.housing_handler, "document_pdf", form).status_code == 404
    assert get(client, city.housing_handler, "document_docx", form).status_code == 404


def test_a_signature_over_older_content_is_flagged(client: Client, city: Any) -> None:
    form = signed_form(city)
    services.form_amend(
        form=form, actor=city.reviewer, reason="补充意见", cac_opinion="请今日回应。"
    )
    text = pdf_text(get(client, city.housing_handler, "document_pdf", form).content)
    assert "签收后交办内容已修改（现为第2版）" in text
    assert "请今日回应。" in text


def test_the_form_page_links_both_downloads(client: Client, city: Any) -> None:
    form = signed_form(city)
    page = get(client, city.housing_handler, "detail", form).content.decode()
    assert reverse("cases:document_pdf", args=[form.pk]) in page
    assert reverse("cases:document_docx", args=[form.pk]) in page


# --- untrusted and oversized content ---------------------------------------------------------------


LONG = "网民反映小区加装电梯审批进展缓慢，多次到街道和住建部门咨询均无明确答复，希望尽快协调。" * 12


def crowded_form(city: Any) -> Assignment:
    sources = [
        {
            "platform": f"平台{i}",
            "url": f"https://bbs.example.cn/thread/{i}?" + "q=" + "x" * 180,
            "title": f"第{i}条：{'加装电梯' * 20}",
            "text": LONG,
        }
        for i in range(1, 11)
    ]
    summary = "\n".join(f"第{i}段。{LONG}" for i in range(1, 6))
    # Control characters that XML refuses (PostgreSQL keeps them, except NUL, which it refuses).
    odd = "生僻字𠀀𪚥与表情😀🚒；**不是粗体** <b>不是标签</b> {nb} \x07\x0b控制符"
    return draft(city, title=f"长内容测试 {odd}", summary=summary + odd, sources=sources)


def test_a_crowded_form_spreads_over_pages_without_losing_text(client: Client, city: Any) -> None:
    form = crowded_form(city)
    body = get(client, city.monitor, "document_pdf", form).content
    reader = PdfReader(io.BytesIO(body))
    assert len(reader.pages) >= 3
    text = pdf_text(body)
    assert "舆情信息（续）" in text  # the ten sources continue on the next page
    assert "第10条：" in text and "平台10" in text
    assert f"第5段。{LONG}"[:80] in text
    assert text.count("舆情摘要") >= 1
    assert f"第1页/共{len(reader.pages)}页" in text
    assert f"第{len(reader.pages)}页/共{len(reader.pages)}页" in text
    assert_cjk_font_embedded(body)


def test_markup_in_a_post_stays_text_and_missing_glyphs_are_marked(
    client: Client, city: Any
) -> None:
    form = crowded_form(city)
    pdf = pdf_text(get(client, city.monitor, "document_pdf", form).content)
    # Literally, never as emphasis, a tag or the page count.
    assert "**不是粗体**<b>不是标签</b>{nb}控制符" in pdf
    font = pdf_font()
    lacking = [c for c in "𠀀𪚥😀🚒" if not font.covers(c)]
    assert lacking, "the test needs characters the font lacks"
    for ch in lacking:
        assert ch not in pdf
    assert "〓" in pdf and "字体无法显示的字符" in pdf
    docx = docx_text(get(client, city.monitor, "document_docx", form).content)
    # Word picks its own fallback fonts: the .docx keeps every character.
    assert "生僻字𠀀𪚥与表情😀🚒" in docx
    assert "**不是粗体** <b>不是标签</b> {nb} 控制符" in docx


def test_wrapped_lines_never_exceed_their_cell(city: Any) -> None:
    doc = form_document_data(crowded_form(city))
    pdf = FormPdf(pdf_font(), doc)
    pdf.add_page()
    pdf.set_font("cjk", size=11)
    width = 60.0
    text = LONG + "https://example.cn/" + "a" * 200
    lines = pdf.wrap(text, width)
    assert len(lines) > 5
    assert "".join(lines) == text
    assert all(pdf.get_string_width(line) <= width + 0.01 for line in lines)
    # No line opens with a comma or full stop, at any width.
    for w in (30.0, 41.5, 57.0, 60.0, 73.3, 138.0):
        lines = pdf.wrap(LONG, w)
        assert "".join(lines) == LONG
        assert not [line for line in lines[1:] if line[0] in NO_LINE_START], w
        assert all(pdf.get_string_width(line) <= w + 0.01 for line in lines)


def test_text_is_cleaned_of_what_xml_refuses() -> None:
    assert clean_text("a\x00b\x0bc\r\nd\te") == "abc\nd    e"
    assert clean_text(None) == ""


# --- dates --------------------------------------------------------------------------------------------


@time_machine.travel(dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC), tick=False)
def test_times_are_printed_in_beijing_time_and_an_extension_shows_both() -> None:
    due = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
    assert layout.when(due) == "2026年3月2日 17:30"
    moved = Deadline("答复", due + dt.timedelta(days=2), original_due_at=due)
    assert layout._deadline(moved) == "原时限 2026年3月2日 17:30，已延期至 2026年3月4日 17:30"
    assert layout._deadline(Deadline("答复", None)) == "未设定"
    assert layout.day(None).endswith("年　　月　　日")


# --- the font --------------------------------------------------------------------------------------


def test_without_a_chinese_font_the_pdf_page_says_why_in_chinese(
    client: Client, city: Any, tmp_path: Path
) -> None:
    form = signed_form(city)
    with override_settings(HUIYING_PDF_FONT=str(tmp_path / "no-such-font.ttc")):
        response = get(client, city.housing_handler, "document_pdf", form)
        assert response.status_code == 503
        page = response.content.decode()
        assert "没有可用于 PDF 的中文字体" in page and "HUIYING_PDF_FONT" in page
        assert "Traceback" not in page
        # The Word version needs no font on the server.
        assert get(client, city.housing_handler, "document_docx", form).status_code == 200
    not_a_font = tmp_path / "broken.ttf"
    not_a_font.write_bytes(b"not a font at all")
    with pytest.raises(FontMissing, match="不含中文字形或无法读取"):
        find_font(str(not_a_font))
    with pytest.raises(FontMissing, match="fonts-wqy-microhei"):
        find_font("", (), use_fontconfig=False)


def test_a_configured_font_is_used(city: Any) -> None:
    found = pdf_font()
    with override_settings(HUIYING_PDF_FONT=str(found.path)):
        assert pdf_font() == found
        body = render_pdf(form_document_data(signed_form(city)))
    assert_cjk_font_embedded(body)


NOTO_SERIF = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
WQY = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


@pytest.mark.skipif(
    not (Path(NOTO_SERIF).is_file() and Path(WQY).is_file()), reason="needs both fonts"
)
def test_truetype_outlines_are_preferred_to_cff() -> None:
    found = find_font("", (NOTO_SERIF, WQY), use_fontconfig=False)
    assert (found.name, found.cff) == ("WenQuanYi Micro Hei", False)
    only_cff = find_font("", (NOTO_SERIF,), use_fontconfig=False)
    # The Simplified Chinese face of the collection, not the Japanese one that comes first.
    assert (only_cff.name, only_cff.index, only_cff.cff) == ("Noto Serif CJK SC", 2, True)


def test_the_pdf_font_command_names_the_font_or_fails_in_chinese(tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("pdf_font", stdout=out)
    assert out.getvalue().startswith(f"PDF 字体：{pdf_font().name}")
    with (
        override_settings(HUIYING_PDF_FONT=str(tmp_path / "none.ttf")),
        pytest.raises(CommandError, match="字体文件不存在"),
    ):
        call_command("pdf_font")


# --- the README's picture ----------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils is not installed")
@time_machine.travel(dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.UTC), tick=False)  # 09:30, Nantong
def test_first_page_renders_for_the_readme(client: Client, city: Any) -> None:
    forum = {
        "platform": "中国江苏网·民生汇",
        "url": "https://msh.jschina.com.cn/thread/20260301",
        "title": "加装电梯的补贴什么时候能到位？",
        "text": "去年底就提交了加装电梯申请，补贴政策一直没有下文，老人上下楼很困难。",
        "author": "濠河边的老街坊",
        "published_at": dt.datetime(2026, 3, 1, 12, 5, tzinfo=dt.UTC),
    }
    lead, _co = issued_pair(city, sources=[SOURCE, forum])
    services.form_sign(form=lead, actor=city.housing_handler)
    body = get(client, city.housing_handler, "document_pdf", lead).content
    SHOTS.mkdir(parents=True, exist_ok=True)
    pdf_path = SHOTS / "form-document.pdf"
    pdf_path.write_bytes(body)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "100",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf_path),
            str(SHOTS / "form-document"),
        ],
        check=True,
    )
    pdf_path.unlink()
    from PIL import Image

    with Image.open(SHOTS / "form-document.png") as image:
        assert image.size[0] > 700
        # Ink on the page: the title, the table's rules and its text.
        dark = sum(image.convert("L").histogram()[:128])
        assert dark > 10_000
