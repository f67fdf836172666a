"""Picking values out of HTML with the selectors of a source definition.

Syntax: a CSS selector (``li.msg``, ``.meta .time``), optionally ending in ``@attr`` for
an attribute (``a.title@href``); or ``xpath:`` followed by an XPath expression, which may
itself select text or attributes (``xpath://div[@id="c"]/p/text()``). Selectors are
compiled once per definition (validation) and cached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import lxml.html
from cssselect import SelectorError as CssSyntaxError
from lxml import etree
from lxml.cssselect import CSSSelector

XPATH_PREFIX = "xpath:"
_ATTR_RE = re.compile(r"^(?P<css>.*?)@(?P<attr>[A-Za-z_:][\w:.-]*)$", re.DOTALL)
# Elements that end a line when their text is read out (paragraphs kept for the text field).
_BLOCK = {
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
    "section", "article", "header", "footer", "dd", "dt", "table", "ul", "ol", "hr",
}  # fmt: skip
_SKIP = {"script", "style", "noscript", "template"}


class SelectorError(ValueError):
    """A selector that does not compile; the message is Chinese."""


@dataclass(frozen=True)
class Selector:
    raw: str
    path: etree.XPath
    attr: str  # "" unless the CSS form asked for an attribute


@lru_cache(maxsize=512)
def compile_selector(raw: str) -> Selector:
    text = (raw or "").strip()
    if not text:
        raise SelectorError("选择器为空")
    if text.startswith(XPATH_PREFIX):
        expression = text[len(XPATH_PREFIX) :].strip()
        try:
            return Selector(raw=text, path=etree.XPath(expression), attr="")
        except etree.XPathSyntaxError as exc:
            raise SelectorError(f"XPath 语法错误：{expression}（{exc}）") from exc
    css, attr = text, ""
    if (m := _ATTR_RE.match(text)) and "[" not in m.group("attr"):
        css, attr = m.group("css").strip(), m.group("attr")
        if not css:
            # "@href" alone: the attribute of the element the selector is applied to.
            return Selector(raw=text, path=etree.XPath("self::*"), attr=attr)
    try:
        return Selector(raw=text, path=CSSSelector(css), attr=attr)
    except (CssSyntaxError, etree.XPathSyntaxError) as exc:
        raise SelectorError(f"CSS 选择器语法错误：{css}（{exc}）") from exc


def parse_html(text: str) -> Any:
    """An lxml tree of a page; raises ValueError when there is nothing to parse."""
    # lxml refuses str input that carries an XML encoding declaration: drop it, we decoded.
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text, count=1)
    if not text.strip():
        raise ValueError("empty document")
    try:
        return lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise ValueError(str(exc)) from exc


def nodes(root: Any, raw: str) -> list[Any]:
    """Everything the selector matches under ``root`` (elements, or strings for XPath text)."""
    selector = compile_selector(raw)
    try:
        found = selector.path(root)
    except etree.XPathEvalError:
        return []
    if not isinstance(found, list):  # XPath may evaluate to a number, string or boolean
        return [found] if found not in (None, "", False) else []
    return found


def values(root: Any, raw: str, *, multiline: bool = False) -> list[str]:
    """The text (or the asked-for attribute) of every match, stripped; empty ones dropped."""
    selector = compile_selector(raw)
    out: list[str] = []
    for node in nodes(root, raw):
        if selector.attr:
            value = node.get(selector.attr, "") if hasattr(node, "get") else ""
        elif isinstance(node, str | bytes | int | float):
            value = str(node)
        else:
            value = element_text(node) if multiline else " ".join(element_text(node).split())
        value = str(value).strip()
        if value:
            out.append(value)
    return out


def first(root: Any, raw: str | None, *, multiline: bool = False) -> str:
    if not raw:
        return ""
    found = values(root, raw, multiline=multiline)
    return found[0] if found else ""


def joined(root: Any, raw: str | None) -> str:
    """All matches as one text, paragraphs on their own lines (for post bodies)."""
    if not raw:
        return ""
    return "\n".join(values(root, raw, multiline=True))


def link(root: Any, raw: str) -> list[str]:
    """Link targets: the attribute asked for, else an element's (or its first <a>'s) href."""
    selector = compile_selector(raw)
    out: list[str] = []
    for node in nodes(root, raw):
        if selector.attr:
            href = node.get(selector.attr, "") if hasattr(node, "get") else ""
        elif isinstance(node, str):
            href = node
        elif node.get("href"):
            href = node.get("href")
        else:
            anchors = node.xpath(".//a[@href]")
            href = anchors[0].get("href") if anchors else ""
        href = str(href).strip()
        if href and not href.lower().startswith(("javascript:", "mailto:", "#")):
            out.append(href)
    return out


def element_text(element: Any) -> str:
    """An element's text with line breaks at block elements and <br>, scripts left out."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        name = tag.lower()
        if name in _SKIP:
            return
        block = name in _BLOCK
        if block:
            parts.append("\n")
        if tag and node.text:  # comments and processing instructions have no tag name
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if block:
            parts.append("\n")

    walk(element)
    lines = (" ".join(line.split()) for line in "".join(parts).splitlines())
    return "\n".join(line for line in lines if line)
