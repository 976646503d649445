DROP INDEX roadmap_user_tasks_task_live_key;
CREATE INDEX roadmap_user_tasks_task_live_idx ON roadmap_user_tasks (profile_id, task_id) WHERE deleted_at IS NULL;

ALTER TABLE compliance_controls DROP COLUMN status_before_scan;
