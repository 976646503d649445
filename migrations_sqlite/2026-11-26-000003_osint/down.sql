DROP TABLE devices;
DROP TABLE breaches;
DROP TABLE social_media;
DROP TABLE profiles;
