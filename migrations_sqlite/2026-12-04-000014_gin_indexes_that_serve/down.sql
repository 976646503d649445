-- Undoes nothing: PostgreSQL's migration 14 drops GIN indexes, which SQLite never had.
SELECT 1;
