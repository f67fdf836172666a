"""The batch interface: `huiying analyze` and analyze_records, on fixtures the repo ships."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from huiying.analysis.management.commands import analyze
from huiying.analysis.nlp import data
from huiying.analysis.nlp.evaluate import evaluate_jsonl
from huiying.analysis.pipeline import KEYS, analyze_records

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ROOT = Path(__file__).resolve().parents[3]
CATEGORIES = {f"R3.3-{i}" for i in range(1, 8)} | {f"R3.4-{i}" for i in range(1, 4)} | {None}

pytestmark = pytest.mark.django_db

HOSTILE: list[dict[str, Any]] = [
    {"id": "empty", "content": ""},
    {"id": "long", "content": "崇川区小区门口积水严重，" * 9_000},
    {
        "id": "html",
        "title": "<b>标题</b>",
        "content": "<script>alert(1)</script><p>通州区&nbsp;停电</p>",
    },
    {"id": "mixed", "content": "Mixed 中英 текст عربى 한국어 にほんご 12345"},
    {"id": "emoji", "content": "😡😡🔥💥[怒][泪]🙏"},
    {"id": 7, "content": "數字編號的繁體貼文：海門區道路破損"},
]


def check(out: dict) -> None:  # type: ignore[type-arg]
    assert tuple(out) == KEYS
    assert out["topic"] in data.TOPICS
    assert len(out["topic_scores"]) == 3
    assert out["topic"] == next(iter(out["topic_scores"]))
    assert all(n in data.TOPICS and 0.0 <= p <= 1.0 for n, p in out["topic_scores"].items())
    assert out["sentiment"]["label"] in {"negative", "neutral", "positive"}
    assert -1.0 <= out["sentiment"]["score"] <= 1.0
    assert 0.0 <= out["rumor_risk"] <= 1.0
    assert out["category"] in CATEGORIES
    assert out["severity"] in {"I", "II", "III", "IV", None}
    assert (out["category"] is None) == (out["severity"] is None)
    assert all(isinstance(p, str) for p in out["places"])
    assert all(isinstance(u, str) for u in out["units"])
    assert out["reasons"] and all(isinstance(r, str) for r in out["reasons"])
    assert isinstance(out["heat"], float) and 0.0 <= out["heat"] <= 100.0
    json.dumps(out, ensure_ascii=False, allow_nan=False)


def test_hostile_items_get_a_full_analysis() -> None:
    res = analyze_records(HOSTILE)
    assert [r["id"] for r in res] == [r["id"] for r in HOSTILE]
    for r in res:
        check(r)


def test_malformed_records_get_an_error_and_the_batch_goes_on() -> None:
    bad = [
        "not an object",
        {"content": "没有编号"},
        {"id": "x", "content": 5},
        {"id": True, "content": "布尔编号"},
        {"id": "n", "content": "点赞数不对", "likes": -1},
        {"id": "t", "content": "标题不是字符串", "title": ["a"]},
        {"id": "ok", "content": "崇川区一小区燃气爆炸"},
    ]
    res = analyze_records(bad)
    assert [set(r) for r in res[:-1]] == [{"id", "error"}] * 6
    assert res[1]["id"] is None and res[2]["id"] == "x"
    check(res[-1])
    assert res[-1]["category"] == "R3.4-1"


def test_routing_and_heat() -> None:
    [r] = analyze_records(
        [
            {
                "id": "a",
                "title": "通州区工厂大火浓烟滚滚",
                "content": "通州区川姜镇一家家纺厂着火了，听说里面还有工人没出来",
                "platform": "微博",
                "likes": 1000,
                "reposts": 300,
                "comments": 200,
            }
        ]
    )
    check(r)
    assert r["category"] == "R3.4-1"
    assert r["units"], r["reasons"]
    assert any("R1" in reason for reason in r["reasons"])
    assert r["heat"] > 30


def test_command_writes_one_line_per_input_line_in_order(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "1", "content": "海安校车超载[怒]"}, ensure_ascii=False),
        '{"id": "2", "content": ',
        "",
        json.dumps({"id": "3", "title": "南通中考改革方案征求意见", "content": "指标生比例提高"}),
        "\ufeff" + json.dumps({"id": "4", "content": "BOM 开头"}),
        "[1, 2]",
    ]
    src = io.BytesIO(("\n".join(lines) + "\n").encode("utf-8") + b"\xff\xfe\n")
    dst = io.BytesIO()
    assert analyze.run(src, dst, io.StringIO()) == 7
    out = [json.loads(x) for x in dst.getvalue().decode("utf-8").splitlines()]
    assert len(out) == 7
    check(out[0])
    assert out[1]["error"].startswith("invalid JSON") and out[2]["error"] == "empty line"
    check(out[3])
    assert out[3]["id"] == "3"
    assert "error" in out[4] or out[4]["id"] == "4"
    assert out[5] == {"id": None, "error": "not a JSON object"}
    assert out[6] == {"id": None, "error": "invalid UTF-8"}


def test_worker_processes_keep_the_order_and_the_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(analyze, "CHUNK", 3)
    texts = [
        "崇川区燃气爆炸",
        "海门区道路破损",
        "",
        "启东渔港脏乱差[怒]",
        "网传南通封城",
        "{bad",
    ] * 3
    data_in = "".join(
        (json.dumps({"id": i, "content": t}, ensure_ascii=False) if t != "{bad" else t) + "\n"
        for i, t in enumerate(texts)
    ).encode("utf-8")
    one, two = io.BytesIO(), io.BytesIO()
    assert analyze.run(io.BytesIO(data_in), one, None, jobs=1) == len(texts)
    assert analyze.run(io.BytesIO(data_in), two, None, jobs=2) == len(texts)
    assert one.getvalue() == two.getvalue()
    ids = [json.loads(line)["id"] for line in two.getvalue().decode().splitlines()]
    assert ids == [i if t != "{bad" else None for i, t in enumerate(texts)]


def test_progress_goes_to_stderr_for_long_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(analyze, "PROGRESS_EVERY", 3)
    monkeypatch.setattr(analyze, "CHUNK", 2)
    src = io.BytesIO(b"".join(b'{"id": %d, "content": "x"}\n' % i for i in range(7)))
    err = io.StringIO()
    analyze.run(src, io.BytesIO(), err)
    assert "已研判" in err.getvalue() and "完成" in err.getvalue()


def test_cli_reads_stdin_and_writes_stdout_without_shared_data(tmp_path: Path) -> None:
    env = {**os.environ, "HUIYING_DATA_DIR": str(tmp_path / "absent")}
    env.pop("HUIYING_TEXT_MODELS", None)
    db = tmp_path / "cli.sqlite3"
    env["DATABASE_URL"] = f"sqlite:///{db}"
    proc = subprocess.run(
        [sys.executable, "-m", "huiying.cli", "analyze", "--in", "-", "--out", "-"],
        input='{"id": "s", "content": "启东大桥桥墩开裂，随时可能塌"}\n',
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    [line] = proc.stdout.splitlines()
    out = json.loads(line)
    check(out)
    assert out["category"] == "R3.4-3"


def test_missing_input_file_is_a_command_error(tmp_path: Path) -> None:
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="cannot read"):
        call_command("analyze", "--in", str(tmp_path / "absent.jsonl"), "--out", "-")


def test_files_in_and_out(tmp_path: Path) -> None:
    from django.core.management import call_command

    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "content": "小区电梯困人"}\n', encoding="utf-8")
    call_command("analyze", "--in", str(src), "--out", str(tmp_path / "out.jsonl"))
    [line] = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    check(json.loads(line))


def test_nantong_fixture_emergency_targets() -> None:
    lines: list[str] = []
    res = evaluate_jsonl(FIXTURES / "nantong_posts.jsonl", lines.append)
    assert res["emergency"]["recall"] >= 0.95
    assert res["emergency"]["precision"] >= 0.7


def test_social_media_sentiment_fixture() -> None:
    lines: list[str] = []
    res = evaluate_jsonl(FIXTURES / "social_sentiment.jsonl", lines.append)
    assert res["sentiment"]["accuracy"] >= 0.85
