DROP TABLE site_memberships;
DROP TABLE sites;
DROP TABLE user_sessions;
DROP TABLE users;
