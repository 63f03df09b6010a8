-- Daily salts for cookie-less visitor ids: the current and the previous are kept, older ones deleted.
CREATE TABLE salts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  salt bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX salts_created_at ON salts (created_at DESC);

CREATE TABLE settings (
  key text PRIMARY KEY,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
