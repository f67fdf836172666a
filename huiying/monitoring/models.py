"""Collection (R2.1-R2.3): sources, collected items with their evidence, keyword rules, watches."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from huiying.common.choices import ChoiceLabelsMixin
from huiying.orgs.models import Unit


class Source(ChoiceLabelsMixin, models.Model):
    class Kind(models.TextChoices):
        FEED = "feed", _("RSS / Atom 订阅")
        HTML = "html", _("定向浏览（网页/留言板）")
        JSON_API = "json_api", _("JSON 接口")
        SEARCH = "search", _("搜索引擎查询")
        VENDOR_PUSH = "vendor_push", _("专业监测厂商推送")
        IMPORT = "import", _("批量导入")
        MANUAL = "manual", _("人工录入")

    code = models.SlugField(_("代码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    platform = models.CharField(
        _("平台"), max_length=50, help_text=_("例如 人民网留言板、民生汇、微博")
    )
    url = models.URLField(_("地址"), max_length=1000, blank=True)
    # Kind-specific definition (selectors, field mapping, pagination, headers...); see README.
    config = models.JSONField(_("定义"), default=dict, blank=True)
    interval_seconds = models.PositiveIntegerField(_("采集间隔（秒）"), default=300)
    watch_interval_seconds = models.PositiveIntegerField(_("专项监测间隔（秒）"), default=60)
    owner_unit = models.ForeignKey(
        Unit,
        verbose_name=_("负责单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_active = models.BooleanField(_("启用"), default=True)
    # A vendor push source signs its batches with this secret (HMAC-SHA256).
    secret = models.CharField(_("推送密钥"), max_length=128, blank=True)

    # Health and politeness state, written only by the collector service.
    last_attempt_at = models.DateTimeField(_("最近尝试"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("最近成功"), null=True, blank=True)
    last_error_at = models.DateTimeField(_("最近错误时间"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    consecutive_failures = models.PositiveIntegerField(_("连续失败次数"), default=0)
    next_due_at = models.DateTimeField(_("下次采集"), null=True, blank=True, db_index=True)
    etag = models.CharField(max_length=300, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    # What a collector carries from one run to the next (a timeline's gap cursor...).
    state = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("监测源")
        verbose_name_plural = _("监测源")
        ordering: ClassVar[list[str]] = ["code"]

    def __str__(self) -> str:
        return self.name


class SourceRun(models.Model):
    """One collection attempt, for the health page and the log."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    fetched = models.PositiveIntegerField(default=0)
    new_items = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # How the run ended, beyond ok/failed: partial (部分成功), rate limited (限流), a possible
    # gap (可能遗漏). "" for an ordinary success or failure.
    outcome = models.CharField(max_length=16, blank=True, default="")
    revisited = models.PositiveIntegerField(default=0)  # threads re-read on their own pages

    class Meta:
        verbose_name = _("采集记录")
        verbose_name_plural = _("采集记录")
        ordering: ClassVar[list[str]] = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.source} {self.started_at:%Y-%m-%d %H:%M}"


