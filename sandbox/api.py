"""MOCO's REST semantics without HTTP: routing, list/object/detail answers and mutations.

`server.py` wraps this in sockets, auth, rate limits and faults; `Sandbox.expected()` uses
the same code paths without pagination, so "what a complete sync should return" can never
drift from what the server actually answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox.catalog import TAGGING_ENTITIES, Resource
from sandbox.computed import Computed, NotFoundError
from sandbox.docs_shapes import DocsShaper
from sandbox.generate import CONFORM_ORDER, World, make_one
from sandbox.query import INDEXED_ROWS, Index, Page, QueryError, select
from sandbox.store import Store, dumps, public
from sandbox.values import Ref

if TYPE_CHECKING:
    from collections.abc import Callable

    from sandbox.config import SandboxConfig

JSON = "application/json; charset=utf-8"

DERIVED = frozenset(
    {"invoices_locked", "invoice_timesheets", "invoice_expenses", "projects_assigned"}
)
"""Lists computed from other tables; they cannot be mutated directly."""

COMPUTED_LISTS = frozenset(
    {
        "internal_hourly_rates",
        "report_absences",
        "report_cashflow",
        "report_finance",
        "report_planned_vs_tracked",
        "report_utilization",
    }
)
"""Lists the server computes with their own window parameters."""

EMBEDDED_CHILDREN = {"project_tasks": "tasks", "project_contracts": "contracts"}
"""Nested tables whose records the parent embeds in a compact list."""


@dataclass
class Answer:
    """A response before it meets the socket."""

    status: int
    body: bytes
    content_type: str = JSON
    headers: list[tuple[str, str]] = field(default_factory=list)
    is_list: bool = False


def message(status: int, text: str) -> Answer:
    """MOCO's error shape: `{"message": "..."}`."""
    return Answer(status, dumps({"message": text}))


NOT_FOUND = "Not found"


@dataclass(frozen=True)
class Route:
    """A resolved request path: which resource, which kind of answer, which path ids."""

    resource: Resource
    kind: str
    template: str
    params: dict[str, Any]

    @property
    def is_list(self) -> bool:
        """Whether the answer is a (paginated) array."""
        return self.kind == "list"


class Router:
    """Maps request paths to resources using the templates of `resources.json`."""

    def __init__(self, catalog: dict[str, Resource]) -> None:
        """Compile every list, object and detail template once."""
        self.exact: dict[str, tuple[Resource, str]] = {}
        self.patterns: list[tuple[re.Pattern[str], Resource, str, str, list[str]]] = []
        for resource in catalog.values():
            kind = "list" if resource.response in ("array", "strings") else "object"
            for template in (resource.path, *resource.alt_paths):
                self._add(template, resource, kind)
            if resource.detail_path:
                self._add(resource.detail_path, resource, "detail")

    def _add(self, template: str, resource: Resource, kind: str) -> None:
        """Register one template; `{entity}` matches a word, other placeholders digits."""
        names = re.findall(r"{(\w+)}", template)
        if not names:
            self.exact[template] = (resource, kind)
            return
        pattern = re.escape(template)
        for name in names:
            group = "([A-Za-z]+)" if name == "entity" else r"(\d+)"
            pattern = pattern.replace(re.escape(f"{{{name}}}"), group)
        self.patterns.append((re.compile(f"^{pattern}$"), resource, kind, template, names))

    def resolve(self, path: str) -> Route | None:
        """The route for a path below `/api/v1`, or None (404)."""
        if path in self.exact:
            resource, kind = self.exact[path]
            return Route(resource, kind, path, {})
        for pattern, resource, kind, template, names in self.patterns:
            match = pattern.match(path)
            if match:
                values = {
                    name: value if name == "entity" else int(value)
                    for name, value in zip(names, match.groups(), strict=True)
                }
                return Route(resource, kind, template, values)
        return None


