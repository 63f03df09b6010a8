DROP INDEX IF EXISTS user_sessions_expires_at;
DROP TABLE IF EXISTS login_throttle;
