"""Which Chinese font the PDF embeds: the HUIYING_PDF_FONT setting, or one found on the machine.

fpdf2 embeds a subset of TrueType (glyf) and OpenType/CFF faces alike, from single files and
from collections (.ttc/.otc). TrueType outlines are preferred: fpdf2 writes them as
CIDFontType2 with Identity-H, which every reader and printer handles, while its CFF output
(Debian's fonts-noto-cjk) uses an embedded CMap that common text extractors (pypdf,
pdfminer) cannot read back, although viewers show and print it. So a CFF face is taken only
when no TrueType one is found. script/ensure-fonts installs fonts-wqy-microhei (文泉驿微米黑,
TrueType, all of GBK, 5 MB) when needed.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from fontTools.ttLib import TTCollection, TTFont, TTLibError

from huiying.common.errors import DomainError

KNOWN_FONTS: tuple[str, ...] = (
    # TrueType outlines, the widest coverage first.
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian/Ubuntu fonts-wqy-microhei
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",  # Fedora
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # fonts-wqy-zenhei
    "/usr/share/fonts/truetype/arphic/uming.ttc",  # fonts-arphic-uming (明体)
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "C:/Windows/Fonts/simsun.ttc",
    "C:/Windows/Fonts/simhei.ttf",
    # CFF outlines: shown and printed fine, text harder to extract (see above).
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",  # Debian/Ubuntu fonts-noto-cjk
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSerifCJK-Regular.ttc",  # Arch
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)
# A face must set these to be of use for a Chinese government form.
PROBE = "网络政务舆情处置交办单签收时限〔〕（）：；、，。"
# Faces of a Pan-CJK collection share glyphs but differ in the default forms: take the
# Simplified Chinese one.
SIMPLIFIED_MARKS = (" SC", "SC ", "GB", " CN", "简")


class FontMissing(DomainError):
    code = "pdf_font_missing"


@dataclass(frozen=True)
class PdfFont:
    path: Path
    index: int  # the face within a collection; 0 for a single font file
    name: str
    codepoints: frozenset[int]
    cff: bool  # PostScript (CFF) outlines rather than TrueType ones

    def covers(self, char: str) -> bool:
        return ord(char) in self.codepoints

    def describe(self) -> str:
        where = f"{self.path}" + (f" #{self.index}" if self.index else "")
        return f"{self.name} ({where}, {'CFF' if self.cff else 'TrueType'})"


def _faces(path: Path) -> list[TTFont]:
    if path.suffix.lower() in (".ttc", ".otc"):
        return list(TTCollection(str(path), lazy=True).fonts)
    return [TTFont(str(path), lazy=True)]


def _face_name(face: TTFont) -> str:
    names = face["name"]
    return str(names.getDebugName(4) or names.getDebugName(1) or "")


def _usable(path: Path) -> PdfFont | None:
    """The best Simplified Chinese face of the file, or None when it sets no Chinese."""
    try:
        faces = _faces(path)
    except (OSError, TTLibError, AssertionError):
        return None
    first: PdfFont | None = None
    for index, face in enumerate(faces):
        try:
            name = _face_name(face)
            cmap = face.getBestCmap() or {}
        except (KeyError, TTLibError, AssertionError):
            continue
        if not all(ord(c) in cmap for c in PROBE):
            continue
        cff = "CFF " in face or "CFF2" in face
        font = PdfFont(path, index, name, frozenset(cmap), cff)
        if any(m in name for m in SIMPLIFIED_MARKS):
            return font
        first = first or font
    return first


def _fontconfig_paths() -> list[str]:
    """Other Chinese fonts fontconfig knows of (other distributions, fonts put by hand)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        out = subprocess.run(
            [fc_list, ":lang=zh-cn", "file"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    paths = {line.split(":")[0].strip() for line in out.splitlines() if line.strip()}
    # Bitmap faces cannot be embedded; regular weights before bold and light ones.
    outlines = [p for p in paths if p.lower().endswith((".ttf", ".ttc", ".otf", ".otc"))]
    return sorted(outlines, key=lambda p: (any(w in p for w in ("Bold", "Light", "Thin")), p))


def missing_message() -> str:
    return _(
        "服务器上没有可用于 PDF 的中文字体，无法生成 PDF（.docx 版本不受影响）。"
        "请管理员安装中文字体（Debian/Ubuntu：apt-get install fonts-wqy-microhei，"
        "或运行 script/ensure-fonts），或用 HUIYING_PDF_FONT 指定一个中文字体文件。"
    )


def find_font(
    setting: str, candidates: tuple[str, ...] = KNOWN_FONTS, *, use_fontconfig: bool = True
) -> PdfFont:
    """The font the PDF embeds. A configured path must work; it is never silently replaced."""
    if setting:
        path = Path(setting).expanduser()
        if not path.is_file():
            raise FontMissing(
                _("HUIYING_PDF_FONT 指定的字体文件不存在：%(p)s。") % {"p": setting}
                + missing_message()
            )
        font = _usable(path)
        if font is None:
            raise FontMissing(
                _("HUIYING_PDF_FONT 指定的字体不含中文字形或无法读取：%(p)s。") % {"p": setting}
                + missing_message()
            )
        return font
    cff_font: PdfFont | None = None
    tried: set[str] = set()
    for group in (candidates, _fontconfig_paths() if use_fontconfig else []):
        for candidate in group:
            if candidate in tried or not Path(candidate).is_file():
                continue
            tried.add(candidate)
            font = _usable(Path(candidate))
            if font is not None and not font.cff:
                return font
            cff_font = cff_font or font
    if cff_font is not None:
        return cff_font
    raise FontMissing(missing_message())


@functools.lru_cache(maxsize=4)
def _cached(setting: str) -> PdfFont:
    return find_font(setting)


def pdf_font() -> PdfFont:
    """The configured or discovered font, looked for once per setting value (not per PDF)."""
    return _cached(settings.HUIYING_PDF_FONT)
