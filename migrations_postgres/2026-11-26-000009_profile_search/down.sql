DROP INDEX profiles_name_folded_live_idx;
ALTER TABLE profiles DROP COLUMN name_folded;
