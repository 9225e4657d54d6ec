"""tap-moco: a Singer tap for MOCO, the agency ERP and time-tracking SaaS."""
