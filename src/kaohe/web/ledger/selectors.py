"""Reading the ledger, always through the user's scope.

Inspectors and the leading group see the whole center; a chief representative
sees the records of his unit's windows and people; a staff member sees his
own records and those against his window.  Out-of-scope records are 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from kaohe.engine.policy.models import Item
from kaohe.web.accounts.models import User
from kaohe.web.accounts.scope import visible_people, visible_windows
from kaohe.web.ledger.models import Evidence, Record
from kaohe.web.org.models import Assignment, Center, Person, Window
from kaohe.web.scoring import bridge


def records_visible(user: User) -> QuerySet[Record]:
    return Record.objects.filter(center_id=user.center_id).filter(
        Q(person__in=visible_people(user)) | Q(window__in=visible_windows(user))
    )


@dataclass(frozen=True)
class RecordFilter:
    month: str = ""  # "YYYY-MM", empty for all
    window: Window | None = None
    person: Person | None = None
    item: str = ""  # code or part of the name
    include_voided: bool = False


def record_list(user: User, f: RecordFilter) -> QuerySet[Record]:
    """The records a user may see, narrowed by the list page's filters, newest first.

    A window filter also finds the records of the people posted there on the
    record's day, so a window's page shows everything that concerns it.
    """
    qs = records_visible(user).select_related("person", "window", "recorded_by", "voided_by")
    if f.month:
        year, month = (int(x) for x in f.month.split("-"))
        qs = qs.filter(date__year=year, date__month=month)
    if f.window is not None:
        posted = Assignment.objects.filter(
            Q(end__isnull=True) | Q(end__gte=OuterRef("date")),
            window=f.window,
            person_id=OuterRef("person_id"),
            start__lte=OuterRef("date"),
        )
        qs = qs.filter(Q(window=f.window) | Q(Exists(posted)))
    if f.person is not None:
        qs = qs.filter(person=f.person)
    if f.item:
        qs = qs.filter(Q(item_code__istartswith=f.item) | Q(item_name__icontains=f.item))
    if not f.include_voided:
        qs = qs.filter(voided_at__isnull=True)
    return qs.annotate(photo_count=Count("evidence")).order_by("-date", "-id")


def record_get(user: User, pk: int) -> Record:
    record = (
        records_visible(user)
        .select_related("person", "window", "recorded_by", "voided_by", "center")
        .filter(pk=pk)
        .first()
    )
    if record is None:
        raise Http404("台账记录不存在")
    return record


def evidence_get(user: User, pk: int) -> Evidence:
    evidence = Evidence.objects.filter(pk=pk, record__in=records_visible(user)).first()
    if evidence is None:
        raise Http404("证据照片不存在")
    return evidence


@dataclass(frozen=True)
class ItemChoice:
    """A catalog item as the forms show it."""

    code: str
    name: str
    dimension: str
    points: Decimal | None
    range: tuple[Decimal, Decimal] | None
    free_entry: bool
    unit: str
    has_major: bool
    exempt: bool
    effect: str | None
    uses: int = 0

    @property
    def needs_points(self) -> bool:
        return self.points is None

    @property
    def points_label(self) -> str:
        if self.points is not None:
            return f"{self.points} 分/{self.unit}"
        if self.range is not None:
            return f"{self.range[0]}–{self.range[1]} 分"
        return "自由填写"

    @property
    def is_add(self) -> bool:
        return self.effect == "add"


def _choice(item: Item, uses: int) -> ItemChoice:
    return ItemChoice(
        code=item.code,
        name=item.name,
        dimension=item.dimension,
        points=item.points,
        range=item.range,
        free_entry=item.free_entry,
        unit=item.unit or "次",
        has_major=item.major is not None,
        exempt=item.exempt,
        effect=item.effect,
        uses=uses,
    )


def item_catalog(center: Center, on: date, *, most_used_first: bool = False) -> list[ItemChoice]:
    """The items of the regulation in force on ``on``; optionally the center's habits first.

    "Most used" counts the center's live records of the last 90 days, so the
    patrol page puts 着装 and 离岗 at the thumb and rare items further down.
    """
    try:
        policy = bridge.policy_for(center, on)
    except bridge.NoPolicyError:
        return []
    uses: dict[str, int] = {}
    if most_used_first:
        uses = dict(
            Record.objects.filter(
                center=center,
                voided_at__isnull=True,
                date__gte=on - timedelta(days=90),
                date__lte=on,
            )
            .values_list("item_code")
            .annotate(n=Count("id"))
            .values_list("item_code", "n")
        )
    choices = [_choice(it, uses.get(it.code, 0)) for it in policy.items]
    if most_used_first:
        order = {c.code: i for i, c in enumerate(choices)}
        choices.sort(key=lambda c: (-c.uses, order[c.code]))
    return choices


def item_lookup(center: Center, on: date, code: str) -> ItemChoice | None:
    return next((c for c in item_catalog(center, on) if c.code == code), None)


def patrol_windows(user: User) -> QuerySet[Window]:
    return visible_windows(user).filter(active=True).select_related("unit").order_by("code")


def window_people(window: Window, on: date) -> list[Person]:
    """Who is posted at the window on ``on`` (a substitute included, in assignment order)."""
    current = Q(start__lte=on) & (Q(end__isnull=True) | Q(end__gte=on))
    ids = (
        Assignment.objects.filter(current, window=window)
        .order_by("start", "id")
        .values_list("person_id", flat=True)
    )
    people = {p.pk: p for p in Person.objects.filter(pk__in=list(ids), active=True)}
    seen: list[Person] = []
    for pk in ids:
        if pk in people and people[pk] not in seen:
            seen.append(people[pk])
    return seen
