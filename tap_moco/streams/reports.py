"""Reports: read in explicit date windows, because MOCO defaults to the current year."""

from tap_moco.spec import WINDOW_START, StreamSpec, Window

_REPORT = {
    "replication_key": WINDOW_START,
    "updated_after": False,
    "permission": "reports",
}

SPECS = (
    StreamSpec(
        name="report_absences",
        path="/report/absences",
        primary_keys=(WINDOW_START, "user_id"),
        window=Window.YEAR,
        derived_keys={"user_id": "user.id"},
        **_REPORT,  # type: ignore[arg-type]
    ),
    StreamSpec(
        name="report_cashflow",
        path="/report/cashflow",
        primary_keys=("kind", "record_id"),
        window=Window.MONTH,
        **_REPORT,  # type: ignore[arg-type]
    ),
    StreamSpec(
        name="report_finance",
        path="/report/finance",
        primary_keys=("kind", "record_id"),
        window=Window.MONTH,
        **_REPORT,  # type: ignore[arg-type]
    ),
    StreamSpec(
        name="report_planned_vs_tracked",
        path="/report/planned_vs_tracked",
        primary_keys=(WINDOW_START, "user_id", "project_id"),
        window=Window.MONTH,
        **_REPORT,  # type: ignore[arg-type]
    ),
    StreamSpec(
        name="report_utilization",
        path="/report/utilization",
        primary_keys=("date", "user_id"),
        window=Window.MONTH,
        **_REPORT,  # type: ignore[arg-type]
    ),
)
