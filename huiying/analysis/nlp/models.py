"""The trained text models: a file format of plain arrays and batch prediction.

A model file (``models_data/text_models.joblib``) is a dict of numpy arrays, not pickled
scikit-learn objects, so it loads under any scikit-learn version and prediction is one
sparse product per model for the whole batch::

    {"format": 1, "n_bits": 18, "meta": {...},
     "topic":     {"classes": [...], "idf": f16[N], "coef": f16[k, N], "intercept": f32[k],
                   "temperature": float},
     "sentiment": {"idf": ..., "coef": f16[1, N], "intercept": f32[1], "a": float, "b": float},
     "rumor":     {"idf": ..., "coef": f16[1, N], "intercept": f32[1], "a": float, "b": float},
     "rumor_responses": {...the same...}}   # optional

``a`` and ``b`` are Platt scaling of the decision value into a probability.
``rumor_responses`` reads a post together with its first comments and reposts (the crowd's
辟谣, 假的, 求证…): the counts of the post plus the counts of its joined responses. A file
without it (older, or a city's) falls back to the text-only rumour model.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from scipy import sparse

from . import text

MODELS_DIR = Path(__file__).resolve().parent.parent / "models_data"
DEFAULT_FILE = MODELS_DIR / "text_models.joblib"
FORMAT = 1


def model_path() -> Path:
    """``$HUIYING_TEXT_MODELS`` (a city's retrained file) or the shipped default."""
    env = os.environ.get("HUIYING_TEXT_MODELS")
    return Path(env) if env else DEFAULT_FILE


@dataclass(frozen=True)
class Linear:
    """idf reweighting, l2 normalisation and a linear layer over the shared counts."""

    idf: np.ndarray
    coef: np.ndarray  # (k, N) float32, transposed once for a fast product
    intercept: np.ndarray
    sublinear: bool = True

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Linear:
        return cls(
            idf=np.asarray(d["idf"], dtype=np.float32),
            coef=np.ascontiguousarray(np.asarray(d["coef"], dtype=np.float32).T),
            intercept=np.asarray(d["intercept"], dtype=np.float32),
            sublinear=bool(d.get("sublinear", True)),
        )

    def features(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        """(sublinear) tf × idf, each row scaled to unit length, on the CSR arrays directly."""
        data = counts.data.astype(np.float32, copy=True)
        if self.sublinear:
            data = 1.0 + np.log(data)
        data *= self.idf[counts.indices]
        lengths = np.diff(counts.indptr)
        sq = np.zeros(len(lengths), dtype=np.float32)
        nonempty = lengths > 0
        if data.size:
            sq[nonempty] = np.add.reduceat(data * data, counts.indptr[:-1][nonempty])
        norms = np.sqrt(sq)
        norms[norms == 0] = 1.0
        data /= np.repeat(norms, lengths)
        return sparse.csr_matrix(
            (data, counts.indices, counts.indptr), shape=counts.shape, copy=False
        )

    def decision(self, counts: sparse.csr_matrix) -> np.ndarray:
        return np.asarray(self.features(counts) @ self.coef) + self.intercept


def tfidf_rows(
    counts: sparse.csr_matrix, idf: np.ndarray, *, sublinear: bool = True
) -> sparse.csr_matrix:
    """The features a Linear sees, for training (the same code path as prediction)."""
    empty = np.zeros((idf.shape[0], 1), np.float32)
    zero = np.zeros(1, np.float32)
    return Linear(idf=idf, coef=empty, intercept=zero, sublinear=sublinear).features(counts)


def idf_of(counts: sparse.csr_matrix) -> np.ndarray:
    """Smoothed idf as scikit-learn computes it."""
    n = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    return (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


@dataclass(frozen=True)
class TextModels:
    topic_classes: tuple[str, ...]
    topic: Linear
    topic_temperature: float
    sentiment: Linear
    sentiment_ab: tuple[float, float]
    rumor: Linear
    rumor_ab: tuple[float, float]
    meta: dict[str, Any]
    rumor_responses: Linear | None = None
    rumor_responses_ab: tuple[float, float] = (1.0, 0.0)

    @classmethod
    def from_bundle(cls, b: dict[str, Any]) -> TextModels:
        if b.get("format") != FORMAT or b.get("n_bits") != text.N_BITS:
            raise ValueError("model file format does not match this version of huiying")
        return cls(
            topic_classes=tuple(b["topic"]["classes"]),
            topic=Linear.from_dict(b["topic"]),
            topic_temperature=float(b["topic"]["temperature"]),
            sentiment=Linear.from_dict(b["sentiment"]),
            sentiment_ab=(float(b["sentiment"]["a"]), float(b["sentiment"]["b"])),
            rumor=Linear.from_dict(b["rumor"]),
            rumor_ab=(float(b["rumor"]["a"]), float(b["rumor"]["b"])),
            meta=dict(b.get("meta", {})),
            rumor_responses=Linear.from_dict(rr) if (rr := b.get("rumor_responses")) else None,
            rumor_responses_ab=(float(rr["a"]), float(rr["b"])) if rr else (1.0, 0.0),
        )

    def topic_proba(self, counts: sparse.csr_matrix) -> np.ndarray:
        return softmax(self.topic.decision(counts) * self.topic_temperature)

    def positive_proba(self, counts: sparse.csr_matrix) -> np.ndarray:
        a, b = self.sentiment_ab
        return sigmoid(a * self.sentiment.decision(counts)[:, 0] + b)

    def rumor_proba(self, counts: sparse.csr_matrix) -> np.ndarray:
        a, b = self.rumor_ab
        return sigmoid(a * self.rumor.decision(counts)[:, 0] + b)

    def rumor_proba_responses(self, counts: sparse.csr_matrix) -> np.ndarray | None:
        """P(rumour) from the post's counts plus its responses' counts; None without the model."""
        if self.rumor_responses is None:
            return None
        a, b = self.rumor_responses_ab
        return sigmoid(a * self.rumor_responses.decision(counts)[:, 0] + b)


def load(path: Path | None = None) -> TextModels:
    return TextModels.from_bundle(joblib.load(path or model_path()))


@functools.lru_cache(maxsize=1)
def default_models() -> TextModels:
    """The models `huiying analyze` uses, loaded once per process."""
    return load()


def save(bundle: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(bundle, path, compress=("zlib", 6))
