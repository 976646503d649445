-- PostgreSQL's migration 14 drops the GIN indexes no query reads; SQLite never had them. This
-- one changes nothing, so that both backends keep one list of migrations (a database at
-- migration N has the same schema, whichever backend holds it).
SELECT 1;
