"""Reports: read in explicit date windows, because MOCO defaults to the current year."""
# A stream's docstring is derived from its spec (`MocoStream.__init_subclass__`).
# ruff: noqa: D101

from functools import partial

from tap_moco.kinds import PagedListStream
from tap_moco.spec import WINDOW_START, Window, windowed

_report = partial(windowed, permission="reports")


class ReportAbsencesStream(PagedListStream):
    spec = _report(
        "report_absences",
        "/report/absences",
        window=Window.YEAR,
        primary_keys=(WINDOW_START, "user_id"),
    )


class ReportCashflowStream(PagedListStream):
    spec = _report(
        "report_cashflow",
        "/report/cashflow",
        window=Window.MONTH,
        primary_keys=("kind", "record_id"),
    )


class ReportFinanceStream(PagedListStream):
    spec = _report(
        "report_finance", "/report/finance", window=Window.MONTH, primary_keys=("kind", "record_id")
    )


class ReportPlannedVsTrackedStream(PagedListStream):
    spec = _report(
        "report_planned_vs_tracked",
        "/report/planned_vs_tracked",
        window=Window.MONTH,
        primary_keys=(WINDOW_START, "user_id", "project_id"),
    )


class ReportUtilizationStream(PagedListStream):
    spec = _report(
        "report_utilization",
        "/report/utilization",
        window=Window.MONTH,
        primary_keys=("date", "user_id"),
    )
