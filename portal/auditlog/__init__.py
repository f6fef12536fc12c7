"""The audit log as the secretariat and the members see it: viewing, filtering and exporting
entries, the periodic review (ログ確認), the privacy notice, and retention (the only
deletion path). Writing entries stays in portal.audit."""
