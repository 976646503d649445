DROP TABLE scan_results_lightbox;
DROP TABLE scan_results_xasm;
DROP TABLE lightbox_scan_history;
DROP TABLE xasm_scan_history;
DROP TABLE cached_asm_scans;
DROP TABLE lightbox_findings;
DROP TABLE asm_scans;
