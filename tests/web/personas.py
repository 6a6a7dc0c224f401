"""A small, deterministic center and one named user per persona.

窗口A1/A2 belong to 单位A (chief rep 陈首席); 窗口B1 to 单位B.  张三 and 李四
staff A1, 王五 staffs B1.  Every test that needs a center builds this one;
nothing here is random.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from kaohe.web.accounts.models import Role, User
from kaohe.web.org.models import (
    Assignment,
    Center,
    CenterPolicy,
    Person,
    PersonRole,
    Unit,
    Window,
    WindowKind,
)

PASSWORD = "Kaohe#Test2026"
POLICY_ID = "xxqu-2022"
START = date(2024, 1, 1)


@dataclass
class World:
    center: Center
    unit_a: Unit
    unit_b: Unit
    a1: Window
    a2: Window
    b1: Window
    zhang: Person  # staff, window A1
    li: Person  # staff, window A1
    wang: Person  # staff, window B1 (another unit)
    chen: Person  # chief rep of unit A
    inspector: User
    leader: User
    chief: User  # 陈首席's account
    staff: User  # 张三's account
    other_staff: User  # 王五's account
    sysadmin: User
    secadmin: User
    auditor: User


def make_user(username: str, role: Role, center: Center, person: Person | None = None) -> User:
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        role=role,
        center=center,
        person=person,
        first_name=person.name if person else username,
    )
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password_changed_at"])
    return user


def build_world(policy_id: str = POLICY_ID) -> World:
    center = Center.objects.create(
        code="test", name="测试区政务服务中心", issuing_body="测试区政务服务管理办公室"
    )
    CenterPolicy.objects.create(center=center, policy_id=policy_id, effective_from=START)
    unit_a = Unit.objects.create(center=center, code="A", name="单位A")
    unit_b = Unit.objects.create(center=center, code="B", name="单位B")
    a1 = Window.objects.create(
        center=center, unit=unit_a, code="A1", name="窗口A1", kind=WindowKind.SINGLE
    )
    a2 = Window.objects.create(
        center=center, unit=unit_a, code="A2", name="窗口A2", kind=WindowKind.SINGLE
    )
    b1 = Window.objects.create(
        center=center, unit=unit_b, code="B1", name="窗口B1", kind=WindowKind.COMPREHENSIVE
    )
    zhang = Person.objects.create(center=center, code="1001", name="张三", pin="1001")
    li = Person.objects.create(center=center, code="1002", name="李四", pin="1002")
    wang = Person.objects.create(center=center, code="2001", name="王五", pin="2001")
    chen = Person.objects.create(
        center=center, code="9001", name="陈首席", role=PersonRole.CHIEF_REP
    )
    Assignment.objects.create(person=zhang, window=a1, start=START)
    Assignment.objects.create(person=li, window=a1, start=START)
    Assignment.objects.create(person=wang, window=b1, start=START)
    Assignment.objects.create(person=chen, unit=unit_a, start=START)
    return World(
        center=center,
        unit_a=unit_a,
        unit_b=unit_b,
        a1=a1,
        a2=a2,
        b1=b1,
        zhang=zhang,
        li=li,
        wang=wang,
        chen=chen,
        inspector=make_user("inspector", Role.INSPECTOR, center),
        leader=make_user("leader", Role.LEADER, center),
        chief=make_user("chief", Role.CHIEF, center, chen),
        staff=make_user("staff", Role.STAFF, center, zhang),
        other_staff=make_user("staff2", Role.STAFF, center, wang),
        sysadmin=make_user("sysadmin", Role.SYSADMIN, center),
        secadmin=make_user("secadmin", Role.SECADMIN, center),
        auditor=make_user("auditor", Role.AUDITOR, center),
    )
