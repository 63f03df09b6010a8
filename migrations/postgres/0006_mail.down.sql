DROP TABLE password_reset_tokens;
DROP TABLE sent_reports;
DROP TABLE report_subscriptions;
