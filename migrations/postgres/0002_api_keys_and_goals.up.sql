CREATE TABLE api_keys (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name text NOT NULL,
  -- The first characters, shown in lists so a key can be recognised; the key itself is only hashed.
  key_prefix text NOT NULL,
  key_hash bytea NOT NULL UNIQUE,
  scopes text[] NOT NULL DEFAULT ARRAY['stats:read:*'],
  rate_limit_per_hour integer NOT NULL DEFAULT 600,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_keys_user_id ON api_keys (user_id);

CREATE TABLE goals (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  site_id bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  event_name text,
  page_path text,
  display_name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- A goal is either a custom event or a pageview of a path, never both.
  CHECK ((event_name IS NULL) <> (page_path IS NULL))
);
CREATE UNIQUE INDEX goals_site_event ON goals (site_id, event_name) WHERE event_name IS NOT NULL;
CREATE UNIQUE INDEX goals_site_page ON goals (site_id, page_path) WHERE page_path IS NOT NULL;