class Item(models.Model):
    """One collected post, article, message or comment."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="items")
    # Looked up by equality only: plain B-tree indexes (Meta.indexes), not db_index, which on
    # PostgreSQL adds a second, pattern-matching index to every insert for nothing.
    platform = models.CharField(_("平台"), max_length=50)
    external_id = models.CharField(_("来源编号"), max_length=200, blank=True)
    url = models.URLField(_("原始链接"), max_length=1000, blank=True)
    canonical_url = models.CharField(_("规范链接"), max_length=1000, blank=True)
    # title, text, board_reply: exactly as published (markup of the page removed when it was
    # parsed, whitespace tidied), shown as evidence. The folded forms (NFKC, simplified,
    # lower case) are for matching rules and watches, search and analysis, never shown.
    title = models.CharField(_("标题"), max_length=500, blank=True)
    title_folded = models.CharField(_("标题（归一化，用于匹配）"), max_length=500, blank=True)
    text = models.TextField(_("正文（原文）"), blank=True)
    text_simplified = models.TextField(_("正文（归一化，用于匹配和分析）"), blank=True)
    author = models.CharField(_("作者"), max_length=200, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True, db_index=True)
    captured_at = models.DateTimeField(_("采集时间"), db_index=True)
    # published_at when known, else captured_at: what search filters on and sorts by, so
    # an imported or feed item without a date still has a place on the timeline.
    posted_at = models.DateTimeField(_("时间"), null=True, blank=True, db_index=True)
    # SHA-256 of the de-duplication match key (dedup.py); empty when the key is too short.
    content_hash = models.CharField(_("内容哈希"), max_length=64)
    simhash = models.BigIntegerField(_("SimHash"), null=True, blank=True)  # no longer filled
    # The four MinHash LSH bands of the match key (dedup.py; the names are from the SimHash
    # they replaced): near-duplicate candidates are items that agree on at least one band,
    # found by indexed equality look-ups, then verified.
    simhash_b0 = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    simhash_b1 = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    simhash_b2 = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    simhash_b3 = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("原帖"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="copies",
    )
    # The board's own reply and its status (message-board sources).
    board_reply = models.TextField(_("留言板答复"), blank=True)
    board_status = models.CharField(_("留言办理状态"), max_length=50, blank=True)
    board_replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    likes = models.PositiveIntegerField(default=0)
    reposts = models.PositiveIntegerField(default=0)
    comments = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    # The post's first comments as published (text only, oldest first, at most 20, each at
    # most 2,000 characters): other people's words, shown escaped. The rumour model reads
    # them with the post (analysis ``responses``).
    responses = models.JSONField(_("首批评论"), default=list, blank=True)
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("舆情信息")
        verbose_name_plural = _("舆情信息")
        ordering: ClassVar[list[str]] = ["-captured_at"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["platform"], name="item_platform"),
            models.Index(fields=["canonical_url"], name="item_canonical_url"),
            models.Index(fields=["content_hash"], name="item_content_hash"),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~models.Q(external_id=""),
                name="uniq_item_source_external_id",
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.url or f"item {self.pk}"


class ItemSearch(models.Model):
    """An item's words for full-text search, in a narrow table of its own.

    ``tokens`` are the rjieba search-mode words, space-separated, indexed by FTS5 (SQLite,
    table ``item_fts`` fed by triggers) or by a stored stripped tsvector ``vector`` with a GIN
    index (PostgreSQL, migration 0010). Kept apart from the item so that a large batch is
    stored without this index work (about half of what storing a post costs) and indexed just
    after by the outbox consumer ``monitoring.search_index``; a small batch is indexed in its
    own transaction (``ingest.INDEX_INLINE_BELOW``).
    """

    item = models.OneToOneField(
        Item, on_delete=models.CASCADE, primary_key=True, related_name="search"
    )
    tokens = models.TextField(blank=True)

    class Meta:
        verbose_name = _("检索词")
        verbose_name_plural = _("检索词")

    def __str__(self) -> str:
        return f"search words of item {self.pk}"


class Evidence(models.Model):
    """The fetched document kept as evidence, so a deleted post can still be shown."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="evidence")
    fetched_at = models.DateTimeField()
    url = models.CharField(max_length=1000)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("取证快照")
        verbose_name_plural = _("取证快照")

    def __str__(self) -> str:
        return f"{self.url} {self.sha256[:12]}"


