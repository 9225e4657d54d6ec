"""Reports: read in explicit date windows, because MOCO defaults to the current year."""

from functools import partial

from tap_moco.spec import WINDOW_START, Window, windowed

_report = partial(windowed, permission="reports")

SPECS = (
    _report(
        "report_absences",
        "/report/absences",
        window=Window.YEAR,
        primary_keys=(WINDOW_START, "user_id"),
    ),
    _report(
        "report_cashflow",
        "/report/cashflow",
        window=Window.MONTH,
        primary_keys=("kind", "record_id"),
    ),
    _report(
        "report_finance", "/report/finance", window=Window.MONTH, primary_keys=("kind", "record_id")
    ),
    _report(
        "report_planned_vs_tracked",
        "/report/planned_vs_tracked",
        window=Window.MONTH,
        primary_keys=(WINDOW_START, "user_id", "project_id"),
    ),
    _report(
        "report_utilization",
        "/report/utilization",
        window=Window.MONTH,
        primary_keys=("date", "user_id"),
    ),
)
