-- One row per pageview or custom event, after Plausible's events_v2.
CREATE TABLE IF NOT EXISTS events
(
    timestamp DateTime CODEC(Delta(4), ZSTD(1)),
    site_id UInt64,
    name LowCardinality(String),
    user_id UInt64,
    session_id UInt64,
    hostname LowCardinality(String),
    pathname String,
    referrer String,
    referrer_source LowCardinality(String),
    utm_medium LowCardinality(String),
    utm_source LowCardinality(String),
    utm_campaign String,
    utm_content String,
    utm_term String,
    country_code LowCardinality(FixedString(2)),
    browser LowCardinality(String),
    browser_version LowCardinality(String),
    os LowCardinality(String),
    os_version LowCardinality(String),
    device LowCardinality(String),
    prop_keys Array(String),
    prop_values Array(String)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (site_id, toDate(timestamp), name, user_id, timestamp)
SAMPLE BY user_id
-- A retried batch with the same deduplication token is dropped instead of stored twice.
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 1000;
