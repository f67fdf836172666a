"""`huiying model train` and `huiying model evaluate FILE`: the 研判 text models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huiying.analysis.nlp import data, evaluate, models, train

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures"


class Command(BaseCommand):
    help = "Train or evaluate the 研判 text models (topic, sentiment, false-information risk)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        t = sub.add_parser("train", help="rebuild the models from ../shared/data or --data DIR")
        t.add_argument("--data", type=Path, default=None, help="data folder (../shared/data)")
        t.add_argument("--out", type=Path, default=None, help="model file to write")
        t.add_argument(
            "--extra-topic",
            type=Path,
            action="append",
            default=[],
            help="JSON Lines of a city's past forms {title, content, topic}; repeatable",
        )
        e = sub.add_parser("evaluate", help="figures on a labelled file (or --all)")
        e.add_argument("file", nargs="?", type=Path)
        e.add_argument("--all", action="store_true", help="every target figure")
        e.add_argument("--data", type=Path, default=None)
        e.add_argument("--models", type=Path, default=None, help="model file to measure")

    def handle(self, *args: Any, **opts: Any) -> None:
        out = self.stdout.write
        if opts["action"] == "train":
            data_dir = opts["data"] or data.default_data_dir()
            if not data_dir.exists():
                raise CommandError(f"no data folder {data_dir}")
            train.train(
                data_dir,
                opts["out"] or models.model_path(),
                extra_topic=opts["extra_topic"],
                log=out,
            )
            models.default_models.cache_clear()
            return
        m = models.load(opts["models"]) if opts["models"] else models.default_models()
        if opts["file"]:
            if not opts["file"].exists():
                raise CommandError(f"no file {opts['file']}")
            try:
                evaluate.evaluate_file(opts["file"], out, m)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            return
        if not opts["all"]:
            raise CommandError("give a FILE or --all")
        d = opts["data"] or data.default_data_dir()
        for f in (
            d / "teddycup2020c/csv/attachment2_marsw20_test_split.csv",
            d / "chinese_sentiment/chnsenticorp_validation.csv",
            d / "ced_weibo_rumor/ced_original_microblogs.csv",
            FIXTURE / "social_sentiment.jsonl",
            FIXTURE / "nantong_posts.jsonl",
            FIXTURE / "nantong_posts_holdout.jsonl",
        ):
            if f.exists():
                out(f"== {f.name}")
                evaluate.evaluate_file(f, out, m)
