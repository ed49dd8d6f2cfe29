"""/maps/mediation?case=…: a dispute's 三二一 ladder on a phone (``mediation.js``).

A strip of map with where the dispute is and where its attempts were held, then the ladder
drawn as three rungs (村 3 / 镇 2 / 旗 1) with the attempts on them, the file (intake,
parties, rights), the agreement and follow-up calls, and forms to record an attempt, an
agreement and a follow-up call. Everything comes from the API
(``/api/v1/incidents/{code}/mediation``), which answers 404 to anyone who may not read the
file (a family or neighbour dispute: only its mediators and the level holding it).
"""

from __future__ import annotations

from branca.element import Element

from geo.settings import Settings
from maps.assets import root
from maps.pages import Viewer, attach_script, new_page, render

#: The words the page shows for the API's values.
LABELS = {
    "rungs": {"village": "村（社区）", "township": "苏木镇", "banner": "旗"},
    "short": {"village": "村", "township": "镇", "banner": "旗"},
    "outcomes": {
        "settled": "调解成功",
        "partly": "部分达成",
        "not_settled": "未达成",
        "withdrawn": "撤回",
        "to_court": "转诉讼",
        "to_administration": "转行政处理",
        "to_petitions": "转信访",
    },
    "sources": {
        "application": "当事人申请",
        "own_initiative": "主动调解",
        "police": "公安移送",
        "court": "法院委托",
        "government": "政府交办",
    },
    "sides": {"applicant": "申请人", "respondent": "被申请人", "third_party": "第三人"},
    "forms": {"written": "书面协议", "oral": "口头协议"},
    "confirmation": {
        "pending": "待申请",
        "applied": "已申请",
        "confirmed": "已确认",
        "rejected": "未予确认",
        "not_sought": "不申请",
    },
    "performed": {"yes": "已履行", "partly": "部分履行", "no": "未履行"},
    "satisfaction": {
        "satisfied": "满意",
        "basically_satisfied": "基本满意",
        "dissatisfied": "不满意",
    },
    "risk": {
        "none": "无",
        "low": "较低",
        "high": "较高",
        "green": "绿色",
        "yellow": "黄色",
        "red": "红色",
    },
}

#: The map is a strip above the file; on a phone the file scrolls under the header.
CSS = '<link rel="stylesheet" href="/static/wangge/mediation.css"/>'


def mediation_page(settings: Settings, code: str, viewer: Viewer, can_mediate: bool) -> str:
    """The page of dispute ``code`` (its data is fetched by the script)."""
    m = new_page(settings, f"调解卷宗 · {code}", viewer)
    root(m).header.add_child(Element(CSS), name="mediation_css")
    attach_script(
        m,
        "mediation.js",
        "wanggeMediation",
        {"api": "/api/v1", "code": code, "canMediate": can_mediate, "labels": LABELS},
    )
    return render(m)
