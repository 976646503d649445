DROP TABLE users;
DROP TABLE companies;
DROP TYPE user_role;
