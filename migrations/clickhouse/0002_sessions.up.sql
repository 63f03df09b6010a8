-- One visit, after Plausible's sessions_v2. Updated by writing a cancel row (sign -1) for the previous
-- version and a state row (sign +1) for the new one; merges collapse the pairs.
CREATE TABLE IF NOT EXISTS sessions
(
    session_id UInt64,
    site_id UInt64,
    user_id UInt64,
    sign Int8,
    version UInt64,
    start DateTime,
    timestamp DateTime,
    duration UInt32,
    pageviews UInt32,
    events UInt32,
    is_bounce UInt8,
    hostname LowCardinality(String),
    entry_page String,
    exit_page String,
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
    device LowCardinality(String)
)
ENGINE = VersionedCollapsingMergeTree(sign, version)
PARTITION BY toYYYYMM(start)
ORDER BY (site_id, toDate(start), user_id, session_id)
SAMPLE BY user_id
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 1000;
