"""Accounts generated once per process: a sandbox with the same data starts from a copy.

The suite starts a few hundred sandboxes, most of them with the same data fields, and the
default account takes about half a CPU-second to generate. Generation is a function of the
data fields alone (`seed`, `scale`, `counts`, `today`, `history_days`, `archived_share`:
everything `Store` and the builders read from the config), so the state right after
`populate` is kept pickled and each later sandbox unpickles its own copy: the same records,
ids, rendered references and random sequence, in about a sixth of the time. Every copy is
independent; the config and the store's lock are each sandbox's own.
"""

from __future__ import annotations

import pickle
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from sandbox.generate import populate
from sandbox.store import Store

if TYPE_CHECKING:
    from sandbox.config import SandboxConfig
    from sandbox.generate.world import World

KEPT = 24
"""Snapshots kept per process, the most recently used."""
LARGEST = 25_000
"""Records: a larger account (the bench's, a volume test's) is generated each time rather
than pickled (the default account holds about 5,300, 2 MB pickled)."""

_SNAPSHOTS: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()


def _key(config: SandboxConfig, store: Store) -> tuple[Any, ...]:
    return (
        config.seed,
        config.scale,
        tuple(sorted(config.counts.items())),
        store.today,  # a config without `today` generates for the current date
        config.history_days,
        config.archived_share,
    )


def generated(config: SandboxConfig) -> tuple[Store, World]:
    """The account `config` describes, generated or copied from one generated before."""
    store = Store(config)
    key = _key(config, store)
    snapshot = _SNAPSHOTS.get(key)
    if snapshot is not None:
        _SNAPSHOTS.move_to_end(key)
        copy: tuple[Store, World] = pickle.loads(snapshot)
        copied, world = copy
        copied.config, copied.lock = config, threading.RLock()
        return copied, world
    world = populate(store)
    if sum(len(table) for table in store.tables.values()) > LARGEST:
        return store, world
    lock = store.lock
    store.config, store.lock = None, None  # each sandbox's own, not part of the data
    try:
        _SNAPSHOTS[key] = pickle.dumps((store, world), protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        store.config, store.lock = config, lock
    while len(_SNAPSHOTS) > KEPT:
        _SNAPSHOTS.popitem(last=False)
    return store, world
