"""`huiying model evaluate FILE`: macro-F1, accuracy and per-class figures on a labelled file.

The kind of file is recognised by its columns:

- CSV ``label_level1, text_title_plus_detail`` (or 附件2 ``一级分类`` …): topic;
- CSV ``label, text`` with 0/1 labels: sentiment (1 = positive; neutral counts as wrong);
- CSV with ``label`` rumor/non-rumor (CED): false-information accuracy by 5-fold stratified
  cross-validation repeated over three seeds (the model, idf included, is retrained on each
  fold's training part), text only; with ``ced_first20_reposts.jsonl.gz`` beside it, also the
  post + first-responses model fed the first 20, 10 and 5 responses;
- JSON Lines with ``content`` and any of ``topic``, ``category``, ``severity``, ``sentiment``,
  ``lead_unit``: the whole pipeline (`huiying analyze`) against those labels, including
  emergency (R3.4) recall and precision.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import data, models, text

Printer = Callable[[str], None]


def per_class(gold: Sequence[Any], pred: Sequence[Any]) -> dict[str, Any]:
    labels = sorted({str(g) for g in gold})
    rows = {}
    f1s = []
    for lab in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if str(g) == lab and str(p) == lab)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if str(g) != lab and str(p) == lab)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if str(g) == lab and str(p) != lab)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        rows[lab] = {"precision": prec, "recall": rec, "f1": f1, "support": tp + fn}
        f1s.append(f1)
    acc = sum(1 for g, p in zip(gold, pred, strict=True) if str(g) == str(p)) / max(1, len(gold))
    return {
        "accuracy": acc,
        "macro_f1": float(np.mean(f1s)) if f1s else 0.0,
        "classes": rows,
        "n": len(gold),
    }


def show(title: str, res: dict[str, Any], out: Printer) -> None:
    out(f"{title}: n={res['n']} accuracy={res['accuracy']:.4f} macro-F1={res['macro_f1']:.4f}")
    for lab, r in res["classes"].items():
        out(
            f"  {lab:<12} P={r['precision']:.3f} R={r['recall']:.3f} "
            f"F1={r['f1']:.3f} n={r['support']}"
        )


def _columns(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh), [])


def evaluate_topic(rows: list[tuple[str, str]], m: models.TextModels) -> dict[str, Any]:
    preds: list[str] = []
    for i in range(0, len(rows), 2000):
        chunk = rows[i : i + 2000]
        p = m.topic_proba(text.counts(text.clean_batch([t for t, _ in chunk])))
        preds += [m.topic_classes[k] for k in p.argmax(axis=1)]
    return per_class([y for _, y in rows], preds)


def evaluate_sentiment(rows: list[tuple[str, int]], m: models.TextModels) -> dict[str, Any]:
    from . import sentiment

    cleaned = text.clean_batch([t for t, _ in rows])
    labels = sentiment.scores(cleaned, m.positive_proba(text.counts(cleaned)))
    # Reviews are all opinions: the binary figure takes the sign of the score.
    pred = [1 if s > 0 else 0 for _, s in labels]
    return per_class([y for _, y in rows], pred)


RUMOR_SEEDS = (0, 1, 2)
RESPONSE_KS = (20, 10, 5)


def _rumor_cv(
    counts_train: Any, counts_test: Any, y: np.ndarray, c: float, folds: int
) -> dict[str, Any]:
    """Stratified k-fold, repeated over RUMOR_SEEDS; idf and weights fitted inside each fold.

    ``counts_train`` are the rows a fold trains on, ``counts_test`` the same posts as the model
    sees them at prediction (fewer responses, say); one row per post in both.
    """
    from sklearn.model_selection import StratifiedKFold

    from .train import fit_binary_counts

    gold: list[int] = []
    pred: list[int] = []
    for seed in RUMOR_SEEDS:
        skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        for tr, te in skf.split(np.zeros(len(y)), y):
            lin = models.Linear.from_dict(fit_binary_counts(counts_train[tr], y[tr].tolist(), c))
            d = lin.decision(counts_test[te])[:, 0]
            gold += y[te].tolist()
            pred += [int(v > 0) for v in d]
    return per_class(gold, pred)


def evaluate_rumor_cv(rows: list[tuple[str, int]], folds: int = 5) -> dict[str, Any]:
    """Text only: the shipped ``rumor`` model's recipe."""
    from .train import RUMOR_C, _vectorise

    y = np.asarray([lab for _, lab in rows])
    counts = _vectorise([t for t, _ in rows])
    return _rumor_cv(counts, counts, y, RUMOR_C, folds)


def evaluate_rumor_responses_cv(
    rows: list[tuple[str, list[str], int]], ks: Sequence[int] = RESPONSE_KS, folds: int = 5
) -> dict[int, dict[str, Any]]:
    """Post + first responses: trained on the first 20, measured when fed the first k."""
    from .train import RUMOR_RESPONSES_C, _vectorise

    y = np.asarray([lab for _, _, lab in rows])
    post = _vectorise([t for t, _, _ in rows])

    def with_first(k: int) -> Any:
        return post + _vectorise([text.join_responses(r[:k]) for _, r, _ in rows])

    train_counts = with_first(text.MAX_RESPONSES)
    return {
        k: _rumor_cv(
            train_counts,
            train_counts if k == text.MAX_RESPONSES else with_first(k),
            y,
            RUMOR_RESPONSES_C,
            folds,
        )
        for k in ks
    }