class EngagementSample(models.Model):
    """Engagement counts over time (likes, reposts, comments, replies)."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="engagement")
    sampled_at = models.DateTimeField()
    likes = models.PositiveIntegerField(default=0)
    reposts = models.PositiveIntegerField(default=0)
    comments = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("互动量记录")
        verbose_name_plural = _("互动量记录")
        ordering: ClassVar[list[str]] = ["sampled_at"]

    def __str__(self) -> str:
        return f"{self.item_id} @ {self.sampled_at}"


class KeywordRule(models.Model):
    """A boolean monitoring rule such as ``(崇川 OR 濠河) AND (拆迁 OR 噪音) NOT 广告``."""

    name = models.CharField(_("名称"), max_length=100)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("所属单位（空为全市）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    expression = models.TextField(_("规则表达式"))
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("监测关键词规则")
        verbose_name_plural = _("监测关键词规则")

    def __str__(self) -> str:
        return self.name


class ItemRuleMatch(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="rule_matches")
    rule = models.ForeignKey(KeywordRule, on_delete=models.CASCADE, related_name="matches")
    matched_at = models.DateTimeField()

    class Meta:
        verbose_name = _("规则命中")
        verbose_name_plural = _("规则命中")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["item", "rule"], name="uniq_item_rule"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}~{self.rule_id}"


class Watch(models.Model):
    """24-hour whole-network monitoring of one major event (R2.3)."""

    title = models.CharField(_("专项名称"), max_length=200)
    expression = models.TextField(_("关键词规则"))
    units = models.ManyToManyField(Unit, verbose_name=_("相关单位"), blank=True, related_name="+")
    # Who may change or close it: the unit of whoever opened it (empty: 网信办, the city's).
    owner_unit = models.ForeignKey(
        Unit,
        verbose_name=_("负责单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("告警接收人"), blank=True, related_name="+"
    )
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("专项监测")
        verbose_name_plural = _("专项监测")
        ordering: ClassVar[list[str]] = ["-starts_at"]

    def __str__(self) -> str:
        return self.title


class WatchMatch(models.Model):
    watch = models.ForeignKey(Watch, on_delete=models.CASCADE, related_name="matches")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="watch_matches")
    matched_at = models.DateTimeField()
    alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("专项监测命中")
        verbose_name_plural = _("专项监测命中")
        ordering: ClassVar[list[str]] = ["-matched_at"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["watch", "item"], name="uniq_watch_item"),
        ]

    def __str__(self) -> str:
        return f"{self.watch_id}~{self.item_id}"


class WatchAlert(models.Model):
    """An in-app alert to one of a watch's people about one new match ("at once", R2.3)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    watch_match = models.ForeignKey(WatchMatch, on_delete=models.CASCADE, related_name="alerts")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("专项监测告警")
        verbose_name_plural = _("专项监测告警")
        ordering: ClassVar[list[str]] = ["-created_at"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["user", "read_at"], name="watchalert_user_unread"),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["user", "watch_match"], name="uniq_watchalert_user_match"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}~{self.watch_match_id}"


class ThreadWatch(models.Model):
    """A board post waiting for its reply: re-read on its own page, politely spaced, until it
    is answered or ``until`` (first seen + refresh_days) passes, whatever the list shows."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="thread_watches")
    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="thread_watch")
    url = models.URLField(max_length=1000)
    next_check_at = models.DateTimeField(db_index=True)
    until = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)  # answered, or given up

    class Meta:
        verbose_name = _("待回访留言")
        verbose_name_plural = _("待回访留言")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["source", "done_at", "next_check_at"], name="threadwatch_due"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} until {self.until:%Y-%m-%d}"


class ItemChange(models.Model):
    """A change of a post's status, reply or named field, with the time it was first seen."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="changes")
    seen_at = models.DateTimeField(db_index=True)
    field = models.CharField(max_length=50)
    old = models.TextField(blank=True)
    new = models.TextField(blank=True)

    class Meta:
        verbose_name = _("变化记录")
        verbose_name_plural = _("变化记录")
        ordering: ClassVar[list[str]] = ["seen_at", "pk"]

    def __str__(self) -> str:
        return f"{self.item_id} {self.field} {self.seen_at:%Y-%m-%d %H:%M}"
