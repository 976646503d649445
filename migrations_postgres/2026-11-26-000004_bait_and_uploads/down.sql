DROP TABLE uploaded_credentials;
DROP TABLE uploaded_files;
DROP TABLE bait_accesses;
DROP TABLE bait_tokens;
DROP TYPE upload_status;
DROP TYPE bait_token_type;
