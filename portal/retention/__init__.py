"""Retention (保存期間): each council's periods, the records past them, the transfer export
(移管) and the approved disposal (廃棄). docs/operations.md, "Retention"."""
