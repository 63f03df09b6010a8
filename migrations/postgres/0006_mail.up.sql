-- Email: report subscriptions, the ledger that makes each report go out once, password-reset tokens.
CREATE TABLE report_subscriptions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  site_id bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  email text NOT NULL,
  period text NOT NULL CHECK (period IN ('week', 'month')),
  -- Kept as is (not hashed): it is put in every report's unsubscribe link, and all it can do is unsubscribe.
  unsubscribe_token text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX report_subscriptions_site_email_period ON report_subscriptions (site_id, lower(email), period);

-- One row per report (site, period kind, first day): claimed before sending, so a report goes out once
-- however many times the server restarts or how many servers run.
CREATE TABLE sent_reports (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  site_id bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  period text NOT NULL CHECK (period IN ('week', 'month')),
  period_start date NOT NULL,
  period_end date NOT NULL,
  status text NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
  attempts integer NOT NULL DEFAULT 1,
  -- Recipients whose copy the SMTP server accepted; a retry after a failure skips them.
  delivered_to text[] NOT NULL DEFAULT '{}',
  last_error text,
  claimed_at timestamptz NOT NULL DEFAULT now(),
  next_attempt_at timestamptz,
  finished_at timestamptz,
  UNIQUE (site_id, period, period_start)
);
CREATE INDEX sent_reports_retry ON sent_reports (next_attempt_at) WHERE status = 'failed';

CREATE TABLE password_reset_tokens (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- sha256 of the token in the emailed link: a database leak does not hand out password resets.
  token_hash bytea NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX password_reset_tokens_user_id ON password_reset_tokens (user_id);
