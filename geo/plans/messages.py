"""Chinese for what the plan API tells a planner: topology problems, repairs and refusals.

The API keeps its English ``detail`` and ``reason`` for clients and logs; the planner's page
shows ``message_zh`` (problems, error bodies) and ``label_zh`` (repairs), all written here, so
that a new problem kind, repair or refusal without Chinese is one missing table entry (the
tests check every kind :mod:`geo.topology` can emit against :data:`PROBLEM_ZH`).

Examples
--------
>>> problem_zh("overlap", [("01", "甲"), ("02", "")], "micro_grid", area_m2=12.34)
'微网格 01「甲」、02 相互重叠 12.3 平方米'
>>> repair_zh("snap", "01", "甲", 0.5)
'把 01「甲」的边界吸附到相邻区域和上级边界上（容差 0.5 米）'
>>> field_zh("effective_at")
'生效时间须在现在到 366 天之内'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from geo.errors import InvalidInput, NotFound, WanggeError
from geo.plans.errors import (
    CodeSpaceExhausted,
    PlanConflict,
    StaleBase,
    TopologyRefused,
    VersionConflict,
    VersionRequired,
)

#: Area levels as a planner names them.
LEVEL_ZH = {
    "banner": "旗",
    "township": "苏木镇",
    "village": "嘎查村（社区）",
    "grid": "网格",
    "micro_grid": "微网格",
}

#: One sentence per problem kind of :data:`geo.topology.KINDS`; ``{level}`` names the level of
#: the areas, ``{labels}`` the areas (code「name」), ``{area}`` square metres, ``{length}`` metres.
PROBLEM_ZH = {
    "wrong_type": "{level} {labels} 不是面",
    "empty": "{level} {labels} 的图形为空",
    "invalid": "{level} {labels} 的图形无效（边界自相交或环不闭合等）",
    "duplicate_code": "编码 {labels} 被多个{level}重复使用",
    "not_covered": "{level} {labels} 有 {area} 平方米超出上级区域",
    "overlap": "{level} {labels} 相互重叠 {area} 平方米",
    "gap": "{level} {labels} 旁有 {area} 平方米空隙没有任何区域覆盖",
    "edge_mismatch": "{level} {labels} 的公共边顶点不一致（长 {length} 米），需吸附对齐",
}

#: One label per repair action of :func:`geo.topology.suggest_repairs`.
REPAIR_ZH = {
    "make_valid": "按结构重建 {label}的无效图形",
    "snap": "把 {label}的边界吸附到相邻区域和上级边界上（容差 {tolerance} 米）",
}

#: What a field of a plan request must be, for a refusal naming it.
FIELD_ZH = {
    "refs": "所选区域须为本方案中同一级的区域，且移走后原上级区域不能变空",
    "to": "目标上级须为本方案中高一级的区域",
    "versions": "缺少所编辑区域的版本号，请刷新后重试",
    "version": "版本号有误，请刷新后重试",
    "If-Match": "缺少所编辑区域的版本号，请刷新后重试",
    "line": "切割线须从区域外开始，穿过区域一次，到区域外结束",
    "geometry": "图形须为闭合的面，且位于方案范围附近",
    "datum": "坐标系须为 WGS84、CGCS2000、GCJ-02 或 BD-09",
    "scope_code": "方案范围须为你辖区内的苏木镇、嘎查村（社区）或网格",
    "parent": "上级区域须为本方案中的区域或方案范围",
    "level": "区域级别与上级不符",
    "name": "名称须为 1 到 200 个字",
    "snap_m": "吸附容差须在 0 到 50 米之间",
    "snap_tolerance_m": "吸附容差须大于 0 且不超过 50 米",
    "cut_children": "是否同时切割下级区域须为是或否",
    "effective_at": "生效时间须在现在到 366 天之内",
    "plan": "方案还没有任何改动，请先编辑再发布",
    "ids": "所选修复有重复，请重新选择",
    "repairs": "修复建议已过期，请重新检查",
    "file": "文件无法读取，请检查格式与编码",
    "status": "状态须为草稿、已排期或已发布",
}

#: By HTTP status, for everything else.
STATUS_ZH = {
    400: "请求有误",
    401: "请先登录",
    403: "你的角色不能进行此操作",
    404: "方案或区域不存在，或不在你的辖区内",
    405: "不支持此操作",
    409: "操作与方案当前状态冲突，请刷新后重试",
    412: "区域已被他人修改，请刷新后重做",
    413: "文件过大",
    422: "输入有误，请检查后重试",
    428: "缺少所编辑区域的版本号，请刷新后重试",
    429: "操作过于频繁，请稍后再试",
    500: "服务器内部错误，请稍后再试",
    503: "数据库暂不可用，请稍后再试",
}


def _labels(areas: Sequence[tuple[str, str]]) -> str:
    return "、".join(f"{code}「{name}」" if name else code for code, name in areas) or "（无）"


def problem_zh(
    kind: str,
    areas: Sequence[tuple[str, str]],
    level: str,
    *,
    area_m2: float | None = None,
    length_m: float | None = None,
) -> str:
    """The Chinese sentence for a problem of ``kind`` among ``areas`` (code, name) of
    ``level``."""
    return PROBLEM_ZH[kind].format(
        level=LEVEL_ZH.get(level, level),
        labels=_labels(areas),
        area=f"{area_m2:,.1f}" if area_m2 is not None else "—",
        length=f"{length_m:,.2f}" if length_m is not None else "—",
    )


def repair_zh(action: str, code: str, name: str, tolerance_m: float) -> str:
    """The Chinese label of a repair."""
    return REPAIR_ZH[action].format(label=_labels([(code, name)]), tolerance=f"{tolerance_m:g}")


def field_zh(field: str) -> str:
    """What ``field`` of a plan request must be, in Chinese (a generic sentence if unknown)."""
    return FIELD_ZH.get(field, STATUS_ZH[422])


def error_zh(exc: WanggeError, status: int) -> str:
    """The Chinese message of a refusal of a plan request."""
    details: dict[str, Any] = getattr(exc, "details", {})
    if isinstance(exc, VersionRequired | InvalidInput):
        return field_zh(exc.field)
    if isinstance(exc, VersionConflict):
        return (
            f"{details.get('ref', '该区域')} 已被他人修改（现为第 {details.get('version')} 版），"
            "请刷新后重做"
        )
    if isinstance(exc, TopologyRefused):
        features = details.get("problems", {}).get("features", [])
        first = features[0]["properties"].get("message_zh", "") if features else ""
        return f"方案有 {len(features)} 处拓扑问题，不能发布；第一处：{first}"
    if isinstance(exc, StaleBase):
        return "本方案所依据的区划之后又发布了新区划，不能发布；请基于现行区划新建方案"
    if isinstance(exc, CodeSpaceExhausted):
        return f"上级 {details.get('parent', '')} 下已没有可用的编码"
    if isinstance(exc, PlanConflict):
        if "children" in details:
            return f"{details.get('ref')} 下还有 {len(details['children'])} 个区域，请先合并或移走"
        if "repairs" in details:
            return FIELD_ZH["repairs"]
        return "方案已发布或已排期，不能再修改"
    if isinstance(exc, NotFound):
        return STATUS_ZH[404]
    return STATUS_ZH.get(status, STATUS_ZH[500 if status >= 500 else 400])
