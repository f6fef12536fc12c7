"""Service functions of the portal: each owns its transaction, changes state, writes the
audit entry and queues mail. Views and tasks call these and nothing else changes state."""
