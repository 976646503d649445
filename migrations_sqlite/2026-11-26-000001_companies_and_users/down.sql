DROP TABLE users;
DROP TABLE companies;
