DROP TABLE opsych_search_results;
DROP TABLE pastebin_findings;
DROP TABLE github_findings;
DROP TABLE breach_file_results;
DROP TABLE uploaded_breach_files;
DROP TABLE monitored_email_findings;
DROP TABLE monitored_emails;
DROP TABLE ghost_search_queries;
