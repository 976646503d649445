DROP INDEX monitored_emails_live_key;
