-- Auto-flagging restores a control's status when the fix of the finding is verified: the
-- status it had before the flag is kept here. And a task key is on a profile's roadmap once
-- among live tasks, enforced by the database so concurrent adds agree on both backends.

ALTER TABLE compliance_controls ADD COLUMN status_before_scan control_status;

DROP INDEX roadmap_user_tasks_task_live_idx;
CREATE UNIQUE INDEX roadmap_user_tasks_task_live_key ON roadmap_user_tasks (profile_id, task_id)
    WHERE deleted_at IS NULL;