def evaluate_jsonl(path: Path, out: Printer, m: models.TextModels | None = None) -> dict[str, Any]:
    from ..pipeline import analyze_records

    recs = list(data.read_jsonl(path))
    res = analyze_records(recs, models=m)
    results: dict[str, Any] = {}
    if any(r.get("topic") for r in recs):
        pairs = [
            (r["topic"], o.get("topic")) for r, o in zip(recs, res, strict=True) if r.get("topic")
        ]
        results["topic"] = per_class([g for g, _ in pairs], [p for _, p in pairs])
        show("topic", results["topic"], out)
    if any("category" in r for r in recs):
        gold = [str(r.get("category") or "none") for r in recs]
        pred = [str(o.get("category") or "none") for o in res]
        results["category"] = per_class(gold, pred)
        show("category", results["category"], out)
        ge = [g.startswith("R3.4") for g in gold]
        pe = [p.startswith("R3.4") for p in pred]
        tp = sum(g and p for g, p in zip(ge, pe, strict=True))
        rec = tp / max(1, sum(ge))
        prec = tp / max(1, sum(pe))
        results["emergency"] = {"recall": rec, "precision": prec, "n": sum(ge)}
        out(
            f"emergency (R3.4): recall={rec:.4f} precision={prec:.4f} (n={sum(ge)}, flagged={sum(pe)})"
        )
        missed = [r["id"] for r, g, p in zip(recs, ge, pe, strict=True) if g and not p]
        if missed:
            out(f"  missed: {', '.join(map(str, missed))}")
    if any("severity" in r for r in recs):
        gold = [str(r.get("severity") or "none") for r in recs]
        pred = [str(o.get("severity") or "none") for o in res]
        results["severity"] = per_class(gold, pred)
        out(f"severity: accuracy={results['severity']['accuracy']:.4f}")
    if any(r.get("sentiment") for r in recs):
        pairs = [
            (r["sentiment"], (o.get("sentiment") or {}).get("label"))
            for r, o in zip(recs, res, strict=True)
            if r.get("sentiment")
        ]
        results["sentiment"] = per_class([g for g, _ in pairs], [p for _, p in pairs])
        show("sentiment (3-way)", results["sentiment"], out)
    if any(r.get("lead_unit") for r in recs):
        pairs = [
            (r["lead_unit"], (o.get("units") or [None])[0])
            for r, o in zip(recs, res, strict=True)
            if r.get("lead_unit")
        ]
        acc = sum(1 for g, p in pairs if g == p) / max(1, len(pairs))
        results["lead_unit"] = {"accuracy": acc, "n": len(pairs)}
        out(f"lead unit top-1: accuracy={acc:.4f} (n={len(pairs)})")
    return results


def evaluate_file(
    path: Path, out: Printer = print, m: models.TextModels | None = None
) -> dict[str, Any]:
    m = m or models.default_models()
    if path.suffix in {".jsonl", ".json"} or path.name.endswith(".jsonl.gz"):
        return evaluate_jsonl(path, out, m)
    cols = _columns(path)
    if "text_title_plus_detail" in cols:
        rows = [(r["text_title_plus_detail"], r["label_level1"]) for r in data.read_csv(path)]
        res = evaluate_topic(rows, m)
        show(f"topic ({path.name})", res, out)
        return {"topic": res}
    if "一级分类" in cols:
        rows = [(r["留言主题"] + " " + r["留言详情"], r["一级分类"]) for r in data.read_csv(path)]
        res = evaluate_topic(rows, m)
        show(f"topic ({path.name})", res, out)
        return {"topic": res}
    if "label" in cols and ("user_followers" in cols or "reposts" in cols):
        res = evaluate_rumor_cv(data.rumor_file(path))
        seeds = len(RUMOR_SEEDS)
        show(
            f"false information, text only, 5-fold stratified CV × {seeds} seeds ({path.name})",
            res,
            out,
        )
        results: dict[str, Any] = {"rumor": res}
        responses = path.parent / "ced_first20_reposts.jsonl.gz"
        if responses.exists():
            by_k = evaluate_rumor_responses_cv(data.rumor_file_with_responses(path, responses))
            for k, r in by_k.items():
                out(
                    f"false information, text + first {k} responses (model trained on 20): "
                    f"accuracy={r['accuracy']:.4f} macro-F1={r['macro_f1']:.4f} n={r['n']}"
                )
                results[f"rumor_responses_{k}"] = r
        return results
    if "label" in cols and ("text" in cols or "review" in cols):
        col = "text" if "text" in cols else "review"
        labelled = [(r[col], int(r["label"])) for r in data.read_csv(path) if r[col]]
        res = evaluate_sentiment(labelled, m)
        show(f"sentiment ({path.name}; 1 = positive)", res, out)
        return {"sentiment": res}
    raise ValueError(f"unrecognised file: columns {cols[:8]}")


def label_counts(values: Sequence[Any]) -> str:
    return json.dumps(Counter(map(str, values)), ensure_ascii=False)
