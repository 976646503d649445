DROP TABLE roadmap_task_library_meta;
DROP TABLE roadmap_progress_history;
DROP TABLE roadmap_achievements;
DROP TABLE roadmap_user_tasks;
DROP TABLE roadmap_tasks;
DROP TABLE roadmap_profiles;
