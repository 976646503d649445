DROP TABLE vulnerability_reports;
DROP TABLE compliance_control_mappings;
DROP TABLE compliance_evidence;
DROP TABLE compliance_controls;
DROP TABLE compliance_assessments;