class Api:
    """Answers routed requests from the store and applies mutations."""

    def __init__(self, store: Store, world: World, config: SandboxConfig) -> None:
        """Bind to generated data."""
        self.store = store
        self.world = world
        self.config = config
        self.catalog = store.catalog
        self.router = Router(self.catalog)
        self.computed = Computed(store)
        self._cache: dict[tuple[Any, ...], tuple[int, list[Any]]] = {}
        self._indexes: dict[str, tuple[int, Index]] = {}
        self._docs: DocsShaper | None = None

    # --- answering -----------------------------------------------------------------------

    def answer(self, route: Route, params: dict[str, str], base: str, path: str) -> Answer:
        """The response to a routed GET (Link headers point at `base + path`)."""
        with self.store.lock:
            try:
                if route.kind == "list":
                    return self._list(route, params, base, path)
                if route.kind == "detail":
                    return Answer(200, dumps(self.shaped(route, self.detail(route))))
                return Answer(200, dumps(self.shaped(route, self.single(route, params))))
            except NotFoundError:
                return message(404, NOT_FOUND)
            except QueryError as error:
                return message(error.status, error.message)

    def _list(self, route: Route, params: dict[str, str], base: str, path: str) -> Answer:
        """One page of a list with MOCO's pagination headers."""
        rows = self.rows(route, params)
        page = Page.from_params(params)
        chunk = page.slice(rows)
        if route.resource.response == "strings":
            body = dumps(chunk)
        elif self.config.answer_shape == "docs":
            body = dumps([self.shaped(route, public(row)) for row in chunk])
        else:
            body = self.store.array_json(chunk, cache=self.store.caches_json(route.resource.name))
        headers = [
            ("X-Page", str(page.page)),
            ("X-Per-Page", str(page.per_page)),
            ("X-Total", str(len(rows))),
        ]
        if page.has_next(len(rows)):
            headers.append(("Link", f'<{base}{path}?page={page.page + 1}>; rel="next"'))
        return Answer(200, body, headers=headers, is_list=True)

    def shaped(self, route: Route, record: Any) -> Any:
        """`record` as the docs' examples show it when `answer_shape` is `docs`."""
        if self.config.answer_shape != "docs":
            return record
        if self._docs is None:
            self._docs = DocsShaper()
        return self._docs(route.resource.name, record)

    def normalized(self, resource: Resource, params: dict[str, str]) -> dict[str, str]:
        """Parameters with MOCO's defaults applied (the current year for year windows)."""
        if resource.window_default == "year" and "year" not in params:
            return {**params, "year": str(self.store.today.year)}
        return params

    def rows(self, route: Route, params: dict[str, str]) -> list[Any]:
        """All records (or strings) of a list route, filtered and sorted; cached per version."""
        resource = route.resource
        params = self.normalized(resource, params)
        relevant = tuple(sorted((k, v) for k, v in params.items() if k not in ("page", "per_page")))
        key = (resource.name, route.template, tuple(sorted(route.params.items())), relevant)
        cached = self._cache.get(key)
        if cached is not None and cached[0] == self.store.version:
            return cached[1]
        rows = self._compute_rows(route, params)
        if len(self._cache) > 512:
            self._cache.clear()
        self._cache[key] = (self.store.version, rows)
        return rows

    def _compute_rows(self, route: Route, params: dict[str, str]) -> list[Any]:
        """Filter the route's source rows (or compute report rows)."""
        resource = route.resource
        name = resource.name
        computed = self.computed
        if name == "taggings":
            return computed.taggings(route.params["entity"], route.params["entity_id"])
        if name == "projects_assigned":
            return computed.projects_assigned(params)
        if name in COMPUTED_LISTS:
            handler: Callable[[dict[str, str]], list[Any]] = getattr(computed, name)
            return handler(params)
        index = self._index(route)
        source = index.all_rows() if index is not None else self.source(route)
        selected = select(resource, source, params, self.store.today, index)
        if name == "fixed_costs":
            return computed.fixed_costs(selected, params)
        if name == "projects" and params.get("include_company", "").lower() == "true":
            companies = self.store.table("companies")
            return [self._with_company(row, companies) for row in selected]
        return selected

    def _index(self, route: Route) -> Index | None:
        """The `Index` of a long top-level stored list, for this data version; else None."""
        resource = route.resource
        name = resource.name
        if (
            name in DERIVED
            or name in COMPUTED_LISTS
            or route.template != resource.path
            or (resource.parent_resource and resource.path_param in route.params)
        ):
            return None
        rows = self.store.tables.get(name)
        if rows is None or len(rows) < INDEXED_ROWS:
            return None
        store = self.store
        held = self._indexes.get(name)
        if held is not None and held[0] != store.version:
            index = held[1]
            since = store.mutations[held[0] :]
            changed = {change.id for change in since if change.resource == name}
            if len(store.mutations) == store.version and index.refresh(changed):
                held = self._indexes[name] = (store.version, index)
            else:
                held = None
        if held is None:
            held = self._indexes[name] = (store.version, Index(rows))
        return held[1]

    def _with_company(self, project: dict[str, Any], companies: dict[int, Any]) -> dict[str, Any]:
        """A project whose `customer` is the full company (`include_company=true`)."""
        customer = project.get("customer") or {}
        company = companies.get(customer.get("id", 0))
        if company is None:
            return project
        copy = {k: v for k, v in project.items() if k != "_json"}
        full = public(company)
        copy["customer"] = {k: full.get(k) for k in self.catalog["companies"].fields}
        return copy

    def source(self, route: Route) -> list[dict[str, Any]]:
        """The unfiltered records behind a list route (404 for an unknown parent)."""
        resource = route.resource
        name = resource.name
        store = self.store
        if name == "invoices_locked":
            return [row for row in store.table("invoices").values() if row.get("locked")]
        if name in ("invoice_timesheets", "invoice_expenses"):
            invoice_id = route.params["invoice_id"]
            if invoice_id not in store.table("invoices"):
                raise NotFoundError
            if name == "invoice_timesheets":
                return self.computed.invoice_timesheet(invoice_id)
            return self.computed.invoice_expenses(invoice_id)
        rows = store.table(name)
        if route.template != resource.path and "project_id" in route.params:
            project_id = route.params["project_id"]
            if project_id not in store.table("projects"):
                raise NotFoundError
            return [r for r in rows.values() if (r.get("project") or {}).get("id") == project_id]
        parent = resource.parent_resource
        if parent and resource.path_param in route.params:
            parent_id = route.params[resource.path_param]
            if parent_id not in store.table(parent):
                raise NotFoundError
            return [row for row in rows.values() if row.get("_p") == parent_id]
        return list(rows.values())

    def single(self, route: Route, params: dict[str, str]) -> dict[str, Any]:
        """A single-object endpoint (profile, rates, per-parent reports, approvals...)."""
        name = route.resource.name
        computed = self.computed
        if name == "session":
            return computed.session()
        if name == "profile":
            return computed.profile()
        if name == "hourly_rates":
            return computed.hourly_rates(params)
        if name == "profile_performance_report":
            return computed.performance_report(self.store.owner_id, params)
        if name == "user_performance_reports":
            return computed.performance_report(route.params["user_id"], params)
        if name == "project_reports":
            return computed.project_report(route.params["project_id"])
        if name == "offer_customer_approvals":
            offer_id = route.params["offer_id"]
            if offer_id in self.store.table("offers"):
                for row in self.store.table(name).values():
                    if row.get("_p") == offer_id:
                        return public(row)
            raise NotFoundError
        raise NotFoundError

    def detail(self, route: Route) -> dict[str, Any]:
        """`GET /{resource}/{id}`: the record, with detail-only fields for invoices/offers."""
        resource = route.resource
        record = None
        if resource.name not in DERIVED and resource.name not in COMPUTED_LISTS:
            record = self.store.table(resource.name).get(route.params.get("id", -1))
        if record is None:
            raise NotFoundError
        parent_param = resource.path_param or "project_id"
        if parent_param in route.params:
            parent_id = route.params[parent_param]
            owner = record.get("_p", (record.get("project") or {}).get("id"))
            if owner != parent_id:
                raise NotFoundError
        if resource.detail_fields is None:
            return public(record)
        return self.document(resource, record)

    def document(self, resource: Resource, record: dict[str, Any]) -> dict[str, Any]:
        """An invoice or offer with items, payments, reminders and texts."""
        store = self.store
        specs = resource.detail_fields or {}
        extra: dict[str, Any] = {
            "salutation": record.get("_salutation"),
            "footer": record.get("_footer"),
            "internal_contact": record.get("_contact"),
            "items": record.get("_items", []),
        }
        if resource.name == "invoices":
            payments = [
                p
                for p in store.table("invoice_payments").values()
                if p.get("_invoice_id") == record["id"]
            ]
            extra["payments"] = [
                {
                    "id": p["id"],
                    "date": p["date"],
                    "paid_total": float(p["paid_total"]),
                    "currency": p["currency"],
                    "created_on": p["created_at"][:10],
                    "updated_on": p["updated_at"][:10],
                }
                for p in payments
            ]
            reminders = [
                r
                for r in store.table("invoice_reminders").values()
                if r.get("_invoice_id") == record["id"]
            ]
            extra["reminders"] = [
                {
                    "id": r["id"],
                    "date": r["date"],
                    "due_date": r["due_date"],
                    "fee": r["fee"],
                    "text": r["text"],
                    "created_on": r["created_at"][:10],
                    "updated_on": r["updated_at"][:10],
                }
                for r in reminders
            ]
        view = {}
        for name, spec in specs.items():
            value = record[name] if name in record else extra.get(name)
            view[name] = store.render(value, spec)
        return view

    # --- complete syncs ------------------------------------------------------------------

    def collect(self, resource_name: str, params: dict[str, str]) -> list[Any]:
        """Every record a complete sync of a resource returns (all parents, all pages)."""
        resource = self.catalog[resource_name]
        params = dict(params)
        if resource.archived:
            params.setdefault(resource.archived["param"], "true")
        with self.store.lock:
            if resource_name == "taggings":
                return self._collect_taggings()
            templates = self._parent_routes(resource)
            out: list[Any] = []
            for route, stamp in templates:
                out.extend(self._collect_route(route, params, stamp))
            return out

    def _parent_routes(self, resource: Resource) -> list[tuple[Route, dict[str, Any]]]:
        """One route per parent record for nested resources, else the top-level route."""
        kind = "list" if resource.response in ("array", "strings") else "object"
        parent = resource.parent_resource
        if not parent:
            return [(Route(resource, kind, resource.path, {}), {})]
        param = resource.path_param or "id"
        return [
            (Route(resource, kind, resource.path, {param: parent_id}), {param: parent_id})
            for parent_id in self.store.table(parent)
        ]

    def _collect_route(
        self, route: Route, params: dict[str, str], stamp: dict[str, Any]
    ) -> list[Any]:
        """The records of one route, parsed back from JSON as a client would see them."""
        import json

        try:
            if route.kind == "object":
                payload = self.single(route, params)
                return [{**payload, **stamp}] if stamp else [payload]
            rows = self.rows(route, params)
        except NotFoundError:
            return []
        cache = self.store.caches_json(route.resource.name)
        records = json.loads(self.store.array_json(rows, cache=cache))
        return [{**record, **stamp} for record in records] if stamp else records

    def _collect_taggings(self) -> list[dict[str, Any]]:
        """`{entity, entity_id, tag}` for every tag of every taggable record."""
        out: list[dict[str, Any]] = []
        for entity, resource in TAGGING_ENTITIES.items():
            for record_id, record in self.store.table(resource).items():
                out.extend(
                    {"entity": entity, "entity_id": record_id, "tag": tag}
                    for tag in record.get("tags") or []
                )
        return out

    # --- mutations -----------------------------------------------------------------------

    def mutable(self, resource: str) -> bool:
        """Whether records of this resource are stored (and so can change)."""
        entry = self.catalog.get(resource)
        return (
            entry is not None
            and entry.response != "strings"
            and resource not in DERIVED
            and resource not in COMPUTED_LISTS
            and resource in self.store.tables
        )

    def _check_mutable(self, resource: str) -> None:
        """Raise ValueError for resources the sandbox computes."""
        if not self.mutable(resource):
            msg = f"{resource!r} is not a stored resource; it cannot be mutated"
            raise ValueError(msg)

    def create(
        self, resource: str, overrides: dict[str, Any], *, injected: bool = False
    ) -> dict[str, Any]:
        """Create a record (and the children its builder adds) with timestamps of now."""
        self._check_mutable(resource)
        entry = self.catalog[resource]
        store = self.store
        overrides = dict(overrides)
        parent = overrides.pop(entry.path_param, None) if entry.path_param else None
        parent = overrides.pop("parent", parent)
        with store.lock:
            store.live, store.added = True, []
            try:
                record = make_one(self.world, resource, parent)
                record.update(overrides)
            finally:
                store.live = False
            added = sorted(
                store.added,
                key=lambda item: CONFORM_ORDER.index(item[0]) if item[0] in CONFORM_ORDER else 99,
            )
            picker = store.picker()
            for name, record_id in added:
                table = store.table(name)
                table[record_id] = store.conform(name, table[record_id], picker=picker)
            for name, record_id in store.added:
                store.log_mutation("create", name, record_id, injected=injected)
                self._refresh_embeds(name, store.table(name)[record_id])
            return public(store.table(resource)[record["id"]])

    def update(
        self, resource: str, record_id: int, changes: dict[str, Any], *, injected: bool = False
    ) -> dict[str, Any]:
        """Bump `updated_at` to now (and apply field changes, if any)."""
        self._check_mutable(resource)
        store = self.store
        with store.lock:
            record = store.table(resource).get(record_id)
            if record is None:
                msg = f"{resource} {record_id} does not exist"
                raise KeyError(msg)
            specs = self.catalog[resource].fields
            for name, value in changes.items():
                record[name] = store.render(value, specs.get(name)) if name in specs else value
            store.touch(record)
            store.log_mutation("update", resource, record_id, injected=injected)
            return public(record)

    def delete(self, resource: str, record_id: int, *, injected: bool = False) -> None:
        """Remove a record (and nested children that hang off it)."""
        self._check_mutable(resource)
        store = self.store
        with store.lock:
            record = store.table(resource).pop(record_id, None)
            if record is None:
                msg = f"{resource} {record_id} does not exist"
                raise KeyError(msg)
            store.log_mutation("delete", resource, record_id, injected=injected)
            for child in self.catalog.values():
                if child.parent_resource == resource and child.name in store.tables:
                    rows = store.table(child.name)
                    for child_id in [
                        cid for cid, row in rows.items() if row.get("_p") == record_id
                    ]:
                        del rows[child_id]
                        store.log_mutation("delete", child.name, child_id, injected=injected)
            self._refresh_embeds(resource, record)

    def _refresh_embeds(self, resource: str, record: dict[str, Any]) -> None:
        """Keep compact embedded lists (project tasks/contracts, company projects) current."""
        store = self.store
        if resource in EMBEDDED_CHILDREN:
            project = store.table("projects").get(record.get("_p", -1))
            if project is not None:
                key = EMBEDDED_CHILDREN[resource]
                refs = [
                    Ref(resource, rid)
                    for rid, r in store.table(resource).items()
                    if r.get("_p") == project["id"]
                ]
                project[key] = store.render(refs, self.catalog["projects"].fields[key])
                project.setdefault("_refs", {})[key] = refs
                project.pop("_json", None)
        elif resource == "projects":
            customer = (record.get("customer") or {}).get("id", 0)
            company = store.table("companies").get(customer)
            if company is not None:
                refs = [
                    Ref("projects", pid)
                    for pid, p in store.table("projects").items()
                    if (p.get("customer") or {}).get("id") == customer
                ]
                company["projects"] = store.render(
                    refs, self.catalog["companies"].fields["projects"]
                )
                company.pop("_json", None)

    def inject_change(self, route: Route, kind: str) -> None:
        """Mutate the listed resource just before answering (a concurrent user's change)."""
        resource = route.resource.name
        if route.kind != "list" or not self.mutable(resource):
            return
        with self.store.lock:
            if kind == "create":
                overrides: dict[str, Any] = {}
                parent = route.resource.path_param
                if parent and parent in route.params:
                    overrides[parent] = route.params[parent]
                elif "project_id" in route.params:
                    overrides["parent"] = route.params["project_id"]
                self.create(resource, overrides, injected=True)
                return
            try:
                rows = self.source(route)
            except NotFoundError:
                return
            if not rows:
                return
            target = rows[self._pick(len(rows))]["id"]
            if kind == "update":
                self.update(resource, target, {}, injected=True)
            else:
                self.delete(resource, target, injected=True)

    def _pick(self, size: int) -> int:
        """An index for injected changes (seeded through the store's RNG)."""
        return self.store.rng.randrange(size)
