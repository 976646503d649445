-- One live watch per company, scope, user (none for scope company) and address: concurrent
-- `monitor_email` calls then agree on one row on PostgreSQL too, not only under SQLite's lock.
CREATE UNIQUE INDEX monitored_emails_live_key
    ON monitored_emails (company_id, monitor_scope, coalesce(user_id, 0), email_address)
    WHERE deleted_at IS NULL;
