"""Name pools: departments, leader titles, places below township level, people, phones.

Department names follow the way a banner's functional departments are really named (some
are branches of city-level bureaus). Village, community and gacha names, people and phone
numbers are synthetic: drawn from the pools below with the generator's random state.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "BANNER_TITLES",
    "DEPARTMENTS",
    "TOWNSHIP_TITLES",
    "PersonNamer",
    "place_names",
    "unique_phones",
]

DEPARTMENTS: tuple[str, ...] = (
    "达拉特旗公安局",
    "达拉特旗司法局",
    "达拉特旗民政局",
    "达拉特旗人力资源和社会保障局",
    "达拉特旗自然资源局",
    "鄂尔多斯市生态环境局达拉特旗分局",
    "达拉特旗住房和城乡建设局",
    "达拉特旗城市管理综合行政执法局",
    "达拉特旗应急管理局",
    "达拉特旗市场监督管理局",
    "达拉特旗信访局",
    "达拉特旗卫生健康委员会",
    "达拉特旗教育体育局",
    "达拉特旗农牧局",
    "达拉特旗水利局",
    "达拉特旗交通运输局",
    "达拉特旗林业和草原局",
    "达拉特旗消防救援大队",
    "达拉特旗发展和改革委员会",
    "达拉特旗工业和信息化局",
    "达拉特旗财政局",
    "达拉特旗审计局",
    "达拉特旗文化和旅游局",
    "达拉特旗退役军人事务局",
    "达拉特旗统计局",
    "达拉特旗医疗保障局",
    "达拉特旗能源局",
    "达拉特旗商务局",
    "达拉特旗科学技术局",
    "达拉特旗民族宗教事务局",
    "达拉特旗乡村振兴局",
    "达拉特旗政务服务与数据管理局",
    "国家税务总局达拉特旗税务局",
    "达拉特旗气象局",
    "达拉特旗人民法院",
    "达拉特旗人民检察院",
    "达拉特旗总工会",
    "共青团达拉特旗委员会",
    "达拉特旗妇女联合会",
)

#: Banner leaders who take a grid each (主要领导进网格).
BANNER_TITLES: tuple[str, ...] = (
    "旗委书记",
    "旗长",
    "旗人大常委会主任",
    "旗政协主席",
    "旗委副书记",
    "常务副旗长",
    "旗委常委、政法委书记",
    "旗委常委、组织部部长",
    "旗委常委、宣传部部长",
    "旗委常委、纪委书记",
    "旗委常委、统战部部长",
    "旗委常委、旗委办公室主任",
    "副旗长、公安局局长",
    "副旗长",
    "副旗长",
    "副旗长",
)

#: Township leaders, per township; ``{t}`` is the township name, ``{head}`` 镇长 or 苏木达.
TOWNSHIP_TITLES: tuple[str, ...] = (
    "{t}党委书记",
    "{t}{head}",
    "{t}党委副书记",
    "{t}人大主席",
)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_FAMILY = "王李张刘郭高杨白贺乔康韩任苏马赵侯吕郝薛武邬田石梁温尚樊柴庞"
_FEATURE = _words("圪堵 营子 渠 壕 梁 湾 滩 圪旦 塔 店 沟 海子 坝")
_VILLAGE_SPECIAL = _words(
    "新民堡 解放滩 东海子 西海子 前进 胜利 红旗 五股地 六份子 三份子 八犋牛 "
    "黄河湾 大树湾 新河 永胜 丰裕 兴盛 富强 聚宝 德胜 太平 长胜 东风 红星 "
    "万太兴 四合 公益 园子 林场 召上 青春 官井 红泥湾 沙壕 大圐圙 二份子 "
    "南伙房 西柳沟 罕台 新胜"
)
_COMMUNITY = _words(
    "金辉 平原 锦绣 和谐 幸福 康宁 金泰 安居 阳光 滨河 响沙 友谊 民族 "
    "光明 振兴 文化 新华 建设 北苑 南苑 东城 西城 怡景 锦华 瑞祥 和平 "
    "昌盛 祥和 兴旺 富民 丰泽 迎宾 景泰 恒信 青城 春晖 华苑 铁西 馨园 "
    "泰和 嘉禾 育才"
)
_GACHA = _words(
    "哈什拉 乌兰 巴音 阿拉腾 敖包 哈达图 查干 呼和 宝日 希拉 额尔登 赛罕 "
    "塔拉 巴音布拉格 乌兰敖包 伊克"
)

_SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许沈曾彭吕苏卢蒋"
    "蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟"
    "段雷钱汤尹常武乔贺龚文云奇温樊柴乌邬"
)
_GIVEN_FIRST = "建志文晓春永海金玉秀俊红佳欣雅思嘉新国立宏德世振丽桂福成少继凤淑美慧子天宇浩云"
_GIVEN_LAST = (
    "伟军强磊勇杰涛斌鹏飞波华明亮刚平辉峰宇浩东林超海龙芳娜敏静丽燕霞玲英红梅琳婷雪慧艳"
    "萍颖洁荣生贵忠宁鑫瑞博凯悦琪"
)
_MONGOLIAN = _words(
    "巴特尔 其其格 乌云毕力格 苏日娜 额尔敦 那日苏 斯琴 萨仁 乌日娜 图雅 "
    "宝音 朝鲁 布和 哈斯 阿拉坦 敖敦 孟和 乌兰 其木格 格日勒 满都拉 巴雅尔 "
    "吉日嘎拉 额尔德尼 那顺 苏和 特木尔 乌力吉 呼和 达来 赛音 高娃 娜仁 "
    "萨日朗 图门 恩和 毕力格 青格勒 阿如娜 斯琴高娃 包勒尔 查干夫 乌日图 "
    "塔娜 朝克图 德力格尔"
)
_PHONE_PREFIXES = _words(
    "130 131 132 133 134 135 136 137 138 139 "
    "147 150 151 152 153 155 156 157 158 159 "
    "176 177 180 181 182 183 184 185 186 187 "
    "188 189 198 199"
)


def place_names(kind: str, n: int, rng: np.random.Generator, taken: set[str]) -> list[str]:
    """``n`` distinct names of one kind (``village``, ``community`` or ``gacha``).

    Names already in ``taken`` are skipped and the new ones are added to it, so names stay
    unique across the banner.

    Examples
    --------
    >>> taken: set[str] = set()
    >>> names = place_names("gacha", 3, np.random.default_rng(0), taken)
    >>> all(name.endswith("嘎查") for name in names), len(taken)
    (True, 3)
    """
    if kind == "village":
        combos = [f"{f}家{x}" for f in _FAMILY for x in _FEATURE]
        special = list(_VILLAGE_SPECIAL)
        pool = [special[i] for i in rng.permutation(len(special))]
        pool += [combos[i] for i in rng.permutation(len(combos))]
        pool = [pool[i] for i in rng.permutation(len(pool))]
        suffix = "村"
    elif kind == "community":
        pool = [_COMMUNITY[i] for i in rng.permutation(len(_COMMUNITY))]
        suffix = "社区"
    elif kind == "gacha":
        pool = [_GACHA[i] for i in rng.permutation(len(_GACHA))]
        suffix = "嘎查"
    else:
        raise ValueError(f"unknown place kind {kind!r}")
    out: list[str] = []
    if n == 0:
        return out
    for stem in pool:
        name = stem + suffix
        if name not in taken:
            taken.add(name)
            out.append(name)
            if len(out) == n:
                return out
    raise ValueError(f"ran out of {kind} names after {len(out)} of {n}")


class PersonNamer:
    """Draws personal names: Han (surname + one or two characters) or Mongolian."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng

    def name(self, mongolian_share: float) -> str:
        """One name; Mongolian with probability ``mongolian_share``.

        Examples
        --------
        >>> namer = PersonNamer(np.random.default_rng(0))
        >>> name = namer.name(0.0)
        >>> 2 <= len(name) <= 3 and name[0] in _SURNAMES
        True
        """
        rng = self._rng
        if rng.random() < mongolian_share:
            return str(_MONGOLIAN[rng.integers(len(_MONGOLIAN))])
        surname = _SURNAMES[min(int(rng.exponential(18.0)), len(_SURNAMES) - 1)]
        last = _GIVEN_LAST[rng.integers(len(_GIVEN_LAST))]
        if rng.random() < 0.3:
            return surname + last
        return surname + _GIVEN_FIRST[rng.integers(len(_GIVEN_FIRST))] + last


def unique_phones(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` distinct synthetic 11-digit mobile numbers with mainland prefixes.

    Examples
    --------
    >>> phones = unique_phones(5, np.random.default_rng(0))
    >>> len(set(phones)), all(len(p) == 11 and p.isdigit() for p in phones)
    (5, True)
    """
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        prefix = _PHONE_PREFIXES[rng.integers(len(_PHONE_PREFIXES))]
        phone = f"{prefix}{int(rng.integers(0, 100_000_000)):08d}"
        if phone not in seen:
            seen.add(phone)
            out.append(phone)
    return out
