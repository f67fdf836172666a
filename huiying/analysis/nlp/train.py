"""`huiying model train`: rebuild the text models from ../shared/data or a city's own files.

- topic: 附件2 (segmented full set less the MarsW20 test split, dev split, official sample)
  for seven classes; for the eight classes without labelled messages, the taxonomy's
  level-2/3 terms and the example messages below. A city adds its own past forms as JSON
  Lines ``{"content": ..., "topic": ...}`` (``--extra-topic FILE``): the best training data.
- sentiment: ChnSentiCorp train, hotel and take-away reviews (validation texts removed).
- rumour: CED original microblogs (text only), and a second model over each post plus its
  first 20 reposts and comments (``ced_first20_reposts.jsonl.gz``), used when the input
  carries ``responses``.
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
# Post + first responses: C chosen by nested cross-validation (1,000 in 12 of 15 outer folds).
RUMOR_RESPONSES_C = 1000.0

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
# More examples in the style of social-media posts.
MORE_EXAMPLES: dict[str, tuple[str, ...]] = {
    "农村农业": (
        "村里的鱼塘承包合同到期，村委会不续签也不给说法",
        "今年大棚蔬菜遭灾，农业保险理赔迟迟不到位",
        "镇上收购稻谷压价，种粮大户亏本",
        "村里的沟渠被填了，农田排涝成问题",
        "养殖场被要求关停，补偿款一分没拿到",
        "农户反映化肥农药价格上涨太快",
        "家里的承包地被村里收回转租给老板",
        "农村道路旁秸秆堆放，希望指导秸秆还田",
        "高标准农田项目施工质量差，田埂一冲就垮",
        "合作社承诺的分红三年没兑现",
        "蟹塘养殖尾水排放标准怎么执行",
        "渔民转产转业补助什么时候发",
    ),
    "政法": (
        "小区门口有人摆摊卖假药，派出所不管",
        "被人打伤了报警，派出所一直不立案",
        "网上被骗了五万块，警察说只能等",
        "邻居天天半夜吵闹威胁人，报警也没用",
        "驾驶证扣分处理窗口排队太久",
        "社区矫正人员在小区里滋事",
        "法院立案难，起诉材料被退回好几次",
        "非法放贷暴力催收，上门泼油漆",
        "身份证丢了补办要回户籍地吗",
        "出入境证件办理预约不上",
        "醉驾肇事逃逸，家属要求严惩",
        "街头有人聚众斗殴，民警到场慢",
    ),
    "民政": (
        "八十岁老人的高龄津贴停了",
        "社区养老食堂饭菜贵，老人吃不起",
        "残疾人证年审太麻烦",
        "离婚冷静期的规定咨询",
        "流浪人员冬天睡在桥洞，救助站能不能管",
        "困难家庭申请低保被拒，说有车",
        "公墓乱收费，墓地管理费一年比一年高",
        "社会组织登记注册流程咨询",
        "独居老人在家去世多日才被发现，社区关爱不到位",
        "养老机构护理员虐待老人",
        "退役军人优抚待遇落实",
        "儿童福利院收养手续咨询",
    ),
    "党务政务": (
        "市民中心办事大厅取号机经常坏",
        "政府办事窗口中午不开门",
        "工作人员上班时间玩手机",
        "申请政府信息公开被拒",
        "一件事要跑好几个部门盖章",
        "政务服务网上办理系统卡顿",
        "承诺的办结时限一拖再拖",
        "基层减负喊了多年，表格还是填不完",
        "热线回复千篇一律，问题没解决",
        "党员组织关系转接手续",
        "网上留言板回复敷衍",
        "政府采购项目信息不公开",
    ),
    "经济管理": (
        "企业申请的稳岗补贴一直没到账",
        "菜市场猪肉价格一周涨了三成",
        "中小企业融资难，担保公司门槛高",
        "招商引资承诺的厂房补贴不兑现",
        "开发区企业用地审批慢，项目落不了地",
        "物价局对停车收费的标准咨询",
        "企业被拖欠工程款，政府项目不付钱",
        "理财公司跑路，几百人的钱要不回来",
        "个体户营业执照年报咨询",
        "商品房预售资金监管不到位",
        "民营企业反映涉企检查太多太频繁",
        "国企改革职工身份置换补偿",
    ),
    "纪检监察": (
        "举报村书记侵占集体土地补偿款",
        "某局长儿子的公司承包了局里的所有工程",
        "干部上班时间在棋牌室打牌",
        "领导用公款吃喝，发票开成办公用品",
        "镇干部收了钱才给办低保",
        "举报某科长收受开发商购物卡",
        "工程验收走过场，监理和施工方勾结",
        "干部亲属违规领取补贴",
        "扶贫款被村干部截留",
        "领导干部违规兼职取酬",
        "纪委对举报信件不回复",
        "单位违规发放津贴补贴",
    ),
    "国土资源": (
        "村里的耕地被挖塘养鱼，破坏耕作层",
        "拆迁安置房的不动产证迟迟不发",
        "违法建设的厂房占了基本农田",
        "河道采砂船晚上偷偷作业",
        "宅基地确权登记面积和实际不符",
        "土地出让金征收标准咨询",
        "征地补偿款被村里截留",
        "房屋不动产登记预约排不上",
        "沿海滩涂被非法围垦",
        "矿山开采造成山体破坏",
        "土地规划调整影响我们的拆迁",
        "闲置土地长年荒废长满杂草",
    ),
    "科技与信息产业": (
        "家里光纤宽带经常掉线，报修没人来",
        "手机被强制开通增值业务",
        "小区没有5G信号，打电话断断续续",
        "APP过度收集个人信息",
        "骚扰电话一天接十几个",
        "运营商套餐乱扣费",
        "科技企业研发补贴申报流程",
        "网站被黑客攻击，信息泄露",
        "电信诈骗短信一天好几条",
        "政务系统登录总是验证失败",
        "高新区科技企业孵化器政策咨询",
        "网吧接纳未成年人上网",
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
    for l1 in EXAMPLES:
        for e in EXAMPLES[l1] + MORE_EXAMPLES.get(l1, ()):
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
    coef, intercept = clf.coef_, clf.intercept_
    if len(clf.classes_) == 2:  # one decision for two classes: one row per class
        coef = np.vstack([-coef[0], coef[0]]) / 2.0
        intercept = np.array([-intercept[0], intercept[0]]) / 2.0
    return {
        "classes": [str(c) for c in clf.classes_],
        "idf": idf.astype(np.float16),
        "coef": coef.astype(np.float16),
        "intercept": intercept.astype(np.float32),
        "temperature": TOPIC_TEMPERATURE,
        "sublinear": False,
    }


def rumor_counts(texts: Sequence[str], responses: Sequence[Sequence[str]]) -> Any:
    """Counts of each post plus counts of its joined first responses (two cleaned texts)."""
    return _vectorise(texts) + _vectorise([text.join_responses(r) for r in responses])


def fit_binary(texts: Sequence[str], labels: Sequence[int], c: float = 10.0) -> dict[str, Any]:
    return fit_binary_counts(_vectorise(texts), labels, c)


def fit_binary_counts(counts: Any, labels: Sequence[int], c: float = 10.0) -> dict[str, Any]:
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
    rumor_responses = None
    if (data_dir / "ced_weibo_rumor/ced_first20_reposts.jsonl.gz").exists():
        log("rumour with first responses …")
        rw = data.rumor_rows_with_responses(data_dir)
        rumor_responses = fit_binary_counts(
            rumor_counts([t for t, _, _ in rw], [r for _, r, _ in rw]),
            [y for _, _, y in rw],
            c=RUMOR_RESPONSES_C,
        )
        log(f"  {len(rw)} posts, {sum(1 for _, r, _ in rw if r)} with responses")
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
                    data_dir / "ced_weibo_rumor/ced_first20_reposts.jsonl.gz",
                )
            },
        },
        "topic": topic,
        "sentiment": sentiment,
        "rumor": rumor,
    }
    if rumor_responses is not None:
        bundle["rumor_responses"] = rumor_responses
    models.save(bundle, out)
    log(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    log(json.dumps(bundle["meta"], ensure_ascii=False))
    return bundle
