"""Build the demo center: XX区行政审批服务中心 with three months of believable data.

Everything is drawn from one ``random.Random(2026)`` in a fixed order — the
organisation first, then leave, punches and ratings, the policy-dependent
ledger last — so the same day and policy always give the same center, and the
people and punches are the same whichever of the five policies is chosen.

The data span is the three calendar months before today's month.  A policy
scored by quarter (罗山) needs whole quarters, so the span starts at the first
complete quarter it overlaps; a policy scored by year (宝山) scores the
previous year, which gets its committee scores (评分表) and a sparse ledger.
Scores are then computed by the engine and every run must come out current.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import string
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import DateTimeField, Model
from django.utils import timezone

import kaohe
from kaohe.engine import Period, load_policy
from kaohe.engine.periods import PeriodKind
from kaohe.engine.policy.models import Item, Policy, Scorecard, Signin
from kaohe.engine.workdays import DEFAULT_CALENDAR
from kaohe.web.accounts.models import Role, User
from kaohe.web.demo import catalog
from kaohe.web.facts.models import AttendanceSummary, ExternalScore, Leave, Punch, Rating
from kaohe.web.ledger.models import Record, RecordSource
from kaohe.web.org.models import (
    Assignment,
    Center,
    CenterPolicy,
    Employment,
    Hall,
    Person,
    PersonRole,
    Unit,
    Window,
    WindowKind,
)
from kaohe.web.scoring import services as scoring
from kaohe.web.scoring.models import RunStatus, ScoreRun

SEED = 2026
POLICY_DIR = Path(kaohe.__file__).parent / "policies"
DEMO_ROLES: tuple[Role, ...] = (
    Role.INSPECTOR,
    Role.LEADER,
    Role.CHIEF,
    Role.STAFF,
    Role.SYSADMIN,
    Role.SECADMIN,
    Role.AUDITOR,
)
#: Used when the policy has no sign-in schedule: 08:30 / 12:00 / 14:00 / 17:30.
DEFAULT_SIGNINS: tuple[Signin, ...] = (
    Signin(code="am_in", name="上午上班", kind="in", on_time_until=time(8, 30)),
    Signin(code="am_out", name="上午下班", kind="out", on_time_from=time(12, 0)),
    Signin(code="pm_in", name="下午上班", kind="in", on_time_until=time(14, 0)),
    Signin(code="pm_out", name="下午下班", kind="out", on_time_from=time(17, 30)),
)


def bundled_policies() -> list[str]:
    """The ids of the policies shipped with kaohe (``src/kaohe/policies/*.yaml``)."""
    return sorted(p.stem for p in POLICY_DIR.glob("*.yaml"))


def generate_password() -> str:
    """A random password that passes the configured validators (printed once at start)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        core = "".join(secrets.choice(alphabet) for _ in range(12))
        candidate = f"Kh-{core}#{secrets.randbelow(90) + 10}"
        try:
            validate_password(candidate)
        except ValidationError:
            continue
        return candidate


def natural_key(kind: str, *fields: object) -> str:
    """The digest that makes a fact the same fact (what the importers de-duplicate on)."""
    text = "|".join([kind, *(str(f) for f in fields)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fast_insert(
    model: type[Model], columns: Sequence[str], rows: Sequence[tuple[object, ...]]
) -> None:
    """Insert many plain rows with ``executemany``: tens of thousands of punches in a second.

    ``bulk_create`` spends most of its time building model instances and SQL
    per batch; the demo's punches need neither.  Every concrete column is
    written — those not given get the field's default, so a field added to the
    model later still gets its value — and values are prepared by the model's
    own fields, so the same code writes SQLite and PostgreSQL.
    """
    given = {model._meta.get_field(c).name: i for i, c in enumerate(columns)}
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    unknown = set(given) - {f.name for f in fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no column {sorted(unknown)}")
    now = timezone.now()
    defaults = {
        f.name: now
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        else f.get_default()
        for f in fields
        if f.name not in given
    }
    fields_by = {f.name: f for f in fields}
    qn = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        qn(model._meta.db_table),
        ", ".join(qn(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    # defaults are prepared once; given columns: datetimes through the backend's adapter,
    # everything else (ids, text, booleans) is already what the database takes
    fixed = {name: fields_by[name].get_db_prep_save(v, connection) for name, v in defaults.items()}
    adapt = connection.ops.adapt_datetimefield_value
    plan = [
        (given[f.name], isinstance(f, DateTimeField)) if f.name in given else (-1, fixed[f.name])
        for f in fields
    ]
    prepared = [
        tuple((adapt(row[i]) if how else row[i]) if i >= 0 else how for i, how in plan)
        for row in rows
    ]
    with connection.cursor() as cursor:
        for i in range(0, len(prepared), 5000):
            cursor.executemany(sql, prepared[i : i + 5000])


def demo_months(today: date) -> list[tuple[int, int]]:
    """The three calendar months before today's month, oldest first."""
    out: list[tuple[int, int]] = []
    y, m = today.year, today.month
    for _ in range(3):
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        out.append((y, m))
    return out[::-1]


def scored_periods(policy: Policy, today: date) -> list[Period]:
    """The periods the demo computes: its months, its complete quarters, or last year."""
    kinds = {sc.period for sc in policy.scorecards}
    months = [Period(y, PeriodKind.MONTH, m) for y, m in demo_months(today)]
    if PeriodKind.MONTH in kinds:
        return months
    if PeriodKind.QUARTER in kinds:
        quarters = {Period(p.year, PeriodKind.QUARTER, (p.index - 1) // 3 + 1) for p in months}
        return sorted(q for q in quarters if q.end <= months[-1].end)
    return [Period(today.year - 1, PeriodKind.YEAR)]


@dataclass
class DemoResult:
    center: Center
    policy_id: str
    periods: list[str]
    users: dict[str, User]
    runs: list[ScoreRun]
    errors: list[str]
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class _Post:
    """An assignment as the builder tracks it in memory (to place facts on the right people)."""

    person: Person
    unit: Unit
    window: Window | None
    start: date
    end: date | None = None
    substitutes_for: Person | None = None

    def on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


class _Builder:
    """One demo build: the organisation, its people and accounts, then facts and ledger."""

    def __init__(self, policy: Policy, today: date, password: str) -> None:
        self.policy = policy
        self.today = today
        self.password = password
        self.rng = random.Random(SEED)
        self.months = [Period(y, PeriodKind.MONTH, m) for y, m in demo_months(today)]
        self.periods = scored_periods(policy, today)
        self.start = min([self.months[0].start, *(p.start for p in self.periods)])
        self.end = self.months[-1].end
        if self.periods[0].kind is PeriodKind.YEAR:
            self.start = self.months[0].start
        self.prev_year = today.year - 1
        self.workdays = DEFAULT_CALENDAR.workdays(self.start, self.end)
        self.posts: list[_Post] = []
        self.leave_days: dict[int, set[date]] = defaultdict(set)
        self.used_names: set[str] = set()
        self.next_code = 1001
        self.next_pin = 1
        self.units: dict[str, Unit] = {}
        self.windows: dict[str, Window] = {}
        self.chiefs: dict[str, Person] = {}
        self.special: dict[str, Person] = {}
        self.records: list[Record] = []
        self.punched: dict[tuple[int, date], int] = {}

    # ------------------------------------------------------------------ helpers

    def name(self) -> str:
        while True:
            given = "".join(
                self.rng.choice(catalog.GIVEN) for _ in range(self.rng.choice((1, 2, 2)))
            )
            full = self.rng.choice(catalog.SURNAMES) + given
            if full not in self.used_names:
                self.used_names.add(full)
                return full

    def day_between(self, lo: date, hi: date) -> date:
        return lo + timedelta(days=self.rng.randint(0, (hi - lo).days))

    def workday_on_or_after(self, day: date) -> date:
        while not DEFAULT_CALENDAR.is_workday(day):
            day += timedelta(days=1)
        return day

    # ------------------------------------------------------------------ organisation

    def organisation(self) -> None:
        self.center = Center.objects.create(
            code=catalog.CENTER_CODE,
            name=catalog.CENTER_NAME,
            issuing_body=catalog.ISSUING_BODY,
            context={"bonus_per_month": 2000} if "bonus_per_month" in self.policy.context else {},
        )
        CenterPolicy.objects.create(
            center=self.center,
            policy_id=self.policy.id,
            effective_from=date(self.prev_year - 1, 1, 1),
        )
        halls = [Hall.objects.create(center=self.center, name=n) for n in catalog.HALLS]
        for spec in catalog.WINDOWS:
            unit = Unit.objects.create(center=self.center, code=spec.unit_code, name=spec.unit_name)
            self.units[spec.unit_code] = unit
            self.windows[spec.code] = Window.objects.create(
                center=self.center,
                hall=halls[spec.hall],
                unit=unit,
                code=spec.code,
                name=spec.name,
                kind=WindowKind.COMPREHENSIVE if spec.comprehensive else WindowKind.SINGLE,
            )
        hired_from, hired_to = date(self.prev_year - 6, 3, 1), date(self.prev_year - 1, 12, 31)
        for spec in catalog.WINDOWS:
            unit, window = self.units[spec.unit_code], self.windows[spec.code]
            chief = self.person(PersonRole.CHIEF_REP, Employment.SECONDED)
            self.chiefs[spec.unit_code] = chief
            self.posts.append(_Post(chief, unit, None, self.day_between(hired_from, hired_to)))
            for slot in range(spec.staff):
                purchased = spec.comprehensive or (spec.staff >= 4 and slot == spec.staff - 1)
                purchased = purchased or self.rng.random() < 0.12
                role = PersonRole.BACKBONE if spec.staff >= 6 and slot == 0 else PersonRole.STAFF
                person = self.person(
                    role, Employment.PURCHASED if purchased else Employment.SECONDED
                )
                start = self.day_between(hired_from, hired_to)
                if spec.code in catalog.LATE_HIRES and slot == spec.staff - 1:
                    start = date(self.prev_year, 8, 3)  # hired last August: < 6 months that year
                self.posts.append(_Post(person, unit, window, start))
        self.special_cases()
        Assignment.objects.bulk_create(
            Assignment(
                person=p.person,
                window=p.window,
                unit=p.unit if p.window is None else None,
                start=p.start,
                end=p.end,
                substitutes_for=p.substitutes_for,
                note=self.note_for(p),
            )
            for p in self.posts
        )

    def person(self, role: PersonRole, employment: Employment) -> Person:
        code = 9000 + len(self.chiefs) + 1 if role == PersonRole.CHIEF_REP else self.next_code
        if role != PersonRole.CHIEF_REP:
            self.next_code += 1
        pin = f"{self.next_pin:05d}"
        self.next_pin += 1
        return Person.objects.create(
            center=self.center,
            code=str(code),
            name=self.name(),
            role=role,
            employment=employment,
            pin=pin,
        )

    def staff_of(self, window_code: str) -> list[_Post]:
        window = self.windows[window_code]
        return [p for p in self.posts if p.window is window and p.person.role == PersonRole.STAFF]

    def special_cases(self) -> None:
        """A transfer, a mid-period joiner and a 顶岗 substitute, as a real hall has every month."""
        second, third = self.months[1], self.months[2]
        # transfer: a 民政 clerk moves to the 司法 综合窗口 on the 16th of the second month
        post = next(
            p for p in self.staff_of(catalog.TRANSFER_FROM) if p.person.employment == "seconded"
        )
        moved_on = date(second.year, second.index, 16)
        post.end = moved_on - timedelta(days=1)
        target = self.windows[catalog.TRANSFER_TO]
        self.posts.append(_Post(post.person, target.unit, target, moved_on))
        self.special["transfer"] = post.person
        # joiner: a new 公安 clerk from the 10th of the second month
        window = self.windows[catalog.JOINER_WINDOW]
        joiner = self.person(PersonRole.STAFF, Employment.SECONDED)
        joined = self.workday_on_or_after(date(second.year, second.index, 10))
        self.posts.append(_Post(joiner, window.unit, window, joined))
        self.special["joiner"] = joiner
        # substitute: a 不动产登记 clerk starts maternity leave; a purchased clerk stands in
        window = self.windows[catalog.SUBSTITUTE_WINDOW]
        replaced = self.staff_of(catalog.SUBSTITUTE_WINDOW)[1].person
        leave_from = self.workday_on_or_after(date(third.year, third.index, 5))
        substitute = self.person(PersonRole.STAFF, Employment.PURCHASED)
        self.posts.append(
            _Post(substitute, window.unit, window, leave_from, substitutes_for=replaced)
        )
        self.special["replaced"] = replaced
        self.special["substitute"] = substitute
        # 158 days of 产假, cut at the end of the last year the working-day calendar knows
        last_known = date(max(DEFAULT_CALENDAR.known_years()), 12, 31)
        self.maternity = (replaced, leave_from, min(leave_from + timedelta(days=157), last_known))

    def note_for(self, post: _Post) -> str:
        if post.substitutes_for is not None:
            return f"顶岗：{post.substitutes_for.name}休产假期间"
        if post.person is self.special.get("transfer"):
            return "调入" if post.end is None else "调出至司法综合窗口"
        if post.person is self.special.get("joiner"):
            return "新进驻"
        return ""

    # ------------------------------------------------------------------ users

    def users(self) -> dict[str, User]:
        demo_chief = self.chiefs[catalog.DEMO_UNIT]
        window = next(
            w for w in self.windows.values() if w.unit_id == self.units[catalog.DEMO_UNIT].pk
        )
        demo_staff = next(
            p.person
            for p in self.posts
            if p.window is window
            and p.person.role == PersonRole.STAFF
            and p.person.employment == Employment.PURCHASED
        )
        self.demo_staff = demo_staff
        persons: dict[Role, Person | None] = {Role.CHIEF: demo_chief, Role.STAFF: demo_staff}
        names = {
            Role.INSPECTOR: "督查科 " + self.name(),
            Role.LEADER: "考核领导小组 " + self.name(),
            Role.SYSADMIN: "系统管理员",
            Role.SECADMIN: "安全管理员",
            Role.AUDITOR: "审计管理员",
        }
        hashed = make_password(self.password)
        now = timezone.now()
        out: dict[str, User] = {}
        for role in DEMO_ROLES:
            person = persons.get(role)
            user = User(
                username=str(role.value),
                password=hashed,
                role=role,
                center=self.center,
                person=person,
                first_name=person.name if person else names[role],
                is_demo=True,
                password_changed_at=now,
            )
            user.save()
            out[str(role.value)] = user
        return out

    # ------------------------------------------------------------------ facts

    def leave(self) -> list[Leave]:
        rows: list[Leave] = []
        special = set(self.special.values())
        staff = [p for p in self.posts if p.start <= self.start and p.person not in special]
        picks = self.rng.sample(staff, 24)
        kinds = [("事假", 1), ("病假", 2), ("年休假", 3), ("事假", 2), ("病假", 1), ("年休假", 5)]
        for i, post in enumerate(picks):
            kind, n = kinds[i % len(kinds)]
            first = self.rng.randrange(0, len(self.workdays) - n)
            days = self.workdays[first : first + n]
            rows.append(self.leave_row(post.person, kind, days[0], days[-1], Decimal(n)))
        replaced, start, end = self.maternity
        rows.append(self.leave_row(replaced, "产假", start, end, Decimal(158)))
        return rows

    def leave_row(self, person: Person, kind: str, start: date, end: date, days: Decimal) -> Leave:
        d = start
        while d <= end:
            self.leave_days[person.pk].add(d)
            d += timedelta(days=1)
        return Leave(
            center=self.center,
            person=person,
            type=kind,
            start=start,
            end=end,
            days=days,
            approved=True,
            natural_key=natural_key("leave", person.code, kind, start, end),
        )

    def signin_times(self) -> list[tuple[Signin, time | None]]:
        """Each sign-in with the earliest time the next one may be punched (to stay inside it)."""
        signins = list(self.policy.schedule.signins) if self.policy.schedule else DEFAULT_SIGNINS
        out: list[tuple[Signin, time | None]] = []
        for i, s in enumerate(signins):
            nxt = signins[i + 1] if i + 1 < len(signins) else None
            out.append((s, nxt.earliest if nxt else None))
        return out

    def punch_time(self, s: Signin, next_earliest: time | None) -> time | None:
        """A believable clock time for one sign-in: mostly on time, now and then late, early or none."""
        r = self.rng.random()
        if r < 0.003:
            return None
        minutes: int
        if s.kind == "in":
            limit = s.on_time_until or s.latest or time(9, 0)
            base = limit.hour * 60 + limit.minute
            lo = base - 35
            if s.earliest is not None:
                lo = max(lo, s.earliest.hour * 60 + s.earliest.minute + 1)
            minutes = (
                base + self.rng.randint(2, 40) if r < 0.009 else self.rng.randint(lo, base - 1)
            )
        else:
            limit = s.on_time_from or time(17, 30)
            base = limit.hour * 60 + limit.minute
            hi = base + 25
            for cap in (s.latest, next_earliest):
                if cap is not None:
                    hi = min(hi, cap.hour * 60 + cap.minute - 1)
            minutes = base - self.rng.randint(5, 40) if r < 0.009 else self.rng.randint(base, hi)
        return time(minutes // 60, minutes % 60, self.rng.randint(0, 59))

    def punches(self) -> list[tuple[object, ...]]:
        """Four clock punches a working day per person in post (rows for :func:`fast_insert`)."""
        rows: list[tuple[object, ...]] = []
        signins = self.signin_times()
        tz = timezone.get_current_timezone()
        by_person: dict[int, list[_Post]] = defaultdict(list)
        for p in self.posts:
            by_person[p.person.pk].append(p)
        for posts in by_person.values():
            person = posts[0].person
            device = "大厅考勤机1" if posts[0].window is None else "大厅考勤机2"
            on_leave = self.leave_days.get(person.pk, set())
            for day in self.workdays:
                if day in on_leave or not any(p.on(day) for p in posts):
                    continue
                if self.rng.random() < 0.0008:  # a whole day without a punch: 旷工
                    continue
                punched = 0
                for s, nxt in signins:
                    t = self.punch_time(s, nxt)
                    if t is None:
                        continue
                    punched += 1
                    moment = datetime.combine(day, t, tzinfo=tz)
                    key = natural_key("punch", person.pin, moment.isoformat())[:32]
                    rows.append((self.center.pk, key, False, person.pk, moment, device))
                self.punched[(person.pk, day)] = punched
        return rows

    def attendance(self) -> list[AttendanceSummary]:
        """The attendance system's monthly summary, consistent with the punches.

        Only for a policy without a sign-in schedule (揭东 reads its attendance
        rate from this table); with a schedule the engine reads the punches
        themselves, and feeding both would show the same misses twice.
        """
        if self.policy.schedule is not None:
            return []
        per_day = len(self.signin_times())
        people = {p.person.pk: p.person for p in self.posts}
        rows: list[AttendanceSummary] = []
        months = sorted({(d.year, d.month) for d in self.workdays})
        for pk, person in people.items():
            posts = [p for p in self.posts if p.person.pk == pk]
            on_leave = self.leave_days.get(pk, set())
            for y, m in months:
                days = [
                    d
                    for d in self.workdays
                    if (d.year, d.month) == (y, m) and any(p.on(d) for p in posts)
                ]
                if not days:
                    continue
                present = [d for d in days if self.punched.get((pk, d), 0) > 0]
                expected = per_day * len([d for d in days if d not in on_leave])
                signed = sum(self.punched.get((pk, d), 0) for d in days)
                month = f"{y:04d}-{m:02d}"
                rows.append(
                    AttendanceSummary(
                        center=self.center,
                        person=person,
                        month=month,
                        workdays=Decimal(len(days)),
                        present_days=Decimal(len(present)),
                        expected_signins=Decimal(expected),
                        missed_signins=Decimal(expected - signed),
                        natural_key=natural_key("attendance", person.code, month),
                    )
                )
        return rows

    def ratings(self, days: Sequence[date], per_day: float = 1.0) -> list[Rating]:
        rows: list[Rating] = []
        for window in self.windows.values():
            posts = [p for p in self.posts if p.window is window]
            for day in days:
                n = self.rng.randint(0, max(1, round(len(posts) * per_day / 2)))
                for k in range(n):
                    r = self.rng.random()
                    if r < 0.012:
                        stars = self.rng.choice((1, 2))
                    elif r < 0.07:
                        stars = self.rng.choice((3, 4))
                    else:
                        stars = 5
                    present = [p.person for p in posts if p.on(day)]
                    person = (
                        self.rng.choice(present) if present and self.rng.random() < 0.8 else None
                    )
                    ext = f"HCP{day:%Y%m%d}{window.code}{k:02d}"
                    rows.append(
                        Rating(
                            center=self.center,
                            date=day,
                            window=window,
                            person=person,
                            stars=stars,
                            verified=stars <= 2 and self.rng.random() < 0.5,
                            default=stars == 5 and self.rng.random() < 0.25,
                            external_id=ext,
                            natural_key=natural_key("rating", ext),
                        )
                    )
        return rows

    # ------------------------------------------------------------------ ledger

    def item_pool(self) -> list[tuple[Item, float]]:
        """Catalog items worth drawing, weighted towards the everyday small deductions."""
        derived = {r.item for r in self.policy.derive.leave} | {
            r.item for r in self.policy.derive.ratings
        }
        if self.policy.schedule:
            s = self.policy.schedule
            derived |= {s.late_item, s.early_item, s.missed_item, s.absent_item} - {None}  # type: ignore[arg-type]
        pool: list[tuple[Item, float]] = []
        for it in self.policy.items:
            if it.code in derived or not self.scorecards_for(it):
                continue
            size = it.points if it.points is not None else (it.range[1] if it.range else Decimal(1))
            weight = (
                6.0 if size <= Decimal("0.5") else 4.0 if size <= 1 else 1.5 if size <= 3 else 0.2
            )
            if it.effect == "add":
                weight /= 2
            if it.flags:
                weight = 0.1  # vetoes and bonus stops are rare events, not everyday findings
            pool.append((it, weight))
        return pool

    def scorecards_for(self, it: Item) -> list[Scorecard]:
        return [
            sc
            for sc in self.policy.scorecards
            if any(d.code == it.dimension for d in sc.dimensions)
        ]

    def subjects_for(
        self, it: Item, window: Window, day: date
    ) -> tuple[list[Window], list[Person]]:
        """Who may carry this item at this window on this day, by the scorecards that score it."""
        windows: list[Window] = []
        people: list[Person] = []
        unit_code = next(code for code, u in self.units.items() if u.pk == window.unit_id)
        for sc in self.scorecards_for(it):
            f = sc.subjects
            if f.kinds is not None and window.kind not in f.kinds:
                continue
            if f.type == "window":
                windows.append(window)
                continue
            candidates = [p.person for p in self.posts if p.window is window and p.on(day)]
            candidates.append(self.chiefs[unit_code])
            for person in candidates:
                if f.roles is not None and person.role not in f.roles:
                    continue
                if f.employment is not None and person.employment not in f.employment:
                    continue
                if person not in people:
                    people.append(person)
        return windows, people

    def record(
        self, it: Item, day: date, *, window: Window | None = None, person: Person | None = None
    ) -> Record:
        points: Decimal | None = None
        if it.range is not None:
            lo, hi = it.range
            steps = int((hi - lo) / Decimal("0.1"))
            points = lo + Decimal("0.1") * self.rng.randint(0, steps)
        elif it.free_entry:
            points = self.rng.choice((Decimal("0.5"), Decimal(1), Decimal(2)))
            if it.max_points is not None and points > it.max_points:
                points = it.max_points
        major = it.major is not None and self.rng.random() < 0.3
        exempt = it.exempt and not major and self.rng.random() < 0.15
        where = window.name if window else (person.name if person else "")
        note = f"巡查发现：{where}{it.name}"
        if exempt:
            note += "（已主动报告并整改）"
        rec = Record(
            center=self.center,
            person=person,
            window=window,
            policy_id=self.policy.id,
            item_code=it.code,
            item_name=it.name,
            dimension=it.dimension,
            date=day,
            count=self.rng.choice((1, 1, 1, 1, 2)),
            points=points,
            major=major,
            exempt=exempt,
            note=note,
            source=self.rng.choice((RecordSource.PATROL, RecordSource.PATROL, RecordSource.MANUAL)),
            recorded_by=self.inspector,
        )
        self.records.append(rec)
        return rec

    def place(self, it: Item, window: Window, day: date) -> Record | None:
        windows, people = self.subjects_for(it, window, day)
        prefer_person = any(c.to != "subject" for c in it.charge)
        if people and (not windows or prefer_person or self.rng.random() < 0.6):
            return self.record(it, day, person=self.rng.choice(people))
        if windows:
            return self.record(it, day, window=window)
        return None

    def ledger(self) -> None:
        pool = self.item_pool()
        if not pool:
            return
        items, weights = [it for it, _ in pool], [w for _, w in pool]
        month_days = {
            str(m): [d for d in self.workdays if m.start <= d <= m.end] for m in self.months
        }
        for month in self.months:
            for window in self.windows.values():
                for _ in range(self.rng.choice((0, 1, 1, 2, 2, 3, 4))):
                    it = self.rng.choices(items, weights)[0]
                    self.place(it, window, self.rng.choice(month_days[str(month)]))
        if self.periods[0].kind is PeriodKind.YEAR:
            year_days = DEFAULT_CALENDAR.workdays(
                date(self.prev_year, 1, 1), date(self.prev_year, 12, 31)
            )
            for _ in range(30):
                window = self.rng.choice(list(self.windows.values()))
                self.place(self.rng.choices(items, weights)[0], window, self.rng.choice(year_days))
        majors = [it for it in items if it.major is not None]
        if majors and not any(r.major for r in self.records):
            rec = self.place(majors[0], self.windows["D03"], month_days[str(self.months[1])][3])
            if rec is not None and rec.item_code == majors[0].code:
                rec.major = True
                rec.exempt = False
        self.staff_deductions(items)
        voidable = [r for r in self.records if not r.major and r.person is not self.demo_staff]
        for i, rec in enumerate(self.rng.sample(voidable, min(2, len(voidable)))):
            rec.voided_at = timezone.now()
            rec.voided_by = self.inspector
            rec.void_reason = catalog.VOID_REASONS[i % len(catalog.VOID_REASONS)]
        Record.objects.bulk_create(self.records, batch_size=500)

    def staff_deductions(self, items: list[Item]) -> None:
        """The demo ``staff`` account must have something on his score card to read."""
        post = next(p for p in self.posts if p.person is self.demo_staff)
        window = post.window
        assert window is not None
        usable = [
            it
            for it in items
            if it.effect != "add" and self.demo_staff in self.subjects_for(it, window, self.end)[1]
        ]
        # real point deductions first (a 0-point counting item reads as nothing), smallest first
        usable.sort(
            key=lambda it: (
                it.points == 0,
                it.points if it.points is not None else Decimal(1),
                it.code,
            )
        )
        if not usable:
            return
        for k, period in enumerate((self.periods[0], self.periods[-1])):
            days = [
                d
                for d in DEFAULT_CALENDAR.workdays(period.start, period.end)
                if post.on(d) and d <= self.end
            ]
            rec = self.record(usable[k % len(usable)], days[len(days) // 2], person=self.demo_staff)
            rec.note = f"巡查发现：{self.demo_staff.name}{rec.item_name}（已当场指出）"

    # ------------------------------------------------------------------ the year

    def year_facts(self) -> tuple[list[ExternalScore], list[Rating], list[Leave]]:
        """宝山 scores last year: the committee's 评分表 totals and a few vetoes to weigh."""
        if self.periods[0].kind is not PeriodKind.YEAR:
            return [], [], []
        year = self.periods[0]
        scores: list[ExternalScore] = []
        source = next(iter(self.policy.sources), "rating_form")
        in_post = [
            p
            for p in self.posts
            if p.start <= year.end
            and (p.end is None or p.end >= year.end)
            and p.person.employment == Employment.PURCHASED
        ]
        for post in in_post:
            value = Decimal(self.rng.randint(720, 985)) / 10
            scores.append(
                ExternalScore(
                    center=self.center,
                    period=str(year),
                    source=source,
                    subject=post.person.code,
                    value=value,
                    natural_key=natural_key("score", year, source, post.person.code),
                )
            )
        year_days = DEFAULT_CALENDAR.workdays(year.start, year.end)
        ratings: list[Rating] = []
        purchased = [p for p in in_post if p.window is not None]
        for k, post in enumerate(self.rng.sample(purchased, 6)):
            day = self.rng.choice(year_days)
            ext = f"HCP{day:%Y%m%d}{k:03d}Y"
            ratings.append(
                Rating(
                    center=self.center,
                    date=day,
                    window=post.window,
                    person=post.person,
                    stars=self.rng.choice((1, 2)),
                    verified=True,
                    external_id=ext,
                    natural_key=natural_key("rating", ext),
                )
            )
        first = self.rng.randrange(0, len(year_days) - 6)
        long_leave = year_days[first : first + 6]
        leave = [
            self.leave_row(purchased[0].person, "事假", long_leave[0], long_leave[-1], Decimal(6))
        ]
        return scores, ratings, leave

    # ------------------------------------------------------------------ all of it

    def build(self) -> dict[str, int]:
        self.organisation()
        users = self.users()
        self.user_map = users
        self.inspector = users[Role.INSPECTOR.value]
        leave = self.leave()
        punches = self.punches()
        attendance = self.attendance()
        ratings = self.ratings(self.workdays)
        scores, year_ratings, year_leave = self.year_facts()
        Leave.objects.bulk_create(leave + year_leave, batch_size=500)
        fast_insert(
            Punch, ("center", "natural_key", "rolled_back", "person", "time", "device"), punches
        )
        AttendanceSummary.objects.bulk_create(attendance, batch_size=500)
        Rating.objects.bulk_create(ratings + year_ratings, batch_size=1000)
        ExternalScore.objects.bulk_create(scores, batch_size=500)
        self.ledger()
        return {
            "windows": len(self.windows),
            "units": len(self.units),
            "people": len({p.person.pk for p in self.posts}),
            "records": len(self.records),
            "punches": len(punches),
            "attendance": len(attendance),
            "leave": len(leave) + len(year_leave),
            "ratings": len(ratings) + len(year_ratings),
            "scores": len(scores),
        }


def build_demo(*, policy_id: str, password: str, today: date | None = None) -> DemoResult:
    """Load the demo center into an empty database and score its periods.

    The load is one transaction (all or nothing); the engine runs afterwards,
    period by period, and a run that is not current is reported as an error
    rather than raised, so the caller can print it and still serve the data.
    """
    policy = load_policy(policy_id)
    builder = _Builder(policy, today or timezone.localdate(), password)
    with transaction.atomic():
        counts = builder.build()
    runs: list[ScoreRun] = []
    errors: list[str] = []
    for period in builder.periods:
        run = scoring.compute(builder.center, period)
        runs.append(run)
        if run.status != RunStatus.CURRENT:
            errors.append(f"{period}: {run.error or run.get_status_display()}")
    return DemoResult(
        center=builder.center,
        policy_id=policy.id,
        periods=[str(p) for p in builder.periods],
        users=builder.user_map,
        runs=runs,
        errors=errors,
        counts=counts,
    )
