-- Dashboard logins: failed-attempt counters for rate limiting, and a faster cleanup of expired sessions.
CREATE TABLE login_throttle (
  -- sha256 of the client address and the lowercased email (or of the address alone): no IP is stored in clear.
  key_hash bytea PRIMARY KEY,
  failures integer NOT NULL DEFAULT 0,
  window_started_at timestamptz NOT NULL DEFAULT now(),
  blocked_until timestamptz
);
CREATE INDEX login_throttle_window ON login_throttle (window_started_at);

CREATE INDEX user_sessions_expires_at ON user_sessions (expires_at);
