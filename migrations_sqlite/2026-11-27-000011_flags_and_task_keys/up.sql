-- Auto-flagging restores a control's status when the fix of the finding is verified: the
-- status it had before the flag is kept here. And a task key is on a profile's roadmap once
-- among live tasks, enforced by the database so concurrent adds agree on both backends.
-- SQLite dialect: the value set CHECKed to the PostgreSQL ENUM's values.

ALTER TABLE compliance_controls ADD COLUMN status_before_scan TEXT
    CHECK (status_before_scan IN ('not_tested', 'passing', 'failing', 'needs_review', 'not_applicable'));

DROP INDEX roadmap_user_tasks_task_live_idx;
CREATE UNIQUE INDEX roadmap_user_tasks_task_live_key ON roadmap_user_tasks (profile_id, task_id)
    WHERE deleted_at IS NULL;
