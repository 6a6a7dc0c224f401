"""The fixed shape of the demo center: the 33 windows of the XX区 regulation and name stock.

The window list is the regulation's own (seeds/001, 一(一)): 24 单设窗口 and 9 综合窗口,
each belonging to the department (进驻单位) that stations it.  Staff counts are
believable for a 区 hall: the busy counters (公安, 市场监管, 不动产登记, 税务 …) carry
six people, the quiet ones three, the 综合窗口 two purchased-service clerks each.
"""

from __future__ import annotations

from dataclasses import dataclass

CENTER_CODE = "demo-xxqu"
CENTER_NAME = "XX区行政审批服务中心"
ISSUING_BODY = "XX区政务服务中心"
HALLS = ("一号厅（主厅）", "二号厅")


@dataclass(frozen=True)
class WindowSpec:
    code: str
    name: str
    unit_code: str
    unit_name: str
    comprehensive: bool
    staff: int
    hall: int  # index into HALLS


def _single(
    n: int, short: str, unit_code: str, unit_name: str, staff: int, hall: int = 0
) -> WindowSpec:
    return WindowSpec(f"D{n:02d}", f"{short}窗口", unit_code, unit_name, False, staff, hall)


def _comprehensive(n: int, short: str, unit_code: str, unit_name: str) -> WindowSpec:
    return WindowSpec(f"Z{n:02d}", f"综合窗口（{short}）", unit_code, unit_name, True, 2, 0)


WINDOWS: tuple[WindowSpec, ...] = (
    _single(1, "统战", "tz", "区委统战部", 3),
    _single(2, "发改", "fg", "区发展和改革局", 4),
    _single(3, "公安", "ga", "区公安分局", 6, 1),
    _single(4, "民政", "mz", "区民政局", 4),
    _single(5, "财政", "cz", "区财政局", 3),
    _single(6, "住建", "zj", "区住房和城乡建设局", 6),
    _single(7, "水利", "sl", "区水利局", 3),
    _single(8, "农业农村", "nync", "区农业农村局", 3),
    _single(9, "文广旅体", "wglt", "区文化广电旅游体育局", 3),
    _single(10, "卫健", "wj", "区卫生健康局", 4),
    _single(11, "应急管理", "yj", "区应急管理局", 3),
    _single(12, "市场监管", "scjg", "区市场监督管理局", 6),
    _single(13, "综合行政执法", "zhzf", "区综合行政执法局", 3),
    _single(14, "税务", "sw", "国家税务总局XX区税务局", 6, 1),
    _single(15, "资规", "zg", "区自然资源和规划分局", 6),
    _single(16, "生态环境", "sthj", "区生态环境分局", 3),
    _single(17, "房产事务", "fc", "区房产事务中心", 4, 1),
    _single(18, "残联", "cl", "区残疾人联合会", 3),
    _single(19, "国家电网", "dw", "国网XX区供电公司", 4),
    _single(20, "消防", "xf", "区消防救援大队", 3),
    _single(21, "不动产登记", "bdc", "区不动产登记中心", 6, 1),
    _single(22, "自来水", "zls", "区自来水有限公司", 4),
    _single(23, "燃气", "rq", "区燃气有限公司", 4),
    _single(24, "有线电视", "yxds", "区有线电视网络公司", 3),
    _comprehensive(1, "档案", "da", "区档案馆"),
    _comprehensive(2, "经信", "jx", "区经济和信息化局"),
    _comprehensive(3, "教育", "jy", "区教育局"),
    _comprehensive(4, "科技", "kj", "区科学技术局"),
    _comprehensive(5, "司法", "sf", "区司法局"),
    _comprehensive(6, "交通运输", "jtys", "区交通运输局"),
    _comprehensive(7, "商务", "shw", "区商务局"),
    _comprehensive(8, "退役军人", "tyjr", "区退役军人事务局"),
    _comprehensive(9, "金融", "jr", "区金融工作服务中心"),
)

#: The unit whose chief rep and staff the demo ``chief`` and ``staff`` accounts are.
DEMO_UNIT = "scjg"
#: A staff member of this window is transferred to TRANSFER_TO in the second month.
TRANSFER_FROM = "D04"
TRANSFER_TO = "Z05"
#: A newcomer joins this window in the second month.
JOINER_WINDOW = "D03"
#: Someone of this window goes on maternity leave in the third month; a substitute (顶岗) steps in.
SUBSTITUTE_WINDOW = "D21"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红玲丹辉鑫波宁斌婷雪琳晨欣怡子涵浩宇"
    "博文佳琪梓萱思远俊峰建国志红晓东海燕小龙春梅立新丽君文静嘉怡雨桐家豪一鸣诗雨梦洁天佑"
)

RATING_NOTES_LOW = ("办理时间过长", "材料一次性告知不清", "态度生硬", "多次往返", "窗口无人")
VOID_REASONS = ("录入时选错窗口，重新登记", "同一问题重复登记", "经核实当日系公务外出，已补登记")
#: The last clerk of these windows was hired in August of last year (months in post < 6 that year).
LATE_HIRES = ("D02", "D10", "D19")
