"""`huiying model train`: rebuild the text models from ../shared/data or a city's own files.

- topic: 附件2 (segmented full set less the MarsW20 test split, dev split, official sample)
  for seven classes; for the eight classes without labelled messages, the taxonomy's
  level-2/3 terms and the example messages below. A city adds its own past forms as JSON
  Lines ``{"content": ..., "topic": ...}`` (``--extra-topic FILE``): the best training data.
- sentiment: ChnSentiCorp train, hotel and take-away reviews (validation texts removed).
- rumour: CED original microblogs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from . import data, models, text

TOPIC_TEMPERATURE = 4.0
RUMOR_C = 100.0

# Example messages for the classes 附件2 has no labels for (written for this project).
EXAMPLES: dict[str, tuple[str, ...]] = {
    "农村农业": (
        "村里的土地流转租金两年没有兑现，种粮补贴也没发到农户手上",
        "我们镇的养殖户反映生猪价格暴跌，请求农业部门给予扶持",
        "小麦赤霉病大面积发生，农技站什么时候来指导防治",
        "村里的高标准农田水渠年久失修，灌溉季节放不进水",
        "农村合作社拖欠村民土地分红，村委会不管",
        "渔民反映禁渔期补贴标准太低，希望提高",
        "农村人居环境整治，村里厕所改造质量差",
        "家庭农场申请农机购置补贴一直审批不下来",
    ),
    "政法": (
        "小区附近有人深夜飙车炸街，报警后派出所出警很慢",
        "电信诈骗骗走了老人十万元，希望公安尽快破案",
        "法院判决生效一年了还没有执行，老赖名下财产不处置",
        "派出所办理户口迁移手续要求提供各种证明",
        "小区周边有人聚众赌博，请公安机关打击",
        "交通事故责任认定不公，要求交警重新认定",
        "法律援助申请被拒，农民工维权无门",
        "黑恶势力强买强卖，欺行霸市，希望扫黑除恶",
    ),
    "民政": (
        "低保申请条件不清楚，社区说我们家不符合",
        "养老院收费太高，普通老人住不起",
        "残疾人两项补贴停发了，不知道什么原因",
        "社区居家养老服务中心形同虚设，从来不开门",
        "婚姻登记处预约难，结婚证办不了",
        "殡葬改革后公墓价格太贵，骨灰堂也不够",
        "困难群众临时救助申请一直没有回音",
        "孤儿和留守儿童关爱政策落实不到位",
    ),
    "党务政务": (
        "政务服务中心窗口办事效率低，一个证跑了五趟",
        "政府网站信息公开不及时，政策文件找不到",
        "机关工作作风差，办事人员推诿扯皮",
        "建议市政府简化审批流程，推行一网通办",
        "市长信箱留言三个月没有回复",
        "政务热线打不通，打通了也只是记录",
        "希望公开财政预算和三公经费",
        "机构改革后部门职责不清，群众办事不知道找谁",
    ),
    "经济管理": (
        "小微企业贷款难，银行抽贷断贷，请求帮助",
        "企业营商环境差，政府承诺的招商优惠政策不兑现",
        "市场物价上涨太快，猪肉蔬菜价格监管",
        "统计数据造假，园区企业产值虚报",
        "国有企业改制职工权益受损",
        "非法集资理财平台跑路，投资人血本无归",
        "个体工商户税费负担重，希望减税降费",
        "开发区企业用电价格高，成本压力大",
    ),
    "纪检监察": (
        "举报某局领导干部收受贿赂，利用职权为亲属谋利",
        "村干部贪污挪用扶贫资金，希望纪委调查",
        "某单位公车私用，周末开公车去钓鱼",
        "干部违规操办婚丧喜庆大办酒席收礼金",
        "举报镇领导违反八项规定出入高档会所",
        "村支书在低保评定中优亲厚友，暗箱操作",
        "公职人员吃空饷，长期不上班照拿工资",
        "工程招投标中领导干部插手，存在腐败问题",
    ),
    "国土资源": (
        "村里的基本农田被非法占用建厂房",
        "不动产登记办证难，房产证拖了五年办不下来",
        "宅基地审批一直不批，农民建房难",
        "非法采砂采矿破坏河道，国土部门不管",
        "土地征收补偿标准低，被征地农民安置不落实",
        "违法占用耕地建别墅，卫片执法发现了也不拆",
        "土地使用权出让后开发商长期闲置土地",
        "地质灾害隐患点没有监测，山体滑坡危险",
    ),
    "科技与信息产业": (
        "小区手机信号差，5G基站建设迟迟不落地",
        "宽带网络经常断网，运营商客服推诿",
        "高新技术企业认定政策咨询，研发费用加计扣除",
        "个人信息泄露，天天接到骚扰电话和诈骗短信",
        "政务APP经常闪退，无法正常办理业务",
        "科技型中小企业申报科技项目补助资金未到位",
        "农村光纤入户覆盖不足，网速很慢",
        "数据中心建设和大数据产业发展的建议",
    ),
}
TEMPLATES = ("{l3}问题反映", "关于{l2}中{l3}的诉求", "{l3}方面的问题希望有关部门解决")


def topic_rows(
    data_dir: Path, extra: Sequence[Path] = ()
) -> tuple[list[str], list[str], list[float]]:
    texts: list[str] = []
    labels: list[str] = []
    weights: list[float] = []
    for t, y in data.topic_train(data_dir):
        texts.append(t)
        labels.append(y)
        weights.append(1.0)
    labelled = set(labels)
    for l1, l2, l3 in data.taxonomy(data_dir):
        # Classes with labelled messages learn from them alone.
        if l1 not in data.TOPICS or l1 in labelled:
            continue
        for tpl in TEMPLATES:
            texts.append(tpl.format(l2=l2, l3=l3))
            labels.append(l1)
            weights.append(1.0)
    for l1, examples in EXAMPLES.items():
        for e in examples:
            texts.append(e)
            labels.append(l1)
            weights.append(2.0)
    for path in extra:
        for row in data.read_jsonl(path):
            if row.get("topic") in data.TOPICS and row.get("content"):
                texts.append(f"{row.get('title') or ''} {row['content']}")
                labels.append(str(row["topic"]))
                weights.append(2.0)
    return texts, labels, weights


def _vectorise(texts: Sequence[str], batch: int = 4000) -> Any:
    from scipy import sparse

    parts = [
        text.counts(text.clean_batch(texts[i : i + batch])) for i in range(0, len(texts), batch)
    ]
    return sparse.vstack(parts).tocsr()


def fit_topic(
    texts: Sequence[str], labels: Sequence[str], weights: Sequence[float]
) -> dict[str, Any]:
    counts = _vectorise(texts)
    idf = models.idf_of(counts)
    x = models.tfidf_rows(counts, idf, sublinear=False)
    clf = LinearSVC(C=0.5, class_weight="balanced")
    clf.fit(x, labels, sample_weight=np.asarray(weights))
    return {
        "classes": [str(c) for c in clf.classes_],
        "idf": idf.astype(np.float16),
        "coef": clf.coef_.astype(np.float16),
        "intercept": clf.intercept_.astype(np.float32),
        "temperature": TOPIC_TEMPERATURE,
        "sublinear": False,
    }


def fit_binary(texts: Sequence[str], labels: Sequence[int], c: float = 10.0) -> dict[str, Any]:
    counts = _vectorise(texts)
    idf = models.idf_of(counts)
    x = models.tfidf_rows(counts, idf)
    clf = LogisticRegression(C=c, max_iter=1000, solver="liblinear")
    clf.fit(x, np.asarray(labels))
    return {
        "idf": idf.astype(np.float16),
        "coef": clf.coef_.astype(np.float16),
        "intercept": clf.intercept_.astype(np.float32),
        "a": 1.0,
        "b": 0.0,
        "sublinear": True,
    }


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else "-"


def train(
    data_dir: Path,
    out: Path,
    *,
    extra_topic: Sequence[Path] = (),
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    log("topic …")
    tt, tl, tw = topic_rows(data_dir, extra_topic)
    topic = fit_topic(tt, tl, tw)
    log(f"  {len(tt)} texts, {len(topic['classes'])} classes")
    log("sentiment …")
    st = data.sentiment_train(data_dir)
    sentiment = fit_binary([t for t, _ in st], [y for _, y in st], c=10.0)
    log(f"  {len(st)} texts")
    log("rumour …")
    rr = data.rumor_rows(data_dir)
    rumor = fit_binary([t for t, _ in rr], [y for _, y in rr], c=RUMOR_C)
    log(f"  {len(rr)} texts")
    bundle = {
        "format": models.FORMAT,
        "n_bits": text.N_BITS,
        "meta": {
            "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "topic_rows": len(tt),
            "sentiment_rows": len(st),
            "rumor_rows": len(rr),
            "extra_topic_files": [str(p) for p in extra_topic],
            "data_digest": {
                p.name: _digest(p)
                for p in (
                    data_dir / "teddycup2020c/csv/attachment2_full_segmented_jesHrz.csv",
                    data_dir / "chinese_sentiment/chnsenticorp_train.csv",
                    data_dir / "ced_weibo_rumor/ced_original_microblogs.csv",
                )
            },
        },
        "topic": topic,
        "sentiment": sentiment,
        "rumor": rumor,
    }
    models.save(bundle, out)
    log(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    log(json.dumps(bundle["meta"], ensure_ascii=False))
    return bundle
