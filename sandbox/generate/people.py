"""People: users (about 10% archived), employments, holidays, absences, presences."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sandbox.generate.reference import (
    ABSENCES,
)
from sandbox.values import (
    Ref,
    iso_z,
    refs_uuid,
)

if TYPE_CHECKING:
    from sandbox.generate.world import (
        World,
    )


def make_user(w: World, parent: int | None = None, *, archived: bool = False) -> dict[str, Any]:
    """A staff member with unit, role, sales rate and yearly internal cost rates."""
    del parent
    rng = w.rng
    first, last = w.gen.person()
    owner = not w.store.table("users")
    roles = w.ids("user_roles")
    role = roles[0] if owner and roles else (rng.choice(roles) if roles else None)
    record = {
        "firstname": first,
        "lastname": last,
        "active": not archived,
        "extern": not owner and rng.random() < 0.08,
        "email": w.gen.email(first, last, "agentur-nordlicht.example"),
        "mobile_phone": w.gen.phone(),
        "work_phone": w.gen.phone(),
        "home_address": w.gen.address(),
        "info": None,
        "birthday": w.gen.date(dt.date(1962, 1, 1), dt.date(2002, 12, 31)).isoformat(),
        "iban": w.gen.iban(),
        "avatar_url": f"https://avatars.example.com/{rng.randint(10**6, 10**7)}.png",
        "tags": w.tag_names("User", 1),
        "custom_properties": {"Skills": rng.sample(("Design", "Backend", "Frontend", "SEO"), 2)},
        "credit_number": None,
        "role": Ref("user_roles", role) if role else None,
        "unit": w.ref("units"),
        "_rate": float(rng.choice((95, 110, 120, 135, 150))),
        "_internal": {year: float(rng.randint(38, 75)) for year in w.store.plan_years},
    }
    joined = w.gen.date(w.start - dt.timedelta(days=1500), w.start)
    user = w.add("users", record, day=joined)
    if owner:
        w.store.owner_id = user["id"]
        w.store.session_uuid = refs_uuid(rng)
    return user


def make_user_employment(
    w: World, parent: int | None = None, *, user_id: int | None = None
) -> dict[str, Any]:
    """A weekly working-time model (hours per half day, Monday to Friday)."""
    del parent
    rng = w.rng
    user_id = user_id or w.rng.choice(w.ids("users"))
    am = [4.0] * 5
    pm = rng.choice(([4.0] * 5, [4.0, 4.0, 4.0, 4.0, 0.0], [4.0, 0.0, 4.0, 0.0, 0.0]))
    start = w.start - dt.timedelta(days=rng.randint(0, 900))
    return w.add(
        "user_employments",
        {
            "weekly_target_hours": sum(am) + sum(pm),
            "pattern": {"am": am, "pm": pm},
            "from": start.isoformat(),
            "to": None,
            "user": Ref("users", user_id),
        },
        day=w.start,
    )


def build_people(w: World) -> None:
    """Users (about 10% archived), employments, holidays, absences, presences."""
    rng = w.rng
    archived = w.archived_indexes(w.count("users"))
    for index in range(w.count("users")):
        make_user(w, archived=index in archived)
    for user in w.rows("users"):
        employment = make_user_employment(w, user_id=user["id"])
        if rng.random() < 0.25:
            changed = w.gen.date(w.start + dt.timedelta(days=200), w.today - dt.timedelta(days=60))
            employment["to"] = (changed - dt.timedelta(days=1)).isoformat()
            later = make_user_employment(w, user_id=user["id"])
            later["from"] = changed.isoformat()
        for year in w.store.plan_years:  # next year's entitlements are entered in December
            days = float(rng.choice((28, 30, 30, 25)))
            w.add(
                "user_holidays",
                {
                    "year": year,
                    "title": f"Urlaubsanspruch {year}",
                    "days": days,
                    "hours": days * 8,
                    "user": Ref("users", user["id"]),
                    "creator": Ref("users", w.store.owner_id),
                },
                day=max(dt.date(year, 1, 2), w.start) if year <= w.today.year else w.plan_day(),
            )
    for unit in w.rows("units"):
        members = [u["id"] for u in w.rows("users") if u.get("unit") == Ref("units", unit["id"])]
        unit["users"] = [Ref("users", uid) for uid in members]
    for _ in range(w.count("schedules")):
        make_schedule(w)
    for _ in range(w.count("presences")):
        make_presence(w)
    for _ in range(w.count("user_work_time_adjustments")):
        make_work_time_adjustment(w)
    for _ in range(w.count("user_absence_requests")):
        make_absence_request(w)


def make_schedule(w: World, parent: int | None = None) -> dict[str, Any]:
    """An absence (vacation, sickness, public holiday...) on one day, possibly half a day."""
    del parent
    rng = w.rng
    code = rng.choices((1, 2, 3, 4, 5), weights=(5, 10, 25, 50, 10))[0]
    name, color = ABSENCES[code]
    day = w.gen.weekday(w.start, w.plan_until)
    half = rng.random() < 0.15
    am = not half or rng.random() < 0.5
    return w.add(
        "schedules",
        {
            "date": day.isoformat(),
            "comment": None if rng.random() < 0.7 else w.gen.sentence(),
            "am": am,
            "pm": not half or not am,
            "symbol": None,
            "assignment": {
                "id": 100 + code,
                "name": name,
                "code": str(code),
                "customer_name": None,
                "color": color,
                "type": "Absence",
            },
            "user": w.user_ref(),
            "_code": code,
        },
        day=day,
    )


def make_presence(w: World, parent: int | None = None) -> dict[str, Any]:
    """A working-time block with local clock times."""
    del parent
    rng = w.rng
    day = w.gen.weekday(w.start, w.today)
    begin = rng.choice(("07:45", "08:00", "08:30", "09:00", "09:15", "13:00"))
    end = rng.choice(("12:00", "16:30", "17:00", "17:45", "18:30"))
    if end < begin:
        begin, end = "08:00", "12:00"
    return w.add(
        "presences",
        {
            "date": day.isoformat(),
            "from": begin,
            "to": None if day == w.today else end,
            "is_home_office": rng.random() < 0.35,
            "user": w.user_ref(),
        },
        day=day,
    )


def make_work_time_adjustment(w: World, parent: int | None = None) -> dict[str, Any]:
    """A manual correction of a user's overtime balance."""
    del parent
    rng = w.rng
    day = w.gen.date()
    reasons = ("Überstundenabbau", "Korrektur Zeiterfassung", "Übertrag Vorjahr", "Sonderurlaub")
    return w.add(
        "user_work_time_adjustments",
        {
            "date": day.isoformat(),
            "description": rng.choice(reasons),
            "hours": float(rng.choice((-8, -4, 2, 4, 8, 16))),
            "user": w.user_ref(),
            "creator": Ref("users", w.store.owner_id),
        },
        day=day,
    )


def make_absence_request(w: World, parent: int | None = None) -> dict[str, Any]:
    """A vacation/sickness request covering a few weekdays."""
    del parent
    rng = w.rng
    first = w.gen.weekday(w.start, w.today + dt.timedelta(days=120))
    days = []
    for offset in range(rng.randint(1, 5)):
        day = first + dt.timedelta(days=offset)
        if day.weekday() < 5:
            days.append({"date": day.isoformat(), "am": True, "pm": True})
    status = "approved" if first < w.today or rng.random() < 0.5 else "pending"
    owner = Ref("users", w.store.owner_id)
    record = w.add(
        "user_absence_requests",
        {
            "type": rng.choices(("vacation", "sickness", "other"), weights=(70, 20, 10))[0],
            "status": status,
            "total_days": float(len(days)),
            "days": days,
            "comment": None,
            "user": w.user_ref(),
            "approver": owner if status == "approved" else None,
            "selected_approver": owner,
            "custom_properties": {},
        },
        day=min(first, w.today) - dt.timedelta(days=rng.randint(3, 30)),
    )
    record["approved_at"] = iso_z(record["_u"]) if status == "approved" else None
    return record
