-- The sessions of a seeded site, built from its events the way ingestion would have written them.
INSERT INTO sessions
    (session_id, site_id, user_id, sign, version, start, timestamp, duration, pageviews, events, is_bounce,
     hostname, entry_page, exit_page, referrer, referrer_source, utm_medium, utm_source, utm_campaign,
     utm_content, utm_term, country_code, browser, browser_version, os, os_version, device)
SELECT
    session_id,
    site_id,
    any(user_id),
    1 AS sign,
    1 AS version,
    min(timestamp) AS start,
    max(timestamp) AS last,
    toUInt32(last - start) AS duration,
    countIf(name = 'pageview') AS pageviews,
    count() AS events,
    pageviews <= 1 AND events = pageviews AS is_bounce,
    any(hostname),
    argMinIf(pathname, timestamp, name = 'pageview'),
    argMaxIf(pathname, timestamp, name = 'pageview'),
    any(referrer),
    any(referrer_source),
    any(utm_medium),
    any(utm_source),
    any(utm_campaign),
    any(utm_content),
    any(utm_term),
    any(country_code),
    any(browser),
    any(browser_version),
    any(os),
    any(os_version),
    any(device)
FROM events
WHERE site_id = {site_id:UInt64}
GROUP BY site_id, session_id
