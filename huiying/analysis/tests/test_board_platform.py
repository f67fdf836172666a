"""A citizen's post on a board that a media site hosts is no media exposure (R3.3-6)."""

from __future__ import annotations

from huiying.analysis.nlp.category import judge


def _category(platform: str, text: str) -> str | None:
    return judge(text, source=platform).category


def test_the_board_of_a_media_site_is_not_media_exposure() -> None:
    text = "崇川区某小区想加装电梯，审批流程太复杂，跑了好几个部门"
    assert _category("人民网留言板", text) != "R3.3-6"
    assert _category("人民网 地方领导留言板", text) != "R3.3-6"


def test_the_media_itself_is() -> None:
    assert _category("人民日报", "人民日报记者暗访发现如皋某化工企业夜间偷排污水") == "R3.3-6"
    # The text naming the media still counts, whatever the platform.
    text = "新华社记者调查：南通某地征地补偿款被层层截留"
    assert _category("人民网留言板", text) == "R3.3-6"
