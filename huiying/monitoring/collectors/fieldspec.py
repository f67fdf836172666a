"""One field of a definition: a selector, or a mapping that also says how to find and clean it.

    title: "h1.title"                                # a selector (CSS, @attr, or xpath:)
    next_page: {link_text: 下一页}                    # the link whose text is 下一页, no XPath
    title: {selector: "h3 a", clean: '^\\d{4}年\\d{1,2}月\\d{1,2}日\\s*-\\s*'}   # drop a prefix
    reply_unit: {selector: ".reply .unit", match: '答复单位[:：]\\s*(\\S+)'}     # keep a part

``clean`` removes every match of a regular expression; ``match`` keeps its one group (the
value is empty when it does not match). Both apply to the text the selector or link gave.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from huiying.monitoring.collectors import selectors
from huiying.monitoring.collectors.selectors import SelectorError, compile_selector

SPEC_KEYS = {"selector", "link_text", "clean", "match"}


def validate(errors: dict[str, list[str]], key: str, value: Any) -> Any:
    """The spec normalised (a stripped selector string, or a mapping of SPEC_KEYS)."""
    if isinstance(value, str):
        if not value.strip():
            errors.setdefault(key, []).append("选择器不能为空")
            return ""
        _compile(errors, key, value.strip())
        return value.strip()
    if not isinstance(value, Mapping):
        errors.setdefault(key, []).append(
            "应为选择器，或包含 selector / link_text / clean / match 的映射"
        )
        return ""
    unknown = set(value) - SPEC_KEYS
    if unknown:
        errors.setdefault(key, []).append(
            f"未知的键 {', '.join(sorted(map(str, unknown)))}；可用：{', '.join(sorted(SPEC_KEYS))}"
        )
    out: dict[str, str] = {}
    if not (value.get("selector") or value.get("link_text")):
        errors.setdefault(key, []).append("需要 selector（选择器）或 link_text（链接文字）")
    if value.get("selector") and value.get("link_text"):
        errors.setdefault(key, []).append("selector 与 link_text 只能选一个")
    if value.get("selector"):
        out["selector"] = str(value["selector"]).strip()
        _compile(errors, key, out["selector"])
    if value.get("link_text"):
        out["link_text"] = str(value["link_text"]).strip()
    for name in ("clean", "match"):
        if value.get(name) is not None:
            try:
                pattern = re.compile(str(value[name]))
            except re.error as exc:
                errors.setdefault(f"{key}.{name}", []).append(f"正则表达式错误：{exc}")
                continue
            if name == "match" and pattern.groups != 1:
                errors.setdefault(f"{key}.{name}", []).append("match 应恰好包含一个括号分组")
            out[name] = str(value[name])
    return out


def _compile(errors: dict[str, list[str]], key: str, raw: str) -> None:
    try:
        compile_selector(raw)
    except SelectorError as exc:
        errors.setdefault(key, []).append(str(exc))


def links_by_text(root: Any, text: str) -> list[str]:
    """The targets of the links whose visible text contains ``text`` (下一页, 原文链接)."""
    out: list[str] = []
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.lower().startswith(("javascript:", "mailto:", "#")):
            continue
        if text in " ".join(anchor.text_content().split()):
            out.append(href)
    return out


def finish(spec: Any, value: str) -> str:
    """Apply a spec's ``clean`` / ``match`` to a value taken from the page."""
    if not isinstance(spec, Mapping) or not value:
        return value
    if spec.get("match"):
        m = re.search(str(spec["match"]), value)
        value = (m.group(1) or "") if m else ""
    if spec.get("clean"):
        value = re.sub(str(spec["clean"]), "", value)
    return value.strip()


def value(root: Any, spec: Any, *, multiline: bool = False) -> str:
    """The field's value under ``root`` ("" when nothing matches)."""
    if isinstance(spec, str):
        return selectors.joined(root, spec) if multiline else selectors.first(root, spec)
    if spec.get("link_text"):
        found = links_by_text(root, str(spec["link_text"]))
        raw = found[0] if found else ""
    elif multiline:
        raw = selectors.joined(root, str(spec["selector"]))
    else:
        raw = selectors.first(root, str(spec["selector"]))
    return finish(spec, raw)


def values(root: Any, spec: Any) -> list[str]:
    """Every match's text (a list field: ``responses``), each through ``clean`` / ``match``,
    empty ones dropped. A ``link_text`` spec gives the targets of those links."""
    if isinstance(spec, str):
        return selectors.values(root, spec)
    if spec.get("link_text"):
        found = links_by_text(root, str(spec["link_text"]))
    else:
        found = selectors.values(root, str(spec["selector"]))
    return [v for v in (finish(spec, raw) for raw in found) if v]


def links(root: Any, spec: Any) -> list[str]:
    """Link targets of a link spec (``link``, ``next_page``)."""
    if isinstance(spec, str):
        return selectors.link(root, spec)
    if spec.get("link_text"):
        return links_by_text(root, str(spec["link_text"]))
    return selectors.link(root, str(spec["selector"]))


def nodes(root: Any, spec: Any) -> list[Any]:
    return selectors.nodes(root, spec if isinstance(spec, str) else str(spec.get("selector", "")))
