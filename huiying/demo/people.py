"""The demo people: someone in every role of REQUIREMENTS "Who uses it", one shared password.

Units are named by logical keys; ``units.py`` maps them to codes of the directory file.
"""

from __future__ import annotations

from dataclasses import dataclass

from huiying.orgs.models import Membership

# Printed on the console and in the README: this is a demo, not a credential.
DEMO_PASSWORD = "huiying-demo-2026"  # noqa: S105
# The authenticator secret of every demo account whose role requires two-factor sign-in
# (reviewers and the administrator by default), printed likewise; `huiying demo --otp USER`
# shows the current code for such an account.
DEMO_TOTP_SECRET = "HUIYINGDEMOXTOTPXSECRETXNOTREAL2"  # noqa: S105

R = Membership.Role


@dataclass(frozen=True)
class Person:
    username: str
    full_name: str
    unit: str  # logical unit key (see units.UNIT_KEYS)
    role: str  # Membership.Role; "" for the superuser
    duty: str  # what the person does, for the printed table
    phone: str = ""  # shown on the duty roster and the triage desk (made-up demo numbers)


PEOPLE: tuple[Person, ...] = (
    Person(
        "cac_monitor",
        "王敏",
        "cac",
        R.MONITOR,
        "网信办监测员：监测、研判、拟制交办单",
        "13900000101",
    ),
    Person(
        "cac_reviewer",
        "李振华",
        "cac",
        R.REVIEWER,
        "网信办审核人：审核交办、验收办结",
        "13900000102",
    ),
    Person("cac_reviewer2", "赵静", "cac", R.REVIEWER, "网信办审核人（第二审核人）", "13900000103"),
    Person("dcs_staff", "周明", "inspection", R.HANDLER, "市政府督查室：督办"),
    Person("zfb_staff", "孙立", "government_office", R.HANDLER, "市政府办公室：通报、统计"),
    Person("jw_staff", "钱正", "discipline", R.HANDLER, "市监委：问责线索"),
    Person("zjj_leader", "吴建国", "zjj", R.LEADER, "市住建局主要领导"),
    Person("zjj_handler", "陈晓", "zjj", R.HANDLER, "市住建局承办人"),
    Person("cc_spokesperson", "郑丽", "cc", R.SPOKESPERSON, "崇川区分管领导（网络发言人）"),
    Person("cc_handler", "冯涛", "cc", R.HANDLER, "崇川区承办人"),
    Person("cc_monitor", "黄蕾", "cc", R.MONITOR, "崇川区监测员"),
    Person("cc_cgj_handler", "何平", "cc_cgj", R.HANDLER, "崇川区城管局承办人（区级部门）"),
    Person("tz_handler", "蒋伟", "tz", R.HANDLER, "通州区承办人"),
    Person("hm_handler", "沈红", "hm", R.HANDLER, "海门区承办人"),
    Person("rg_handler", "韩磊", "rg", R.HANDLER, "如皋市承办人"),
    Person("qd_handler", "杨帆", "qd", R.HANDLER, "启东市承办人"),
    Person("rd_handler", "朱琳", "rd", R.HANDLER, "如东县承办人"),
    Person("ha_handler", "秦峰", "ha", R.HANDLER, "海安市承办人"),
    Person("kfq_handler", "许诺", "kfq", R.HANDLER, "南通经济技术开发区承办人"),
    Person("tzw_handler", "吕洋", "tzw", R.HANDLER, "通州湾示范区承办人"),
    Person("gaj_handler", "施强", "gaj", R.HANDLER, "市公安局承办人"),
    Person("jyj_handler", "张芳", "jyj", R.HANDLER, "市教育局承办人"),
    Person("rsj_handler", "曹宇", "rsj", R.HANDLER, "市人社局承办人"),
    Person("jtj_handler", "袁博", "jtj", R.HANDLER, "市交通运输局承办人"),
    Person("ybj_handler", "邓洁", "ybj", R.HANDLER, "市医保局承办人"),
    Person("cgj_handler", "彭军", "cgj", R.HANDLER, "市城管局承办人"),
    Person("mzj_handler", "曾岚", "mzj", R.HANDLER, "市民政局承办人"),
    Person("wlj_handler", "陆遥", "wlj", R.HANDLER, "市文广旅局承办人"),
)

# Django admin for the directory, holidays and deadline policies.
ADMIN = Person("admin", "系统管理员", "", "", "系统管理员（Django 后台）")

MARKER_USERNAME = PEOPLE[0].username  # its presence means the demo city is already built
