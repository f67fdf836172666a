"""Source definitions (see SOURCES_FORMAT.md): validated and normalised, every problem listed.

``normalise_definition`` takes what a monitor wrote (YAML/JSON, or the form) and returns
the definition with defaults filled, alias field names ("published", "reply_time"...)
renamed, selectors compiled once to prove they work, and unknown keys refused (a typo such
as ``netx_page`` must not silently turn pagination off). Pure: no database access.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from huiying.monitoring.collectors import fieldspec
from huiying.monitoring.collectors.base import EXTRA_KEY, FIELD_ALIASES, ITEM_FIELDS
from huiying.monitoring.collectors.selectors import SelectorError, compile_selector
from huiying.monitoring.fetch import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT, MAX_REDIRECTS

KINDS = ("feed", "html", "json_api", "search", "vendor_push", "import", "manual")
POLLED_KINDS = ("feed", "html", "json_api", "search")
TOP_KEYS = {
    "code",
    "name",
    "kind",
    "platform",
    "url",
    "interval_seconds",
    "watch_interval_seconds",
    "is_active",
    "secret",
    "owner_unit",
    "config",
}
FETCH_KEYS = {
    "timeout_seconds",
    "max_bytes",
    "max_redirects",
    "delay_seconds",
    "encoding",
    "headers",
    "allowed_hosts",
    "rate_limit",
}
LIST_KEYS = {"item", "link", "next_page", "page_url", "max_pages", "id_from_url"}
CONFIG_KEYS: dict[str, set[str]] = {
    "feed": FETCH_KEYS | {"detail", "max_items"},
    "html": FETCH_KEYS
    | {
        "list",
        "detail",
        "max_details",
        "refresh_days",
        "stop_when_known",
        "allow_empty",
        "single_page",
        "max_revisits",
        "revisit_seconds",
    },
    "json_api": FETCH_KEYS
    | {"items", "fields", "pagination", "stop_when_known", "since_id", "url_template"},
    "search": FETCH_KEYS | {"keywords", "list", "max_keywords", "use_watch_keywords"},
    "vendor_push": {"fields", "max_items", "max_bytes"},
    "import": {"columns"},
    "manual": set(),
}
DEFAULTS: dict[str, dict[str, Any]] = {
    "feed": {"max_items": 100},
    "html": {"max_details": 30, "refresh_days": 7, "stop_when_known": True, "allow_empty": False},
    "json_api": {"stop_when_known": True},
    "search": {"max_keywords": 20, "use_watch_keywords": True},
    "vendor_push": {"max_items": 1000, "max_bytes": DEFAULT_MAX_BYTES},
}
DEFAULT_DELAY = 0.5  # seconds between two requests of one run (detail pages, next pages)
MIN_INTERVAL, MAX_INTERVAL = 5, 7 * 24 * 3600
_CODE_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
_KEYWORD_PLACEHOLDERS = ("{keyword}", "{keywords}")


class DefinitionError(ValidationError):
    """Every problem of a definition, keyed by field (``config.list.link``...)."""


def _int(errors: dict[str, list[str]], key: str, value: Any, low: int, high: int) -> int:
    try:
        number = int(value)
        if isinstance(value, bool) or float(value) != number:
            raise ValueError
    except (TypeError, ValueError):
        errors.setdefault(key, []).append(f"应为整数：{value!r}")
        return low
    if not low <= number <= high:
        errors.setdefault(key, []).append(f"应在 {low} 到 {high} 之间：{number}")
    return number


def _number(errors: dict[str, list[str]], key: str, value: Any, low: float, high: float) -> float:
    try:
        number = float(value)
        if isinstance(value, bool):
            raise ValueError
    except (TypeError, ValueError):
        errors.setdefault(key, []).append(f"应为数字：{value!r}")
        return low
    if not low <= number <= high:
        errors.setdefault(key, []).append(f"应在 {low:g} 到 {high:g} 之间：{number:g}")
    return number


def _url(errors: dict[str, list[str]], key: str, value: Any, *, template: bool = False) -> str:
    text = str(value or "").strip()
    probe = text
    if template:
        for placeholder in (*_KEYWORD_PLACEHOLDERS, "{page}"):
            probe = probe.replace(placeholder, "x")
    try:
        URLValidator(schemes=["http", "https"])(probe)
    except ValidationError:
        errors.setdefault(key, []).append(f"不是有效的 http(s) 地址：{text[:200]}")
    return text


def _selector(errors: dict[str, list[str]], key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        errors.setdefault(key, []).append("应为非空的选择器（CSS，或以 xpath: 开头的 XPath）")
        return ""
    try:
        compile_selector(value.strip())
    except SelectorError as exc:
        errors.setdefault(key, []).append(str(exc))
    return value.strip()


def _fields(
    errors: dict[str, list[str]], key: str, value: Any, *, selectors: bool, allowed_extra: set[str]
) -> dict[str, Any]:
    """A field map (field -> selector, or field -> dotted JSON path / list of paths)."""
    if not isinstance(value, Mapping):
        errors.setdefault(key, []).append("应为“字段: 选择器”的映射")
        return {}
    out: dict[str, Any] = {}
    for raw_name, spec in value.items():
        name = FIELD_ALIASES.get(str(raw_name), str(raw_name))
        if name in allowed_extra:
            out[name] = spec
            continue
        if name == EXTRA_KEY:
            # Further fields a monitor names (信件编号, 满意度...): {name: selector or path}.
            if not isinstance(spec, Mapping) or not spec:
                errors.setdefault(f"{key}.{raw_name}", []).append("应为“字段名: 选择器”的映射")
                continue
            out[EXTRA_KEY] = {
                str(n): (
                    fieldspec.validate(errors, f"{key}.{raw_name}.{n}", v)
                    if selectors
                    else _path(errors, f"{key}.{raw_name}.{n}", v)
                )
                for n, v in spec.items()
            }
            continue
        if name not in ITEM_FIELDS:
            errors.setdefault(f"{key}.{raw_name}", []).append(
                f"未知字段；可用字段：{', '.join(ITEM_FIELDS)}"
            )
            continue
        if selectors:
            out[name] = fieldspec.validate(errors, f"{key}.{raw_name}", spec)
        else:
            out[name] = _path(errors, f"{key}.{raw_name}", spec)
    return out


def _path(errors: dict[str, list[str]], key: str, spec: Any) -> Any:
    if isinstance(spec, str) and spec.strip():
        return spec.strip()
    if isinstance(spec, list) and spec and all(isinstance(s, str) and s for s in spec):
        return [s.strip() for s in spec]
    errors.setdefault(key, []).append("应为字段路径（如 user.name）或路径列表")
    return ""


def _list_config(
    errors: dict[str, list[str]], key: str, value: Any, *, max_pages: int
) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        errors.setdefault(key, []).append("应为映射，至少包含 link（条目链接选择器）")
        return {}
    out = _fields(
        errors,
        key,
        {k: v for k, v in value.items() if k not in LIST_KEYS},
        selectors=True,
        allowed_extra=set(),
    )
    if value.get("item") is not None:
        out["item"] = _selector(errors, f"{key}.item", value["item"])
    for name in ("link", "next_page"):
        if value.get(name) is not None:
            out[name] = fieldspec.validate(errors, f"{key}.{name}", value[name])
    if "link" not in value:
        errors.setdefault(f"{key}.link", []).append("必须提供条目链接选择器 link")
    if value.get("page_url") is not None:
        page_url = _url(errors, f"{key}.page_url", value["page_url"], template=True)
        if "{page}" not in page_url:
            errors.setdefault(f"{key}.page_url", []).append("翻页地址模板必须包含 {page}")
        out["page_url"] = page_url
    if value.get("next_page") is not None and value.get("page_url") is not None:
        errors.setdefault(f"{key}.page_url", []).append("next_page 与 page_url 只能选一种翻页方式")
    out["max_pages"] = _int(errors, f"{key}.max_pages", value.get("max_pages", max_pages), 1, 50)
    if value.get("id_from_url") is not None:
        out["id_from_url"] = _regex(errors, f"{key}.id_from_url", value["id_from_url"])
    return out


def _regex(errors: dict[str, list[str]], key: str, value: Any) -> str:
    try:
        pattern = re.compile(str(value))
    except re.error as exc:
        errors.setdefault(key, []).append(f"正则表达式错误：{exc}")
        return ""
    if pattern.groups != 1:
        errors.setdefault(key, []).append("正则表达式应恰好包含一个括号分组（编号所在部分）")
    return str(value)


def _fetch_config(errors: dict[str, list[str]], config: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "timeout_seconds": _number(
            errors,
            "config.timeout_seconds",
            config.get("timeout_seconds", DEFAULT_TIMEOUT),
            0.1,
            60,
        ),
        "max_bytes": _int(
            errors,
            "config.max_bytes",
            config.get("max_bytes", DEFAULT_MAX_BYTES),
            1024,
            50 * 1024 * 1024,
        ),
        "max_redirects": _int(
            errors,
            "config.max_redirects",
            config.get("max_redirects", MAX_REDIRECTS),
            0,
            MAX_REDIRECTS,
        ),
        "delay_seconds": _number(
            errors, "config.delay_seconds", config.get("delay_seconds", DEFAULT_DELAY), 0, 60
        ),
    }
    if config.get("encoding"):
        try:
            codecs.lookup(str(config["encoding"]))
            out["encoding"] = str(config["encoding"])
        except LookupError:
            errors.setdefault("config.encoding", []).append(f"未知的字符编码：{config['encoding']}")
    headers = config.get("headers") or {}
    if not isinstance(headers, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and _latin1(k + v) for k, v in headers.items()
    ):
        errors.setdefault("config.headers", []).append(
            "请求头应为“名称: 值”映射，且只含 ASCII 字符"
        )
    elif headers:
        out["headers"] = dict(headers)
    if config.get("rate_limit") is not None:
        out["rate_limit"] = _rate_limit(errors, config["rate_limit"])
    hosts = config.get("allowed_hosts") or []
    if not isinstance(hosts, list) or not all(isinstance(h, str) and h for h in hosts):
        errors.setdefault("config.allowed_hosts", []).append(
            "应为站点地址列表，如 https://example.cn"
        )
    elif hosts:
        out["allowed_hosts"] = [_url(errors, "config.allowed_hosts", h) for h in hosts]
    return out


RATE_LIMIT_KEYS = {"statuses", "codes", "max_wait_seconds", "retries", "backoff_seconds"}


def _rate_limit(errors: dict[str, list[str]], value: Any) -> dict[str, Any]:
    """``rate_limit``: which error answers mean "slow down" and how long to wait."""
    key = "config.rate_limit"
    if not isinstance(value, Mapping):
        errors.setdefault(key, []).append(
            "应为映射：statuses（如 [403, 429]）、codes（如 ['10023']）、max_wait_seconds……"
        )
        return {}
    for unknown in set(value) - RATE_LIMIT_KEYS:
        errors.setdefault(f"{key}.{unknown}", []).append(
            f"未知的键；可用：{', '.join(sorted(RATE_LIMIT_KEYS))}"
        )
    statuses = value.get("statuses", [429])
    if not isinstance(statuses, list) or not all(
        isinstance(x, int) and 400 <= x <= 599 for x in statuses
    ):
        errors.setdefault(f"{key}.statuses", []).append("应为 HTTP 状态码列表，如 [403, 429]")
        statuses = [429]
    codes = value.get("codes", [])
    if not isinstance(codes, list) or not all(isinstance(x, str | int) for x in codes):
        errors.setdefault(f"{key}.codes", []).append("应为错误码列表，如 ['10023', '20003']")
        codes = []
    return {
        "statuses": sorted({429, *statuses}),
        "codes": [str(c) for c in codes],
        "max_wait_seconds": _number(
            errors, f"{key}.max_wait_seconds", value.get("max_wait_seconds", 10), 0, 60
        ),
        "retries": _int(errors, f"{key}.retries", value.get("retries", 2), 0, 5),
        "backoff_seconds": _number(
            errors, f"{key}.backoff_seconds", value.get("backoff_seconds", 60), 1, 6 * 3600
        ),
    }


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return "\n" not in text and "\r" not in text


def _kind_config(
    errors: dict[str, list[str]], kind: str, config: Mapping[str, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = dict(DEFAULTS.get(kind, {}))
    if kind in POLLED_KINDS:
        out.update(_fetch_config(errors, config))
    for bool_key in ("stop_when_known", "allow_empty", "use_watch_keywords"):
        if bool_key in config:
            if not isinstance(config[bool_key], bool):
                errors.setdefault(f"config.{bool_key}", []).append("应为 true 或 false")
            out[bool_key] = bool(config[bool_key])
    if kind == "html" and config.get("single_page"):
        # This one page is the item: no list; ``detail`` picks its fields.
        if config.get("single_page") is not True:
            errors.setdefault("config.single_page", []).append("应为 true 或 false")
        if config.get("list") is not None:
            errors.setdefault("config.list", []).append("single_page 的监测源没有列表页")
        if not config.get("detail"):
            errors.setdefault("config.detail", []).append("single_page 需要 detail（页面字段）")
        out["single_page"] = True
    elif kind == "html":
        out["list"] = _list_config(errors, "config.list", config.get("list"), max_pages=3)
    if kind == "search":
        out["list"] = _list_config(errors, "config.list", config.get("list"), max_pages=1)
        keywords = config.get("keywords", [])
        if not isinstance(keywords, list) or not all(
            isinstance(k, str) and k.strip() for k in keywords
        ):
            errors.setdefault("config.keywords", []).append("应为关键词列表")
        else:
            out["keywords"] = [k.strip() for k in keywords]
        out["max_keywords"] = _int(
            errors, "config.max_keywords", config.get("max_keywords", 20), 1, 200
        )
    if kind in ("html", "feed") and config.get("detail") is not None:
        out["detail"] = _fields(
            errors, "config.detail", config["detail"], selectors=True, allowed_extra=set()
        )
    if kind == "html":
        out["max_details"] = _int(
            errors, "config.max_details", config.get("max_details", 30), 0, 500
        )
        out["refresh_days"] = _int(
            errors, "config.refresh_days", config.get("refresh_days", 7), 0, 365
        )
        out["max_revisits"] = _int(
            errors, "config.max_revisits", config.get("max_revisits", 30), 0, 500
        )
        if config.get("revisit_seconds") is not None:
            out["revisit_seconds"] = _int(
                errors, "config.revisit_seconds", config["revisit_seconds"], 5, MAX_INTERVAL
            )
    if kind == "feed":
        out["max_items"] = _int(errors, "config.max_items", config.get("max_items", 100), 1, 1000)
    if kind == "json_api":
        out.update(_json_config(errors, config))
    if kind == "vendor_push":
        if config.get("fields") is not None:
            out["fields"] = _fields(
                errors, "config.fields", config["fields"], selectors=False, allowed_extra=set()
            )
        out["max_items"] = _int(errors, "config.max_items", config.get("max_items", 1000), 1, 10000)
        out["max_bytes"] = _int(
            errors,
            "config.max_bytes",
            config.get("max_bytes", DEFAULT_MAX_BYTES),
            1024,
            50 * 1024 * 1024,
        )
    if kind == "import" and config.get("columns") is not None:
        columns = config["columns"]
        if not isinstance(columns, Mapping) or not all(
            isinstance(v, str) for v in columns.values()
        ):
            errors.setdefault("config.columns", []).append("应为“列名: 字段”映射")
        else:
            out["columns"] = dict(columns)
    return out


def _json_config(errors: dict[str, list[str]], config: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    items = config.get("items", "")
    if not isinstance(items, str):
        errors.setdefault("config.items", []).append(
            "应为列表所在的路径，如 data.statuses（根即列表时留空）"
        )
    out["items"] = str(items or "").strip()
    fields = _fields(
        errors, "config.fields", config.get("fields"), selectors=False, allowed_extra=set()
    )
    if fields and not ({"title", "text"} & set(fields)):
        errors.setdefault("config.fields", []).append("至少要映射 title 或 text")
    out["fields"] = fields
    for name in ("since_id", "url_template"):
        if config.get(name) is not None:
            if not isinstance(config[name], str) or not config[name].strip():
                errors.setdefault(f"config.{name}", []).append("应为非空字符串")
            else:
                out[name] = config[name].strip()
    if out.get("url_template") and "{" not in out["url_template"]:
        errors.setdefault("config.url_template", []).append(
            "条目地址模板应包含 {字段路径}，如 https://weibo.com/{user.id}/{mid}"
        )
    pagination = config.get("pagination")
    if isinstance(pagination, Mapping) and pagination.get("cursor") is not None:
        # Cursor paging: the answer's ``cursor`` path is passed back as ``param`` until it is
        # 0 or missing (Weibo: next_cursor -> max_id).
        if not isinstance(pagination.get("cursor"), str) or not isinstance(
            pagination.get("param"), str
        ):
            errors.setdefault("config.pagination", []).append(
                "游标翻页应包含 cursor（如 next_cursor）和 param（如 max_id）"
            )
        else:
            out["pagination"] = {
                "cursor": pagination["cursor"].strip(),
                "param": pagination["param"].strip(),
                "max_pages": _int(
                    errors, "config.pagination.max_pages", pagination.get("max_pages", 5), 1, 50
                ),
            }
    elif pagination is not None:
        if not isinstance(pagination, Mapping) or not isinstance(pagination.get("param"), str):
            errors.setdefault("config.pagination", []).append(
                "应包含 param（页码参数名），可选 start、max_pages；或 cursor 与 param（游标翻页）"
            )
        else:
            out["pagination"] = {
                "param": pagination["param"],
                "start": _int(
                    errors, "config.pagination.start", pagination.get("start", 1), 0, 1000
                ),
                "max_pages": _int(
                    errors, "config.pagination.max_pages", pagination.get("max_pages", 3), 1, 50
                ),
            }
    return out


def normalise_definition(data: Any) -> dict[str, Any]:
    """The validated definition; raises DefinitionError listing every problem."""
    errors: dict[str, list[str]] = {}
    if not isinstance(data, Mapping):
        raise DefinitionError({"__all__": ["定义应为一个映射（code、name、kind……）"]})
    for key in data:
        if key not in TOP_KEYS:
            errors.setdefault(str(key), []).append(f"未知的键；可用：{', '.join(sorted(TOP_KEYS))}")
    code = str(data.get("code") or "").strip()
    if not code or not _CODE_RE.match(code) or len(code) > 64:
        errors.setdefault("code", []).append("代码必填，只能用字母、数字、- 和 _，不超过 64 个字符")
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 100:
        errors.setdefault("name", []).append("名称必填，不超过 100 个字符")
    kind = str(data.get("kind") or "")
    if kind not in KINDS:
        errors.setdefault("kind", []).append(f"类型应为 {' / '.join(KINDS)} 之一")
    platform = str(data.get("platform") or "").strip()
    if not platform or len(platform) > 50:
        errors.setdefault("platform", []).append(
            "平台必填（如 人民网留言板、微博），不超过 50 个字符"
        )
    url = str(data.get("url") or "").strip()
    if kind in POLLED_KINDS or url:
        url = _url(errors, "url", url, template=kind == "search")
    if kind == "search" and not any(p in url for p in _KEYWORD_PLACEHOLDERS):
        errors.setdefault("url", []).append("搜索地址模板必须包含 {keyword}")
    if len(url) > 1000:
        errors.setdefault("url", []).append("地址不超过 1000 个字符")
    interval = _int(
        errors, "interval_seconds", data.get("interval_seconds", 300), MIN_INTERVAL, MAX_INTERVAL
    )
    watch_interval = _int(
        errors,
        "watch_interval_seconds",
        data.get("watch_interval_seconds", min(60, interval)),
        MIN_INTERVAL,
        MAX_INTERVAL,
    )
    config = data.get("config") or {}
    if not isinstance(config, Mapping):
        errors.setdefault("config", []).append("config 应为映射")
        config = {}
    for key in config:
        if kind in CONFIG_KEYS and key not in CONFIG_KEYS[kind]:
            allowed = ", ".join(sorted(CONFIG_KEYS[kind])) or "（无）"
            errors.setdefault(f"config.{key}", []).append(f"此类型不支持该键；可用：{allowed}")
    normalised = _kind_config(errors, kind, config) if kind in KINDS else {}
    secret = str(data.get("secret") or "")
    # Left out, a vendor source gets a generated secret (services_sources), shown once.
    if kind == "vendor_push" and secret and len(secret) < 16:
        errors.setdefault("secret", []).append("推送密钥至少 16 个字符（留空则自动生成）")
    if len(secret) > 128:
        errors.setdefault("secret", []).append("密钥不超过 128 个字符")
    is_active = data.get("is_active", True)
    if not isinstance(is_active, bool):
        errors.setdefault("is_active", []).append("应为 true 或 false")
    if errors:
        raise DefinitionError(errors)
    return {
        "code": code,
        "name": name,
        "kind": kind,
        "platform": platform,
        "url": url,
        "interval_seconds": interval,
        "watch_interval_seconds": watch_interval,
        "is_active": bool(is_active),
        "secret": secret,
        "owner_unit": str(data.get("owner_unit") or "").strip(),
        "config": normalised,
    }
