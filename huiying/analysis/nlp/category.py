"""R3.3 / R3.4 category and severity Ⅰ–Ⅳ, by weighted cue words, with their reasons.

There is no labelled corpus of assignment categories, so the category is proposed by cue
lexicons written from the notice's wording and the categories' usual vocabulary, combined
with the text models' outputs (sentiment, rumour risk) and the item's source. Emergency
detection (R3.4) favours recall: one strong cue is enough, figurative uses ("好喝到爆炸",
"心态崩塌", "股市崩了") are excluded by their context only. Each decision carries a reason
naming the words that made it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


def _rx(*words: str) -> re.Pattern[str]:
    # Inner groups do not capture, so that the combined scanner's named groups stay last.
    return re.compile("|".join(re.sub(r"\((?!\?)", "(?:", w) for w in words))


# R3.4-1 major emergencies, work-safety accidents, disasters, outbreaks.
EMERGENCY_1 = _rx(
    r"爆炸",
    r"爆燃",
    r"闪爆",
    r"起火",
    r"着火",
    r"失火",
    r"大火",
    r"火灾",
    r"火情",
    r"浓烟",
    r"坍塌",
    r"塌陷",
    r"倒塌",
    r"垮塌",
    r"塌方",
    r"中毒",
    r"泄漏",
    r"泄露",
    r"燃气.{0,4}(漏|味)",
    r"煤气.{0,4}(漏|味)",
    r"翻沉",
    r"沉没",
    r"侧翻",
    r"失踪",
    r"遇难",
    r"身亡",
    r"死亡",
    r"伤亡",
    r"丧生",
    r"被埋",
    r"被困",
    r"落水",
    r"溺水",
    r"溺亡",
    r"坠楼",
    r"坠落",
    r"跳楼",
    r"触电",
    r"追尾",
    r"相撞",
    r"车祸",
    r"撞死",
    r"龙卷风",
    r"台风",
    r"暴雨成灾",
    r"洪水",
    r"决口",
    r"山体滑坡",
    r"地震",
    r"暴发",
    r"疫情",
    r"诺如",
    r"上吐下泻",
    r"呕吐腹泻",
    r"集体.{0,3}(腹泻|呕吐|发烧|发热)",
    r"搜救",
    r"救援",
    r"消防车",
    r"救护车",
    r"受伤",
    r"伤者",
    r"砍人",
    r"持刀",
    r"枪击",
    r"爆管",
    r"内涝",
    r"被淹",
    r"滑坡",
    r"一氧化碳",
    r"踩踏",
    r"砸伤",
    r"砸死",
    r"烧伤",
    r"械斗",
    r"群殴",
    r"劫持",
    r"投毒",
    r"确诊",
)
# R3.4-2 mass incidents; false information that harms social order.
MASS = _rx(
    r"聚集",
    r"围堵",
    r"堵路",
    # "把厂门口的公路堵了" is a blockade; "路上堵了两个小时" is traffic.
    r"把.{1,12}堵(了|住|上)",
    r"拉横幅",
    r"打横幅",
    r"静坐",
    r"集体(停运|罢工|罢课|上访|讨薪|维权|停工)",
    r"罢工",
    r"群体性",
    r"冲突",
    r"打砸",
    r"(上百|几百|数百|上千|几千|数千|成百上千)(名|个|位|人)",
    r"堵.{0,4}(政府|大门|厂门)",
    r"讨薪",
    r"集访",
    r"游行",
    r"示威",
    r"请愿",
)
FALSE_INFO = _rx(
    r"网传",
    r"疯传",
    r"谣言",
    r"辟谣",
    r"传言",
    r"真的假的",
    r"是真的吗",
    r"是不是真的",
    r"听说.{0,10}(要|会)",
    r"抢空",
    r"抢购",
    r"抢菜",
    r"囤",
    r"封城",
)
# R3.4-3 hidden dangers to life and property.
DANGER = _rx(
    r"隐患",
    r"危房",
    r"危楼",
    r"开裂",
    r"裂缝",
    r"脱落",
    r"松动",
    r"井盖",
    r"飞线",
    r"私拉.{0,4}电线",
    r"消防通道",
    r"安全出口",
    r"管涌",
    r"决堤",
    r"渗漏",
    r"锈蚀",
    r"锈迹斑斑",
    r"高压线",
    r"超载",
    r"困人",
    r"围挡",
    r"深基坑",
    r"可能塌",
    r"随时.{0,4}(塌|倒|掉)",
    r"定时炸弹",
    r"出了事",
    r"出事了",
    r"万一",
    r"危化品",
    r"液化气罐",
    r"煤气罐",
    r"救生员",
    r"特种设备",
    r"太危险",
    r"很危险",
    r"非常危险",
    r"差点",
    r"险些",
    r"摇摇欲坠",
    r"倾斜",
    r"漏电",
    r"电线裸露",
    r"沉降",
    r"易燃易爆",
)
# Figurative, entertainment or other contexts in which the cues above are not emergencies.
FIGURATIVE = _rx(
    r"好(喝|吃|看|玩)到",
    r"心态",
    r"游戏",
    r"股市",
    r"大盘",
    r"基金",
    r"房价.{0,3}火",
    r"火了",
    r"演唱会",
    r"人气",
    r"流量",
    r"爆款",
    r"火爆",
    r"笑死",
    r"电视剧",
    r"电影",
    r"小说",
)
LEADER = _rx(r"批示", r"领导.{0,6}(督办|交办|过问|要求)")
MEDIA_SOURCES = (
    "人民网",
    "人民日报",
    "新华社",
    "新华网",
    "新华日报",
    "交汇点",
    "央视",
    "CCTV",
    "中央电视台",
    "中国江苏网",
    "江苏卫视",
    "荔枝新闻",
    "光明日报",
    "经济日报",
    "中国新闻网",
    "中新网",
    "中国青年报",
    "法治日报",
    "澎湃",
    "新京报",
    "扬子晚报",
    "现代快报",
    "江苏新闻",
    "紫牛新闻",
)
MEDIA = re.compile("|".join(re.escape(m) for m in MEDIA_SOURCES), re.I)
MORAL = _rx(
    r"虐待",
    r"虐童",
    r"虐猫",
    r"虐狗",
    r"遗弃",
    r"弃养",
    r"不赡养",
    r"见死不救",
    r"家暴",
    r"霸凌",
    r"猥亵",
    r"地沟油",
    r"良心",
    r"丧尽天良",
    r"没有人性",
    r"被讹",
    r"讹人",
    r"碰瓷",
    r"骗捐",
    r"骗局",
    r"坑老人",
    r"道德",
    r"扎针",
)
IMAGE = _rx(
    r"刷屏",
    r"热搜",
    r"转疯",
    r"阅读量",
    r"引发关注",
    r"引争议",
    r"质疑",
    r"干部",
    r"官员",
    r"政绩工程",
    r"面子工程",
    r"八项规定",
    r"形象",
    r"公信力",
    r"门难进",
    r"脸难看",
    r"暴力执法",
    r"无人回复",
    r"没人回复",
    r"网友晒出",
    r"网红",
    r"博主",
    r"曝光",
    r"视频.{0,6}(流传|刷屏|转发)",
)
COMPLAINT = _rx(
    r"投诉",
    r"举报",
    r"态度(恶劣|差|很差|极差)",
    r"不作为",
    r"乱作为",
    r"推诿",
    r"踢皮球",
    r"刁难",
    r"吃拿卡要",
    r"索贿",
    r"受贿",
    r"收红包",
    r"乱收费",
    r"违规收费",
    r"乱罚款",
    r"工作人员",
    r"城管",
    r"执法人员",
    r"办事.{0,4}(难|慢)",
    r"敷衍",
)
POLICY = _rx(
    r"政策",
    r"新政",
    r"新规",
    r"征求意见",
    r"方案",
    r"出台",
    r"条例",
    r"规定",
    r"改革",
    r"规划",
    r"实施细则",
    r"办法",
    r"听证",
)
DEMAND = _rx(
    r"希望",
    r"请求",
    r"恳请",
    r"呼吁",
    r"要求",
    r"建议",
    r"能否",
    r"能不能",
    r"什么时候",
    r"何时",
    r"怎么办",
    r"谁来管",
    r"有没有人管",
    r"没人管",
    r"解决",
    r"拖欠",
    r"欠薪",
    r"工资",
    r"噪音",
    r"扰民",
    r"停水",
    r"停电",
    r"漏水",
    r"积水",
    r"臭",
    r"污染",
    r"维修",
    r"补贴",
    r"补偿",
    r"退费",
    r"学位",
    r"入学",
    r"医保",
    r"社保",
    r"养老",
    r"拆迁",
    r"物业",
    r"违建",
    r"违章",
    r"乱停",
    r"占道",
    r"收费",
    r"涨价",
    r"堵车",
    r"拥堵",
    r"断头路",
    r"红绿灯",
    r"公交",
    r"垃圾",
    r"反映",
    r"整改",
)
# Off-topic markers: trade, entertainment, other cities' matters, small talk.
IRRELEVANT = _rx(
    r"出售",
    r"转让",
    r"有意私聊",
    r"私聊",
    r"推荐",
    r"打卡",
    r"好吃",
    r"好喝",
    r"yyds",
    r"录取分数线",
    r"天气真好",
    r"周末愉快",
    r"演唱会",
    r"明星",
)

DEATH_COUNT = re.compile(
    r"(多名|多人|数名|几名|几十|数十|\d{1,3}\s*(名|人|位)|[二两三四五六七八九十]+\s*(名|人|位))"
    r"[^，。！？,.!?]{0,8}(死亡|遇难|失踪|身亡|丧生|被埋)"
)
MAJOR_1 = _rx(r"被埋", r"蘑菇云", r"特大", r"特别重大", r"化工.{0,6}(爆|燃)")
SERIOUS_1 = _rx(
    r"爆炸",
    r"大火",
    r"火灾",
    r"着火",
    r"起火",
    r"倒塌",
    r"坍塌",
    r"垮塌",
    r"中毒",
    r"泄漏",
    r"伤亡",
    r"连环",
    r"龙卷风",
    r"有人受伤",
    r"多人受伤",
    r"工人没出来",
)
PANIC = _rx(r"抢空", r"抢购", r"抢菜", r"囤", r"封城", r"死了", r"不明病毒", r"不能喝", r"疫情")
SERIOUS_3 = _rx(
    r"开裂",
    r"危化品",
    r"液化气罐",
    r"管涌",
    r"决堤",
    r"超载",
    r"危房",
    r"储罐",
    r"随时.{0,4}(塌|倒)",
    r"可能塌",
    r"定时炸弹",
)


ROMAN = {"I": "Ⅰ", "II": "Ⅱ", "III": "Ⅲ", "IV": "Ⅳ"}


@dataclass
class Judgement:
    category: str | None
    severity: str | None
    reasons: list[str] = field(default_factory=list)

    @property
    def emergency(self) -> bool:
        return bool(self.category and self.category.startswith("R3.4"))


_GROUPS = {
    "E1": EMERGENCY_1,
    "MASS": MASS,
    "FALSE": FALSE_INFO,
    "DANGER": DANGER,
    "FIG": FIGURATIVE,
    "LEADER": LEADER,
    "MORAL": MORAL,
    "IMAGE": IMAGE,
    "COMPLAINT": COMPLAINT,
    "POLICY": POLICY,
    "DEMAND": DEMAND,
    "OFF": IRRELEVANT,
}
SCAN_CHARS = 600  # cue words are looked for in the title and the opening


def scan(text: str, limit: int = 3) -> dict[str, list[str]]:
    """Cue words of every lexicon in the text's first SCAN_CHARS characters."""
    head = text[:SCAN_CHARS]
    return {k: _found(rx, head, limit) for k, rx in _GROUPS.items()}


