"""Reading one MOCO list.

`pages`: passes, re-reads and pages in flight; `link_header`: MOCO's `Link` header as an SDK
paginator; `prefetch`: pages fetched ahead; `progress`: progress lines; `date_windows`: the
date windows of reports and year-filtered lists.
"""
