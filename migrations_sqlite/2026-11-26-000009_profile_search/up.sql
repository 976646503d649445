-- SQLite dialect: the same statements.
-- Profile search by name, the same on both backends: the name folded to lower case by the
-- store (Unicode, in Rust), since SQL lower() folds only ASCII on SQLite and all of Unicode
-- on PostgreSQL. Searched with LIKE on the folded text (lower case on both sides).
ALTER TABLE profiles ADD COLUMN name_folded TEXT NOT NULL DEFAULT '';
CREATE INDEX profiles_name_folded_live_idx ON profiles (company_id, name_folded) WHERE deleted_at IS NULL;
