"""Text cleaning and the shared sparse features of every text model.

One batch of texts is cleaned (HTML removed, traditional → simplified, bounded length) and
turned into ONE hashed count matrix; every model (topic, sentiment, rumour) reweights it
with its own idf vector and applies its own linear weights. Features: rjieba words, word
bigrams, character bigrams and trigrams, and Weibo emoticons such as ``[怒]`` as whole
tokens. Hashing keeps the model files small and needs no vocabulary.
"""

from __future__ import annotations

import html
import re
import threading
import zlib
from collections.abc import Sequence

import numpy as np
import opencc
import rjieba
from scipy import sparse

# Features are taken from the first MAX_CHARS characters: the topic of a post is in its
# title and opening; a 100,000-character paste must not cost 100 times a normal one.
MAX_CHARS = 1500
N_BITS = 18
N_FEATURES = 2**N_BITS

_TAG_RE = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]{0,2000}>", re.I | re.S)
_URL_RE = re.compile(r"https?://\S+|www\.\S+", re.I)
_EMOTICON_RE = re.compile(r"\[[\u4e00-\u9fffA-Za-z]{1,8}\]")
_WS_RE = re.compile(r"\s+")
# Teddy Cup anonymisation ("A市", "A3区", "C市") must not be learnt as topic words.
_ANON_RE = re.compile(r"(?<![A-Za-z])[A-Z]\d{0,2}(?=[市区县镇])")

# The rumour model with responses was trained on the first 20 comments or reposts of a post.
MAX_RESPONSES = 20

_local = threading.local()


def _t2s() -> opencc.OpenCC:
    conv = getattr(_local, "t2s", None)
    if conv is None:
        conv = opencc.OpenCC("t2s")
        _local.t2s = conv
    return conv


def clean(text: str) -> str:
    """One line of plain simplified text: no tags, entities, links or runs of spaces."""
    if not text:
        return ""
    text = text[: MAX_CHARS * 4]
    if "<" in text:
        text = _TAG_RE.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    if "http" in text or "www." in text:
        text = _URL_RE.sub(" ", text)
    text = _ANON_RE.sub("", text)
    return _WS_RE.sub(" ", text).strip()[:MAX_CHARS]


def clean_batch(texts: Sequence[str]) -> list[str]:
    """`clean` then traditional → simplified for the whole batch in one opencc call."""
    cleaned = [clean(t) for t in texts]
    if not cleaned:
        return cleaned
    # Cleaned texts hold no newline, so one conversion of the joined batch splits back.
    converted = _t2s().convert("\n".join(cleaned)).split("\n")
    if len(converted) != len(cleaned):  # pragma: no cover - defensive
        return [_t2s().convert(t) for t in cleaned]
    return converted


def join_responses(responses: Sequence[str]) -> str:
    """The first MAX_RESPONSES responses of a post as one text (training and prediction alike)."""
    return " ".join(r for r in responses[:MAX_RESPONSES] if r)


def emoticons(text: str) -> list[str]:
    return _EMOTICON_RE.findall(text)


def words(text: str) -> list[str]:
    """rjieba words of one cleaned text, punctuation and spaces left out."""
    return [w for w in rjieba.cut(text) if w[0].isalnum()]


_M64 = np.uint64(0x9E3779B97F4A7C15)
_SHIFT = np.uint64(64 - N_BITS)
_P = np.uint64(1_000_003)
_SALT_WORD = np.uint64(0x51ED27)
_SALT_BIGRAM_WORD = np.uint64(0xB16B00B5)
_SALT_C2 = np.uint64(0xC2C2C2)
_SALT_C3 = np.uint64(0xC3C3C3C3)
_word_ids: dict[str, int] = {}


def _bucket(x: np.ndarray, salt: np.uint64) -> np.ndarray:
    with np.errstate(over="ignore"):
        return (((x + salt) * _M64) >> _SHIFT).astype(np.int64)


def _word_hashes(all_words: list[str]) -> list[int]:
    cache = _word_ids
    hashes = list(map(cache.get, all_words))
    if None in hashes:
        if len(cache) > 500_000:
            cache.clear()
        for i, h in enumerate(hashes):
            if h is None:
                w = all_words[i]
                h = cache.get(w)
                if h is None:
                    h = cache[w] = zlib.crc32(w.encode("utf-8"))
                hashes[i] = h
    return hashes  # type: ignore[return-value]


def counts(cleaned: Sequence[str]) -> sparse.csr_matrix:
    """Hashed counts of words, word bigrams, character bigrams and trigrams, one row per text.

    All n-gram hashing runs in numpy over the whole batch; the only per-text Python work is
    rjieba's segmentation. Hashes are deterministic (crc32 and integer mixing), so a model
    trained in one process applies in any other.
    """
    n = len(cleaned)
    if n == 0:
        return sparse.csr_matrix((0, N_FEATURES), dtype=np.float32)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    # Words and word bigrams.
    all_words: list[str] = []
    lens = np.zeros(n, dtype=np.int64)
    for i, t in enumerate(cleaned):
        ws = words(t) if t else []
        if "[" in t:
            ws += ["E" + e for e in _EMOTICON_RE.findall(t)]
        lens[i] = len(ws)
        all_words.extend(ws)
    w = np.asarray(_word_hashes(all_words), dtype=np.uint64)
    wdoc = np.repeat(np.arange(n, dtype=np.int64), lens)
    rows.append(wdoc)
    cols.append(_bucket(w, _SALT_WORD))
    if len(w) > 1:
        same = wdoc[1:] == wdoc[:-1]
        with np.errstate(over="ignore"):
            pair = w[:-1] * _P + w[1:]
        rows.append(wdoc[1:][same])
        cols.append(_bucket(pair[same], _SALT_BIGRAM_WORD))
    # Character bigrams and trigrams over the batch joined by NUL.
    chars = "\x00".join(t.replace(" ", "") for t in cleaned)
    if chars:
        cp = np.frombuffer(chars.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        clen = np.fromiter((len(t.replace(" ", "")) + 1 for t in cleaned), np.int64, n)
        cdoc = np.repeat(np.arange(n, dtype=np.int64), clen)[: len(cp)]
        ok = cp != 0
        if len(cp) > 1:
            m2 = ok[:-1] & ok[1:]
            with np.errstate(over="ignore"):
                b2 = cp[:-1] * _P + cp[1:]
            rows.append(cdoc[:-1][m2])
            cols.append(_bucket(b2[m2], _SALT_C2))
            if len(cp) > 2:
                m3 = m2[:-1] & ok[2:]
                with np.errstate(over="ignore"):
                    b3 = b2[:-1] * _P + cp[2:]
                rows.append(cdoc[:-2][m3])
                cols.append(_bucket(b3[m3], _SALT_C3))
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    mat = sparse.csr_matrix(
        (np.ones(len(r), dtype=np.float32), (r, c)), shape=(n, N_FEATURES), dtype=np.float32
    )
    mat.sum_duplicates()
    return mat
