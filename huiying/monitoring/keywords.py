"""The boolean keyword-rule language of monitoring rules and watches.

Grammar (operators are case-insensitive; Chinese and symbol spellings are equivalent)::

    expr    := and_expr (OR and_expr)*                 OR:  OR | 或 | "|" | "||" | ｜
    and_expr:= unary ((AND)? unary)*                   AND: AND | 与 | 且 | "&" | "&&" | ＆
    unary   := NOT unary | primary                     NOT: NOT | 非 | "-" | "!" | ！
    primary := "(" expr ")" | TERM | "quoted phrase"   also （ ） and “ ” 「 」

Two operands side by side are AND-ed, so ``(崇川 OR 濠河) AND (拆迁 OR 噪音) NOT 广告``
reads as "…and not 广告". The word operators (AND, 与, 非 …) count only when they stand
alone, so "非法集资" and "与会" are ordinary terms; "-" is NOT only at the start of a term.

A term matches when it occurs as a substring of the item's simplified title and text
(after NFKC folding and lower-casing), so "崇川" matches "崇川区".
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from typing import Literal

from django.utils.translation import gettext as _

from huiying.monitoring.normalize import to_simplified

OR_WORDS = frozenset({"or", "或", "|", "||", "｜"})
AND_WORDS = frozenset({"and", "与", "且", "&", "&&", "＆"})
NOT_WORDS = frozenset({"not", "非", "!", "！"})
OPEN = {"(": ")", "（": "）"}
CLOSE = frozenset({")", "）"})
QUOTES = {'"': '"', "“": "”", "「": "」", "”": "”"}
# Characters that end a bare term.
_BREAK = frozenset(' \t\r\n\u3000()（）"“”「」|｜&＆')


class KeywordSyntaxError(ValueError):
    """A rule that does not parse; ``position`` is the 0-based character offset."""

    def __init__(self, message: str, expression: str, position: int) -> None:
        self.message = message
        self.expression = expression
        self.position = position
        super().__init__(self.describe())

    def describe(self) -> str:
        return _("第 %(pos)d 个字符处：%(msg)s") % {"pos": self.position + 1, "msg": self.message}

    def pointer(self) -> str:
        """The expression with a caret under the offending character (for monospace display)."""
        width = sum(
            2 if unicodedata.east_asian_width(ch) in "WF" else 1
            for ch in self.expression[: self.position]
        )
        return f"{self.expression}\n{' ' * width}^"


@dataclass(frozen=True)
class Term:
    text: str  # as written
    needle: str  # normalised for matching


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


Node = Term | Not | And | Or


def fold(text: str) -> str:
    """The form both terms and item text are compared in."""
    return to_simplified(unicodedata.normalize("NFKC", text)).lower()


@dataclass(frozen=True)
class _Tok:
    kind: Literal["term", "and", "or", "not", "open", "close"]
    text: str
    pos: int


def _lex(expr: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(expr)
    while i < n:
        ch = expr[i]
        if ch.isspace():
            i += 1
        elif ch in OPEN:
            toks.append(_Tok("open", ch, i))
            i += 1
        elif ch in CLOSE:
            toks.append(_Tok("close", ch, i))
            i += 1
        elif ch in QUOTES:
            end = expr.find(QUOTES[ch], i + 1)
            if end < 0:
                raise KeywordSyntaxError(_("引号没有闭合"), expr, i)
            phrase = expr[i + 1 : end]
            if not phrase.strip():
                raise KeywordSyntaxError(_("引号中的短语为空"), expr, i)
            toks.append(_Tok("term", phrase, i))
            i = end + 1
        elif ch in "|｜&＆":
            j = i
            while j < n and expr[j] == ch:
                j += 1
            if j - i > 2:
                raise KeywordSyntaxError(_("运算符“%(op)s”写法有误") % {"op": expr[i:j]}, expr, i)
            toks.append(_Tok("or" if ch in "|｜" else "and", expr[i:j], i))
            i = j
        elif ch in "-!！":  # at the start of a term only: "G15-沈海" stays one term
            toks.append(_Tok("not", ch, i))
            i += 1
        else:
            j = i
            while j < n and expr[j] not in _BREAK:
                j += 1
            word = expr[i:j]
            low = word.lower()
            if low in OR_WORDS:
                toks.append(_Tok("or", word, i))
            elif low in AND_WORDS:
                toks.append(_Tok("and", word, i))
            elif low in NOT_WORDS:
                toks.append(_Tok("not", word, i))
            else:
                toks.append(_Tok("term", word, i))
            i = j
    return toks


class _Parser:
    def __init__(self, expr: str) -> None:
        self.expr = expr
        self.toks = _lex(expr)
        self.i = 0

    def error(self, message: str, pos: int | None = None) -> KeywordSyntaxError:
        if pos is None:
            pos = self.toks[self.i].pos if self.i < len(self.toks) else len(self.expr)
        return KeywordSyntaxError(message, self.expr, pos)

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def parse(self) -> Node:
        if not self.toks:
            raise KeywordSyntaxError(_("规则为空"), self.expr, 0)
        node = self.or_expr()
        tok = self.peek()
        if tok is not None:
            if tok.kind == "close":
                raise self.error(_("多余的右括号"))
            raise self.error(_("无法识别“%(tok)s”") % {"tok": tok.text})
        return node

    def or_expr(self) -> Node:
        children = [self.and_expr()]
        while (tok := self.peek()) is not None and tok.kind == "or":
            self.i += 1
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def and_expr(self) -> Node:
        children = [self.unary()]
        while (tok := self.peek()) is not None and tok.kind in ("and", "term", "not", "open"):
            if tok.kind == "and":
                self.i += 1
            children.append(self.unary())
        return children[0] if len(children) == 1 else And(tuple(children))

    def unary(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise self.error(_("规则不完整，运算符后缺少关键词"))
        if tok.kind == "not":
            self.i += 1
            return Not(self.unary())
        return self.primary()

    def primary(self) -> Node:
        tok = self.peek()
        assert tok is not None
        if tok.kind == "term":
            self.i += 1
            needle = fold(tok.text.strip())
            return Term(tok.text, needle)
        if tok.kind == "open":
            self.i += 1
            if (nxt := self.peek()) is not None and nxt.kind == "close":
                raise self.error(_("括号中没有内容"), tok.pos)
            node = self.or_expr()
            close = self.peek()
            if close is None or close.kind != "close":
                raise self.error(_("括号没有闭合"), tok.pos)
            self.i += 1
            return node
        if tok.kind == "close":
            raise self.error(_("多余的右括号"))
        raise self.error(_("运算符“%(op)s”前缺少关键词") % {"op": tok.text})


def parse(expression: str) -> Node:
    """Parse a rule, raising ``KeywordSyntaxError`` with a Chinese message and position."""
    node = _Parser(expression).parse()
    if not positive_terms(node):
        raise KeywordSyntaxError(_("规则至少需要一个不带“非”的关键词"), expression, 0)
    return node


@functools.lru_cache(maxsize=1024)
def compile_rule(expression: str) -> Node:
    """``parse`` with a cache: rules are matched against every ingested item."""
    return parse(expression)


def evaluate(node: Node, haystack: str) -> bool:
    """Match against text already passed through ``fold``."""
    if isinstance(node, Term):
        return node.needle in haystack
    if isinstance(node, Not):
        return not evaluate(node.child, haystack)
    if isinstance(node, And):
        return all(evaluate(c, haystack) for c in node.children)
    return any(evaluate(c, haystack) for c in node.children)


def matches(expression: str | Node, *texts: str) -> bool:
    """Whether the rule matches the given texts (title, body, …) taken together."""
    node = compile_rule(expression) if isinstance(expression, str) else expression
    return evaluate(node, fold("\n".join(texts)))


def positive_terms(node: Node, negated: bool = False) -> list[str]:
    """Terms that must or may occur (not under a NOT), in order: what a search template queries."""
    if isinstance(node, Term):
        return [] if negated else [node.text.strip()]
    if isinstance(node, Not):
        return positive_terms(node.child, not negated)
    out: list[str] = []
    for child in node.children:
        for t in positive_terms(child, negated):
            if t not in out:
                out.append(t)
    return out


def validate(expression: str) -> str | None:
    """``None`` when the rule parses, otherwise the Chinese error message."""
    try:
        parse(expression)
    except KeywordSyntaxError as exc:
        return exc.describe()
    return None
