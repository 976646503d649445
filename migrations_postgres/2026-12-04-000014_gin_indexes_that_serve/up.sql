-- Indexes earn their cost: of the eight GIN indexes of migrations 5 and 8, only the one on
-- cached_asm_scans.scan_results serves a query of the contract (cached_scans_containing, by
-- containment `@>`); the other seven made every insert, update and copy of their tables pay
-- for posting lists no query reads. That one is rebuilt with jsonb_path_ops, which answers
-- only containment and is smaller and cheaper to maintain than the default jsonb_ops.
DROP INDEX asm_scans_results_gin;
DROP INDEX xasm_scan_history_results_gin;
DROP INDEX lightbox_scan_history_results_gin;
DROP INDEX scan_results_xasm_results_gin;
DROP INDEX scan_results_lightbox_results_gin;
DROP INDEX roadmap_profiles_compliance_gin;
DROP INDEX roadmap_user_tasks_ttp_gin;
DROP INDEX cached_asm_scans_results_gin;
CREATE INDEX cached_asm_scans_results_gin ON cached_asm_scans USING gin (scan_results jsonb_path_ops);
