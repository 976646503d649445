DROP INDEX cached_asm_scans_results_gin;
CREATE INDEX cached_asm_scans_results_gin ON cached_asm_scans USING gin (scan_results);
CREATE INDEX asm_scans_results_gin ON asm_scans USING gin (scan_results);
CREATE INDEX xasm_scan_history_results_gin ON xasm_scan_history USING gin (scan_results);
CREATE INDEX lightbox_scan_history_results_gin ON lightbox_scan_history USING gin (scan_results);
CREATE INDEX scan_results_xasm_results_gin ON scan_results_xasm USING gin (scan_results);
CREATE INDEX scan_results_lightbox_results_gin ON scan_results_lightbox USING gin (scan_results);
CREATE INDEX roadmap_profiles_compliance_gin ON roadmap_profiles USING gin (compliance_requirements);
CREATE INDEX roadmap_user_tasks_ttp_gin ON roadmap_user_tasks USING gin (threat_actor_ttp);
