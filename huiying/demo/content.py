"""What the demo forms are about: realistic Nantong matters, written for this project.

Names of people and exact places are invented; districts, departments and platforms are real
kinds of things a 网信办 in Nantong deals with. Nothing here is fetched from the internet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from huiying.cases.models import Category, Feedback, ReplyChannel, Severity

C, V, R = Category, Severity, ReplyChannel
OUT = Feedback.Outcome

PEOPLE_BOARD = "人民网地方领导留言板"
MINSHENGHUI = "中国江苏网民生汇"
WEIBO = "新浪微博"
DOUYIN = "抖音"
FORUM = "濠滨论坛"
WECHAT = "微信公众号"
NEWS = "新闻网站"


@dataclass(frozen=True)
class Source:
    platform: str
    url: str
    title: str
    text: str
    author: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "platform": self.platform,
            "url": self.url,
            "title": self.title,
            "text": self.text,
            "author": self.author,
        }


@dataclass(frozen=True)
class Matter:
    key: str
    title: str
    summary: str
    category: str
    reply_channel: str
    sources: tuple[Source, ...]
    cac_opinion: str
    # What the unit publishes and reports; the platform defaults to the first source's.
    response: str
    feedback: str
    severity: str = Severity.IV
    outcome: str = OUT.DIFFICULTY_SOLVED
    response_platform: str = ""
    not_yet_possible: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def platform(self) -> str:
        return self.response_platform or self.sources[0].platform


def _board(tid: int, title: str, text: str, author: str) -> Source:
    return Source(
        PEOPLE_BOARD, f"https://liuyan.people.com.cn/threads/content?tid={tid}", title, text, author
    )


def _msh(n: int, title: str, text: str, author: str) -> Source:
    return Source(
        MINSHENGHUI, f"https://msh.jschina.com.cn/thread-{n}-1-1.html", title, text, author
    )


def _weibo(mid: str, text: str, author: str) -> Source:
    return Source(WEIBO, f"https://weibo.com/{mid}", text[:30], text, author)


MATTERS: tuple[Matter, ...] = (
    Matter(
        key="elevator",
        title="崇川区某老旧小区加装电梯申请半年无进展",
        summary="网民反映崇川区和平桥街道某老旧小区2023年提交加装电梯申请，低层住户反对后街道协调停滞，"
        "高龄住户上下楼困难，希望政府牵头协调并公开补贴政策。",
        category=C.VITAL_INTEREST,
        reply_channel=R.SAME_PLATFORM,
        sources=(
            _board(
                27781234,
                "老旧小区加装电梯为何这么难？",
                "我们小区6层楼没有电梯，楼里一半是七八十岁的老人。去年就提交了加装电梯申请，"
                "一楼住户不同意，街道说协调不了，到现在半年多没有任何进展，请领导帮帮我们。",
                "和平桥老住户",
            ),
        ),
        cac_opinion="请崇川区牵头核实该小区加装电梯进展，市住建局就补贴政策和协调机制一并答复，"
        "在原平台公开回应，口径保持一致。",
        response="您好！经核实，该小区加装电梯已列入今年计划，街道已组织两次协调会，"
        "下周将请第三方评估低层住户采光影响并商议补偿方案。补贴政策详见市住建局官网。",
        feedback="已在人民网留言板回复网民；街道组织协调会2次，低层住户补偿方案已达成初步一致，"
        "计划下月开工。",
        notes=(
            "崇川区：已约谈街道，协调会定于本周四召开，回复口径初稿已上传。",
            "市住建局：补贴标准按市政府2021年文件执行，回复中请引用文号，避免口径不一。",
        ),
    ),
    Matter(
        key="noise",
        title="通州区某工地夜间施工噪音扰民",
        summary="多名网民在民生汇和微博反映通州区金沙街道某在建楼盘连续多日夜间施工至凌晨，"
        "渣土车进出噪音大，投诉城管热线未果。",
        category=C.COMPLAINT,
        reply_channel=R.SAME_PLATFORM,
        sources=(
            _msh(
                5521833,
                "金沙这个工地天天半夜施工，还让不让人睡觉？",
                "每天晚上十一点以后还在打桩，渣土车一辆接一辆，孩子马上中考，打了几次热线都没用。",
                "金沙居民",
            ),
            _weibo(
                "5012345678/NtGd1",
                "通州金沙某工地凌晨两点还在施工，噪音太大了 @南通发布",
                "小王在南通",
            ),
        ),
        cac_opinion="请通州区核实该工地夜间施工审批情况，依法查处违规施工，在原平台回应。",
        response="经核查，该工地未办理夜间施工许可，区住建局已责令停止夜间作业并立案调查，"
        "欢迎继续监督，夜间施工可拨打12345举报。",
        feedback="已责令停止夜间施工，对施工单位立案处罚；已在民生汇和微博回应网民。",
        outcome=OUT.PROBLEM_INVESTIGATED,
    ),
    Matter(
        key="school_traffic",
        title="海门区某小学周边上下学时段交通拥堵",
        summary="网民反映海门区某小学门前道路上下学时段拥堵严重、接送车辆乱停，存在安全隐患，"
        "建议设置临时停车区和错峰放学。",
        category=C.VITAL_INTEREST,
        reply_channel=R.SAME_PLATFORM,
        sources=(
            _board(
                27790011,
                "学校门口天天堵成一锅粥",
                "每天早上七点半和下午四点，学校门口的路完全堵死，孩子在车缝里穿行很危险，"
                "希望交警和学校想想办法。",
                "海门一位家长",
            ),
        ),
        cac_opinion="请海门区牵头，市公安局交警支队、市教育局协办，研究疏导措施并在原平台回应。",
        response="已在学校周边增设临时停车泊位，上下学时段安排交警和志愿者疏导，学校实行分年级错峰放学。",
        feedback="疏导措施已实施两周，高峰拥堵时间由25分钟缩短至10分钟左右。",
        outcome=OUT.SUGGESTION_ADOPTED,
        notes=("海门区：请交警支队确认泊位设置时间，回复中统一写“本月内”。",),
    ),
    Matter(
        key="wages",
        title="如皋市某建筑工地农民工讨薪",
        summary="网传视频显示如皋市某建筑工地二十余名农民工拉横幅讨要工资，称被拖欠近半年，"
        "视频播放量较高，评论指责监管不力。",
        category=C.IMAGE,
        severity=V.III,
        reply_channel=R.GOV_MEDIA,
        sources=(
            Source(
                DOUYIN,
                "https://www.douyin.com/video/7300000000000000001",
                "如皋工地农民工讨薪",
                "干了大半年一分钱没拿到，老板跑了，项目部说没钱，我们只能来这里等。",
                "江苏打工人老李",
            ),
        ),
        cac_opinion="请如皋市立即核实，市人社局指导督办欠薪处置，通过政务新媒体发布处置进展。",
        response="如皋市已成立工作专班，总包单位已垫付拖欠工资首批120万元，其余部分本月底前结清。",
        feedback="拖欠的23名农民工工资共计186万元已全部结清，对涉事劳务公司立案查处，纳入失信名单。",
        outcome=OUT.PROBLEM_INVESTIGATED,
    ),
    Matter(
        key="seafood",
        title="启东市某海鲜市场卫生状况差",
        summary="网民在论坛发帖称启东市某海鲜市场地面污水横流、异味大，部分摊位使用不明冰块，"
        "担心食品安全。",
        category=C.VITAL_INTEREST,
        reply_channel=R.SAME_PLATFORM,
        sources=(
            Source(
                FORUM,
                "https://bbs.0513.org/thread-3312456-1-1.html",
                "启东这个海鲜市场能不能管一管",
                "进去就是一股臭味，地上全是污水，冰块都是黄的，外地朋友来了都不敢买。",
                "吕四渔家",
            ),
        ),
        cac_opinion="请启东市组织市场监管、城管等部门现场检查，在原平台回应整改情况。",
        response="启东市市场监管局已对该市场开展专项检查，责令限期整改排水设施，食用冰抽检合格。",
        feedback="市场已完成排水沟改造，增设保洁人员4名，建立每日巡查制度。",
    ),
    Matter(
        key="odor",
        title="如东县沿海化工园区周边夜间异味",
        summary="如东县洋口镇多名居民在微博反映夜间闻到刺鼻气味，怀疑化工园区企业偷排。",
        category=C.VITAL_INTEREST,
        severity=V.III,
        reply_channel=R.SAME_PLATFORM,
        sources=(
            _weibo(
                "6023456789/NtOd2",
                "如东洋口晚上又是一股化学味，开窗都不敢，到底谁在偷排？",
                "洋口的风",
            ),
        ),
        cac_opinion="请如东县会同生态环境部门开展夜间巡查和走航监测，及时回应公众关切。",
        response="县生态环境局已开展连续三晚走航监测，未发现超标排放，将继续加密监测。",
        feedback="走航监测未发现超标，已督促园区企业检修废气收集设施并公开监测数据。",
        outcome=OUT.EXPLAINED,
    ),
    Matter(
        key="scales",
        title="海安市某农贸市场短斤缺两",
        summary="网民反映海安市某农贸市场多个摊位电子秤作弊，买一斤少二两，投诉后市场管理方推诿。",
        category=C.COMPLAINT,
        reply_channel=R.SAME_PLATFORM,
        sources=(
            _msh(
                5533001,
                "海安这家菜场的秤太黑了",
                "买了两斤虾，回家一称少了快四两，去找摊主还不认账，市场管理处说管不了。",
                "海安小陈",
            ),
        ),
        cac_opinion="请海安市核查并依法查处计量作弊行为，在原平台回应。",
        response="市场监管部门已对该市场电子秤开展专项检定，查处作弊电子秤3台。",
        feedback="查处作弊摊位3户，设立公平秤2台，市场管理方已签订计量诚信承诺书。",
        outcome=OUT.PROBLEM_INVESTIGATED,
    ),
    Matter(
        key="discharge",
        title="开发区某企业雨水管道疑似排放污水",
        summary="网民发布视频称南通经济技术开发区某企业雨水排口排出黄色污水流入内河。",
        category=C.MEDIA_EXPOSURE,
        severity=V.III,
        reply_channel=R.GOV_MEDIA,
        sources=(
            Source(
                NEWS,
                "https://www.jschina.com.cn/news/2026/ntkfq-wushui.shtml",
                "开发区一企业雨水口排黄水 记者调查",
                "记者在现场看到，该企业雨水排口持续排出黄色液体，河面漂浮泡沫。",
                "中国江苏网记者",
            ),
        ),
        cac_opinion="请开发区管委会核实并依法处置，通过政务新媒体发布调查结果。",
        response="开发区管委会已联合生态环境部门取样送检，企业已停产排查。",
        feedback="经检测排放水样COD超标，已对企业立案处罚并责令整改。",
        outcome=OUT.PROBLEM_INVESTIGATED,
    ),
    Matter(
        key="bikes",
        title="市区主干道共享单车乱停放堵塞人行道",
        summary="网民反映南大街、工农路沿线共享单车堆积堵塞人行道和盲道，运营企业清运不及时。",
        category=C.VITAL_INTEREST,
        reply_channel=R.SAME_PLATFORM,
        sources=(
            _board(
                27795501,
                "共享单车把盲道都堵死了",
                "工农路地铁口的共享单车堆成山，盲道完全被占，推着婴儿车都过不去。",
                "工农路市民",
            ),
        ),
        cac_opinion="请市城管局核实并督促运营企业整改，在原平台回应。",
        response="已约谈三家共享单车企业，在地铁口增设电子围栏停放点，高峰时段增派运维人员。",
        feedback="地铁口周边新增电子围栏停放点12处，日均清运单车800余辆。",
    ),
    Matter(
        key="bus_route",
        title="网民热议市区公交线路优化调整方案",
        summary="市交通运输局公示公交线路优化方案后，网民对撤并部分线路、延长发车间隔提出质疑和建议。",
        category=C.POLICY,
        reply_channel=R.SAME_PLATFORM,
        sources=(
            _weibo(
                "2087654321/NtBus3",
                "公交线路一调整，我们小区到医院要换乘两次，希望听听老百姓意见",
                "南通老陈",
            ),
        ),
        cac_opinion="请市交通运输局认真梳理网民意见，回应调整依据并说明意见采纳情况。",
        response="感谢关注！根据征求意见，保留原28路至市一院区段，早晚高峰加密发车。",
        feedback="共收集意见1260条，采纳保留线路、加密班次等建议9条，方案已修订公布。",
        outcome=OUT.SUGGESTION_ADOPTED,
    ),
    Matter(
        key="medical_insurance",
        title="异地就医备案手续繁琐",
        summary="网民反映办理异地就医备案需要多次跑腿，线上办理入口难找。",
        category=C.VITAL_INTEREST,
        reply_channel=R.SAME_PLATFORM,
        sources=(
            _msh(
                5540012,
                "异地就医备案能不能简化",
                "老人在上海看病，备案跑了三趟还没办好，线上也找不到入口。",
                "张女士",
            ),
        ),
        cac_opinion="请市医保局简化流程并在原平台回应办理方法。",
        response="异地就医备案已可通过“国家医保服务平台”APP和“江苏医保云”小程序在线办理，即时生效。",
        feedback="已在医保经办大厅设立异地就医帮办窗口，并制作线上办理图解。",
        outcome=OUT.SUGGESTION_ADOPTED,
    ),
    Matter(
        key="kindergarten_fee",
        title="崇川区某民办幼儿园擅自提高收费",
        summary="家长反映某民办幼儿园学期中途以“课程升级”为由加收费用，未按规定公示。",
        category=C.COMPLAINT,
        reply_channel=R.SAME_PLATFORM,
        sources=(
            _board(
                27799002,
                "幼儿园学期中途涨价合理吗",
                "开学两个月突然通知每月多交600元，说是课程升级。",
                "一位妈妈",
            ),
        ),
        cac_opinion="请市教育局核实收费备案情况，依规处理并回应。",
        response="经核查，该园加收费用未经备案，已责令停止收取并退还已收费用。",
        feedback="已退还全部加收费用，对该园予以通报批评并纳入年检。",
        outcome=OUT.PROBLEM_INVESTIGATED,
    ),
    Matter(
        key="property_fee",
        title="小区物业费上涨未经业主大会表决",
        summary="网民反映崇川区某小区物业公司单方面上调物业费，未经业主大会表决。",
        category=C.VITAL_INTEREST,
        reply_channel=R.WRITTEN,
        sources=(
            _msh(
                5547788,
                "物业费说涨就涨？",
                "物业贴了个通知就从1.2元涨到1.8元，业主大会根本没开。",
                "业主代表",
            ),
        ),
        cac_opinion="请市住建局核实物业收费调整程序，书面反馈办理情况。",
        response="已约谈物业公司，调价程序不合规，暂缓执行新标准。",
        feedback="物业公司已撤回调价通知，将依法召开业主大会表决。",
    ),
    Matter(
        key="metro_rumor",
        title="网传“南通地铁2号线无限期停工”",
        summary="微信群和短视频平台流传“地铁2号线资金断裂无限期停工”的说法，引发关注。",
        category=C.IMAGE,
        severity=V.III,
        reply_channel=R.GOV_MEDIA,
        sources=(
            Source(
                WECHAT,
                "https://mp.weixin.qq.com/s/nt-metro-rumor",
                "南通地铁2号线停工了？",
                "听说资金断了，工地都停了。",
                "某自媒体",
            ),
        ),
        cac_opinion="请市轨道交通建设部门核实并发布权威信息澄清。",
        response="",
        feedback="",
    ),
    Matter(
        key="langshan_parking",
        title="狼山景区周边停车收费标准不透明",
        summary="游客反映狼山景区周边停车场收费标准不一、未明码标价。",
        category=C.COMPLAINT,
        reply_channel=R.SAME_PLATFORM,
        sources=(_weibo("3098765432/NtLs4", "狼山停个车50块，也没看到收费标准", "周末爬山的人"),),
        cac_opinion="请市文广旅局会同价格主管部门核实并回应。",
        response="",
        feedback="",
    ),
    Matter(
        key="hiring",
        title="苏通园区某企业招聘设置户籍限制",
        summary="网民反映苏通科技产业园区某企业招聘启事写明“仅限本地户籍”，涉嫌就业歧视。",
        category=C.COMPLAINT,
        reply_channel=R.SAME_PLATFORM,
        sources=(
            _board(
                27801234,
                "招聘限户籍算不算歧视",
                "园区一家公司招普工，写着仅限本地户口，外地人不能报名。",
                "求职者",
            ),
        ),
        cac_opinion="请核实。",
        response="",
        feedback="",
    ),
    Matter(
        key="fishermen",
        title="通州湾示范区渔民转产补偿发放进度",
        summary="渔民反映通州湾示范区渔民退捕转产补偿款发放进度慢，部分渔民未收到第二期补偿。",
        category=C.VITAL_INTEREST,
        reply_channel=R.SAME_PLATFORM,
        sources=(
            _msh(
                5550301,
                "退捕补偿第二期什么时候发",
                "说好的第二期补偿去年底发，现在还没到账。",
                "通州湾渔民",
            ),
        ),
        cac_opinion="请通州湾示范区核实补偿发放进度并在原平台回应。",
        response="第二期补偿款已完成审核，将于本月20日前发放到位。",
        feedback="第二期补偿已发放完毕，共涉及渔民312户。",
    ),
    Matter(
        key="enforcement_video",
        title="网传城管执法人员推搡摊贩视频",
        summary="短视频平台流传崇川区城管执法人员与流动摊贩发生推搡的视频，评论情绪较大。",
        category=C.IMAGE,
        severity=V.III,
        reply_channel=R.GOV_MEDIA,
        sources=(
            Source(
                DOUYIN,
                "https://www.douyin.com/video/7300000000000000002",
                "城管推搡摊贩",
                "老人摆个摊至于吗？",
                "路人甲",
            ),
        ),
        cac_opinion="请崇川区核实视频情况并回应。",
        response="",
        feedback="",
    ),
    Matter(
        key="fire",
        title="通州区某工业园厂房火灾",
        summary="网民在微博和短视频平台发布通州区某工业园厂房起火视频，浓烟明显，网传有人员被困。",
        category=C.EMERGENCY_INCIDENT,
        severity=V.II,
        reply_channel=R.GOV_MEDIA,
        sources=(
            _weibo(
                "5876543210/NtFire5",
                "通州这边工业园着大火了，浓烟滚滚，听说里面还有人！",
                "南通同城",
            ),
            Source(
                DOUYIN,
                "https://www.douyin.com/video/7300000000000000003",
                "通州厂房起火",
                "消防车来了好多辆",
                "现场网友",
            ),
        ),
        cac_opinion="请通州区立即核实火情和人员伤亡情况，5小时内发布权威信息，24小时内举行新闻发布会。",
        response="【情况通报】今日14时许，通州区某工业园一厂房发生火灾，消防救援力量迅速处置，"
        "明火已于15时40分扑灭，经全面搜救无人员伤亡，起火原因正在调查。",
        feedback="火灾无人员伤亡，已召开新闻发布会通报处置情况；起火原因系电气线路故障，已开展全区厂房消防安全排查。",
        outcome=OUT.PROBLEM_INVESTIGATED,
    ),
    Matter(
        key="waterlogging",
        title="海门区暴雨致部分路段积水、车辆被困",
        summary="暴雨红色预警期间，网民发布海门区多处路段积水过膝、车辆熄火被困视频。",
        category=C.EMERGENCY_HAZARD,
        severity=V.II,
        reply_channel=R.GOV_MEDIA,
        sources=(
            _weibo(
                "5911111111/NtRain6", "海门这雨太大了，长江路积水到膝盖，好几辆车熄火", "海门生活圈"
            ),
        ),
        cac_opinion="请海门区立即组织排涝并通过政务新媒体发布积水路段和出行提示。",
        response="",
        feedback="",
    ),
    Matter(
        key="tap_water",
        title="如皋市部分小区自来水浑浊发黄",
        summary="如皋市城北多个小区居民反映自来水浑浊发黄，担心饮水安全。",
        category=C.EMERGENCY_HAZARD,
        severity=V.III,
        reply_channel=R.GOV_MEDIA,
        sources=(
            _weibo("5922222222/NtWater7", "如皋城北的自来水今天全是黄的，还能喝吗？", "如皋城北人"),
        ),
        cac_opinion="请如皋市立即核实水质情况并发布权威信息。",
        response="经检测，水质浑浊系管网冲洗所致，各项指标符合国家标准，已加强管网排放。",
        feedback="已完成管网冲洗，水质恢复正常，检测报告已公开。",
        outcome=OUT.EXPLAINED,
    ),
    Matter(
        key="homestay",
        title="启东市吕四港渔港老街改造拖延",
        summary="网民反映吕四港老街改造工程停工一年，沿街商户经营受影响。",
        category=C.VITAL_INTEREST,
        reply_channel=R.SAME_PLATFORM,
        sources=(
            _msh(
                5560001,
                "吕四老街改造什么时候能完工",
                "围挡围了一年多，店都开不下去了。",
                "老街商户",
            ),
        ),
        cac_opinion="请启东市核实工程进展并回应。",
        response="老街改造因文物保护方案调整暂停，方案已报省文物部门审批。",
        feedback="该工程涉及文物保护方案审批，暂不具备复工条件，待省文物部门批复后立即复工，预计需三个月。",
        not_yet_possible=True,
        outcome=OUT.EXPLAINED,
    ),
    Matter(
        key="taxi",
        title="海安高铁站出租车拒载、不打表",
        summary="旅客反映海安站出租车挑客拒载、一口价不打表。",
        category=C.COMPLAINT,
        reply_channel=R.SAME_PLATFORM,
        sources=(
            _weibo("5933333333/NtTaxi8", "海安站打车，司机说去城区一口价50不打表", "出差的小刘"),
        ),
        cac_opinion="请海安市交通运输部门开展专项整治并回应。",
        response="已在海安站开展出租车专项整治，查处不打表车辆5辆。",
        feedback="建立站点出租车驻点管理制度，开通投诉快速处理通道。",
        outcome=OUT.PROBLEM_INVESTIGATED,
    ),
    Matter(
        key="school_district",
        title="崇川区新建小区学区划分引发业主不满",
        summary="某新建小区业主反映购房时宣传的学区与教育部门公布的划片不一致。",
        category=C.VITAL_INTEREST,
        reply_channel=R.SAME_PLATFORM,
        sources=(
            _board(
                27810001,
                "买房时说是某小学区，现在划片变了",
                "开发商宣传的学区和今年公布的不一样，几百户业主都很着急。",
                "新小区业主",
            ),
        ),
        cac_opinion="请崇川区核实学区划分依据和开发商宣传情况并回应。",
        response="学区划分依据为市教育局年度划片方案，开发商虚假宣传问题已移交市场监管部门。",
        feedback="已答复业主代表，开发商虚假宣传已立案调查。",
        outcome=OUT.EXPLAINED,
    ),
    Matter(
        key="housing_fund",
        title="公积金提取审核时间过长",
        summary="网民反映提取住房公积金用于租房，审核超过一个月仍未到账。",
        category=C.VITAL_INTEREST,
        reply_channel=R.SAME_PLATFORM,
        sources=(
            _msh(
                5570001,
                "公积金租房提取一个月了还没到账",
                "网上申请提交一个月了，状态一直是审核中。",
                "新南通人",
            ),
        ),
        cac_opinion="请市住房公积金管理中心核实并回应。",
        response="经查，因系统升级导致部分申请积压，已安排专人加班处理，3个工作日内到账。",
        feedback="积压申请已全部办结，系统已恢复正常，审核时限承诺压缩至5个工作日。",
    ),
    Matter(
        key="demolition",
        title="通州区某村拆迁安置房交付延期",
        summary="村民反映拆迁安置房原定去年交付，至今仍未交付，过渡费停发。",
        category=C.VITAL_INTEREST,
        severity=V.III,
        reply_channel=R.WRITTEN,
        sources=(
            _board(
                27820001,
                "安置房延期两年，过渡费也停了",
                "拆迁时承诺两年交房，现在四年了还没交，过渡费也不发了。",
                "拆迁户",
            ),
        ),
        cac_opinion="请通州区核实安置房建设进度和过渡费发放情况，书面反馈。",
        response="已恢复发放过渡费，安置房预计年底交付。",
        feedback="过渡费已补发到位，安置房项目已复工。",
    ),
    Matter(
        key="street_vendors",
        title="崇川区某路段夜市占道经营",
        summary="居民反映某路段夜市摊点占用机动车道，油烟噪音扰民至深夜。",
        category=C.COMPLAINT,
        reply_channel=R.SAME_PLATFORM,
        sources=(
            _msh(
                5580001,
                "夜市占道太严重了",
                "晚上整条路被摊位占满，车都开不过去，油烟直往楼上飘。",
                "附近居民",
            ),
        ),
        cac_opinion="请崇川区城市管理局核实处置并在原平台回应。",
        response="已划定夜市经营区域，规范经营时间至22时，加强巡查。",
        feedback="夜市已规范为定点经营，占道问题得到整治。",
    ),
    Matter(
        key="gas_price",
        title="网民关注管道天然气阶梯价格调整",
        summary="物价部门公布天然气阶梯价格调整听证方案后，网民对调价幅度有不同意见。",
        category=C.POLICY,
        reply_channel=R.PRESS,
        sources=(
            _weibo("5944444444/NtGas9", "天然气又要涨价了？听证会代表怎么选的？", "南通市民"),
        ),
        cac_opinion="（草稿）请市发展改革委说明调价依据和听证程序。",
        response="",
        feedback="",
    ),
    Matter(
        key="delivery_riders",
        title="外卖骑手闯红灯逆行引发市民担忧",
        summary="网民反映市区外卖骑手闯红灯、逆行现象普遍，建议平台和交警加强管理。",
        category=C.VITAL_INTEREST,
        reply_channel=R.SAME_PLATFORM,
        sources=(
            _weibo("5955555555/NtRider10", "今天又看到外卖小哥逆行差点撞到老人", "路口目击者"),
        ),
        cac_opinion="请市公安局交警支队研究治理措施并回应。",
        response="",
        feedback="",
    ),
    Matter(
        key="elderly_care",
        title="养老机构护理服务质量投诉",
        summary="家属反映某养老院护理人员不足，老人长期卧床未按时翻身。",
        category=C.COMPLAINT,
        reply_channel=R.SAME_PLATFORM,
        sources=(
            _board(
                27830001,
                "养老院护理太差了",
                "一层楼四十多位老人只有两个护工，我父亲背上都长了褥疮。",
                "老人家属",
            ),
        ),
        cac_opinion="请市民政局核查并回应。",
        response="已对该养老院开展专项检查，责令补充护理人员，家属诉求已妥善处理。",
        feedback="该养老院新增护理员6名，已纳入重点监管名单。",
    ),
    Matter(
        key="fraud_call",
        title="网民反映冒充社保局电话诈骗",
        summary="多名网民反映接到冒充社保局的电话，要求提供银行卡信息办理“社保卡升级”。",
        category=C.VITAL_INTEREST,
        reply_channel=R.GOV_MEDIA,
        sources=(
            _weibo(
                "5966666666/NtFraud11",
                "接到电话说我社保卡要升级，让我报银行卡号，是真的吗？",
                "谨慎的阿姨",
            ),
        ),
        cac_opinion="请市人社局发布防骗提示，市公安局协办。",
        response="市人社局提醒：社保部门不会通过电话要求提供银行卡密码，请勿轻信。",
        feedback="已通过政务新媒体发布防骗提示，阅读量5.2万。",
        outcome=OUT.EXPLAINED,
    ),
)

BY_KEY = {m.key: m for m in MATTERS}
