from pathlib import Path

import pytest

from kaohe.engine import PolicyError, bundled_policy_ids, load_policy, load_policy_file

BUNDLED = ["baoshan-2024", "guangde-2023", "jiedong-2022", "luoshan", "xxqu-2022"]


def test_the_five_regulations_are_bundled_and_valid() -> None:
    assert bundled_policy_ids() == BUNDLED
    for pid in BUNDLED:
        policy = load_policy(pid)
        assert policy.id == pid
        assert policy.items, pid
        for item in policy.items:
            assert item.ref.strip(), f"{pid} {item.code} has no article reference"
        for sc in policy.scorecards:
            for dim in sc.dimensions:
                assert dim.ref.strip(), f"{pid} {dim.code} has no article reference"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "center.yaml"
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL = """
id: my-center
title: 某中心考核办法
source: 第一条
effective_from: 2025-01-01
items:
  - {code: a.01, name: 迟到, dimension: a, points: 1, ref: 第三条}
scorecards:
  - id: people
    name: 人员
    subjects: {type: person}
    period: month
    dimensions:
      - {code: a, name: 纪律, kind: deduct, max: 20, floor: 0, ref: 第二条}
"""


def test_a_new_center_is_expressible_as_a_file(tmp_path: Path) -> None:
    policy = load_policy_file(_write(tmp_path, MINIMAL))
    assert policy.item("a.01") is not None
    assert load_policy(str(_write(tmp_path, MINIMAL))).id == "my-center"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("points: 1, ref", "points: 1, colour: red, ref"), r"items\[0\]\(a.01\).colour: Extra inputs"),
        (("kind: deduct", "kind: deduce"), r"scorecards\[0\]\(people\).dimensions\[0\]\(a\).kind"),
        (("dimension: a,", "dimension: zz,"), r"unknown dimension 'zz'"),
        (("floor: 0,", "floor: 0, extra: 'x +* 1',"), r"dimensions\[0\]\(a\).extra: .*syntax error"),
        (("floor: 0,", "floor: 0, base: 'open(1).read()',"), r"only named functions can be called"),
        (("points: 1,", "points: 1, range: [1, 2],"), r"exactly one of points, range or free_entry"),
        (("effective_from: 2025-01-01", "effective_from: soon"), r"effective_from"),
    ],
)
def test_invalid_policy_names_file_key_path_and_reason(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = _write(tmp_path, MINIMAL.replace(*change))
    with pytest.raises(PolicyError, match=message) as info:
        load_policy_file(path)
    assert str(path) in str(info.value)


def test_not_yaml_and_unknown_policy(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policy_file(_write(tmp_path, "id: [unclosed"))
    with pytest.raises(PolicyError, match="unknown policy 'nowhere'"):
        load_policy("nowhere")
