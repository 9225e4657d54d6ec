"""Every MOCO stream, declared as data and grouped by MOCO area."""

from __future__ import annotations

from tap_moco.streams import (
    account,
    crm,
    hr,
    invoicing,
    offers,
    projects,
    purchases,
    reports,
    time_tracking,
)

STREAM_SPECS = (
    *time_tracking.SPECS,
    *crm.SPECS,
    *projects.SPECS,
    *invoicing.SPECS,
    *offers.SPECS,
    *purchases.SPECS,
    *hr.SPECS,
    *account.SPECS,
    *reports.SPECS,
)
"""All stream declarations, in a stable order."""

SPECS_BY_NAME = {spec.name: spec for spec in STREAM_SPECS}
