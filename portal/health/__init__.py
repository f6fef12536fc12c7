"""Health and readiness endpoints (/healthz, /readyz): docs/operations.md, "Health checks"."""
