"""Operating Kairan: beat's own heartbeat, the staff status page and its metrics, JSON logs,
backups and restores (docs/operations.md)."""