def _found(rx: re.Pattern[str], text: str, limit: int = 3) -> list[str]:
    out: list[str] = []
    for m in rx.finditer(text):
        w = m.group(0)
        if w not in out:
            out.append(w)
            if len(out) >= limit:
                break
    return out


def _quote(words: list[str]) -> str:
    return "、".join(f"“{w}”" for w in words)


def judge(
    text: str,
    *,
    source: str = "",
    negativity: float = 0.0,
    rumor_risk: float = 0.0,
    heat: float = 0.0,
) -> Judgement:
    """Category and severity of one cleaned text (title and content together).

    ``source`` is the platform, author and link (for R3.3-6); ``negativity`` is 0…1
    (1 = surely negative); ``rumor_risk`` the false-information model's probability.
    """
    cues = scan(text)
    emerg = cues["E1"]
    mass = cues["MASS"]
    false = cues["FALSE"]
    danger = cues["DANGER"]
    figurative = cues["FIG"]
    # A figurative context cancels one weak cue but never several.
    if figurative and len(emerg) + len(danger) + len(mass) <= 1:
        emerg, danger, mass = [], [], []
    if figurative:
        false = [w for w in false if w not in {"囤", "抢购"}]

    scores = {
        "R3.4-1": 2.0 * len(emerg),
        "R3.4-2": 2.0 * len(mass)
        + 2.0 * len(false)
        + (1.0 if false and rumor_risk >= 0.5 else 0.0),
        "R3.4-3": 1.5 * len(danger),
    }
    # Hidden dangers often name what could happen ("万一着火"): one accident word beside
    # danger words is a danger, not an accident that happened.
    if danger and emerg and len(danger) > len(emerg):
        scores["R3.4-1"] = 0.5
    best = max(scores, key=lambda k: scores[k])
    if scores[best] >= 1.5:
        return _emergency(best, text, emerg, mass, false, danger)

    if cues["LEADER"]:
        return Judgement("R3.3-7", "III", [f"R3.3-7 领导批示：文中有{_quote(cues['LEADER'])}"])
    # A message board hosted by a media site (人民网 地方领导留言板) is where citizens write, not
    # the media exposing anything: the platform's name alone is no R3.3-6 cue; the text still is.
    platform = "" if re.search(r"留言板|问政|留言", source) else source
    media = _found(MEDIA, platform + " " + text[:120], 2)
    if media:
        return Judgement(
            "R3.3-6", "II", [f"R3.3-6 省级以上网络媒体监督曝光：来源或文中有{_quote(media)}"]
        )
    for cat, group, sev, label in (
        ("R3.3-5", "MORAL", "III", "严重违背社会公德的民生事项"),
        ("R3.3-3", "IMAGE", "III", "引发媒体和公众关注、可能损害政府形象"),
        ("R3.3-4", "COMPLAINT", "IV", "对单位工作或工作人员的投诉举报"),
        ("R3.3-1", "POLICY", "IV", "对市重大政策决策的讨论和意见建议"),
    ):
        words = cues[group]
        if words:
            if heat >= 60 and sev == "IV":
                sev = "III"
            return Judgement(cat, sev, [f"{cat} {label}：文中有{_quote(words)}"])
    demand = cues["DEMAND"]
    off = cues["OFF"]
    if demand and not (off and len(off) >= len(demand)):
        sev = "III" if heat >= 60 else "IV"
        return Judgement(
            "R3.3-2", sev, [f"R3.3-2 涉及群众切身利益的合理诉求：文中有{_quote(demand)}"]
        )
    if negativity >= 0.8 and not off and len(text) >= 20:
        return Judgement("R3.3-2", "IV", ["R3.3-2 涉及群众切身利益的合理诉求：情感明显负面"])
    return Judgement(None, None, ["无交办类别：未见诉求、投诉或突发事件用语"])


def _emergency(
    cat: str, text: str, emerg: list[str], mass: list[str], false: list[str], danger: list[str]
) -> Judgement:
    reasons: list[str]
    if cat == "R3.4-1":
        if DEATH_COUNT.search(text) or MAJOR_1.search(text):
            sev = "I"
        elif SERIOUS_1.search(text):
            sev = "II"
        else:
            sev = "III"
        reasons = [f"R3.4-1 突发事件、安全生产事故：文中有{_quote(emerg)}（宁可误报，不可漏报）"]
    elif cat == "R3.4-2":
        sev = "II" if mass or PANIC.search(text) else "III"
        parts = []
        if mass:
            parts.append(f"群体性事件用语{_quote(mass)}")
        if false:
            parts.append(f"不实信息用语{_quote(false)}")
        reasons = ["R3.4-2 群体性事件或严重影响社会秩序的不实信息：" + "，".join(parts)]
    else:
        sev = "II" if SERIOUS_3.search(text) else "III"
        reasons = [f"R3.4-3 可能危及群众生命财产安全的隐患：文中有{_quote(danger)}"]
    reasons.append(f"严重程度{ROMAN[sev]}级：按伤亡、规模和扩散用语判断")
    return Judgement(cat, sev, reasons)
