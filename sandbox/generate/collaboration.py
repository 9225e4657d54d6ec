"""Comments, approvals and to-dos attached to existing records."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sandbox.values import (
    Ref,
    iso_z,
)

if TYPE_CHECKING:
    from sandbox.generate.world import (
        World,
    )

COMMENTABLE = {
    "Project": "projects",
    "Company": "companies",
    "Deal": "deals",
    "Invoice": "invoices",
    "Offer": "offers",
    "Contact": "contacts",
    "Purchase": "purchases",
    "User": "users",
}
TODOABLE = {
    "Assignment": "projects",
    "Company": "companies",
    "Contact": "contacts",
    "Deal": "deals",
    "Invoice": "invoices",
    "Offer": "offers",
    "Purchase": "purchases",
    "User": "users",
}


def describe(record: dict[str, Any]) -> str:
    """A human label of any record (name, title or person)."""
    if "firstname" in record:
        return f"{record['firstname']} {record['lastname']}"
    return str(record.get("name") or record.get("title") or record.get("identifier") or "")


def make_comment(w: World, parent: int | None = None) -> dict[str, Any]:
    """A note on a project, company, deal, invoice..."""
    del parent
    rng = w.rng
    kind = rng.choice(list(COMMENTABLE))
    target = w.pick(COMMENTABLE[kind]) or {}
    created = target.get("_c", w.store.anchor - 86400 * 30)
    day = dt.datetime.fromtimestamp(created, tz=dt.timezone.utc).date()
    return w.add(
        "comments",
        {
            "commentable_id": target.get("id", 0),
            "commentable_type": kind,
            "text": w.gen.sentence(),
            "manual": rng.random() < 0.85,
            "user": w.user_ref(),
            "impersonating_user": None,
        },
        day=w.gen.date(day, w.today),
    )


def make_approval(w: World, parent: int | None = None) -> dict[str, Any]:
    """An approval request for an invoice or a purchase."""
    del parent
    rng = w.rng
    target_type = rng.choice(("invoice", "purchase"))
    target = w.pick(f"{target_type}s") or {}
    status = rng.choices(("pending", "approved", "denied"), weights=(25, 65, 10))[0]
    record = w.add(
        "approvals",
        {
            "status": status,
            "target_type": target_type,
            "decided_at": None,
            "note": None,
            "deny_note": "Bitte Betrag prüfen." if status == "denied" else None,
            "creator": w.user_ref(),
            "approver": Ref("users", w.store.owner_id),
            "approver2": None,
            "processed_by": Ref("users", w.store.owner_id) if status != "pending" else None,
            "target": Ref(f"{target_type}s", target["id"]) if target else None,
        },
        day=dt.date.fromisoformat(target["date"]) if target else None,
    )
    if status != "pending":
        record["decided_at"] = iso_z(record["_u"])
    return record


def make_todo(w: World, parent: int | None = None) -> dict[str, Any]:
    """A to-do attached to a record."""
    del parent
    rng = w.rng
    kind = rng.choice(list(TODOABLE))
    target = w.pick(TODOABLE[kind]) or {}
    completed = rng.random() < 0.5
    day = w.gen.date(w.today - dt.timedelta(days=365), w.today)
    due = day + dt.timedelta(days=rng.randint(1, 30))
    record = w.add(
        "todos",
        {
            "title": rng.choice(
                ("Rückruf vereinbaren", "Angebot nachfassen", "Rechnung prüfen", "Vertrag senden")
            ),
            "due_date": iso_z(w.gen.epoch(due)) if rng.random() < 0.8 else None,
            "completed_at": None,
            "completed": completed,
            "personal": rng.random() < 0.2,
            "todoable_id": target.get("id", 0),
            "todoable_type": kind,
            "todoable_description": describe(target),
            "created_by": w.user_ref(),
            "assigned_to": w.user_ref(),
        },
        day=day,
    )
    if completed:
        record["completed_at"] = iso_z(record["_u"])
    return record


def build_collaboration(w: World) -> None:
    """Comments, approvals and to-dos referencing existing records."""
    for _ in range(w.count("comments")):
        make_comment(w)
    for _ in range(w.count("approvals")):
        make_approval(w)
    for _ in range(w.count("todos")):
        make_todo(w)
