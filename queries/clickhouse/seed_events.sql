-- Synthetic but realistic traffic for one site, generated inside ClickHouse (seconds for millions of rows).
-- Every choice is a deterministic hash of the session number and {seed}, drawn from weighted lists:
-- `arrayFirstIndex(c -> c > h % total, cumulative_weights)` picks index i with probability weight_i / total.
INSERT INTO events
    (timestamp, site_id, name, user_id, session_id, hostname, pathname, referrer, referrer_source,
     utm_medium, utm_source, utm_campaign, utm_content, utm_term, country_code,
     browser, browser_version, os, os_version, device, prop_keys, prop_values)
SELECT
    start + toUInt32(i * (15 + sipHash64(session_id, i, 'gap') % 150)) AS timestamp,
    {site_id:UInt64} AS site_id,
    if(is_custom, {event_names:Array(String)}[1 + sipHash64(session_id, i, 'event') % length({event_names:Array(String)})], 'pageview') AS name,
    user_id,
    session_id,
    {hostname:String} AS hostname,
    {pages:Array(String)}[arrayFirstIndex(c -> c > sipHash64(session_id, i, 'page') % arrayMax({page_weights:Array(UInt32)}), {page_weights:Array(UInt32)})] AS pathname,
    {source_referrers:Array(String)}[source] AS referrer,
    {source_names:Array(String)}[source] AS referrer_source,
    {source_utm_mediums:Array(String)}[source] AS utm_medium,
    {source_utm_sources:Array(String)}[source] AS utm_source,
    {source_utm_campaigns:Array(String)}[source] AS utm_campaign,
    '' AS utm_content,
    '' AS utm_term,
    {countries:Array(String)}[country] AS country_code,
    {profile_browsers:Array(String)}[profile] AS browser,
    {profile_browser_versions:Array(String)}[profile] AS browser_version,
    {profile_oses:Array(String)}[profile] AS os,
    {profile_os_versions:Array(String)}[profile] AS os_version,
    {profile_devices:Array(String)}[profile] AS device,
    if(is_custom, ['plan'], []) AS prop_keys,
    if(is_custom, [if(sipHash64(session_id, 'plan') % 3 = 0, 'pro', 'free')], []) AS prop_values
FROM
(
    SELECT
        sipHash64({seed:UInt64}, number, 'session') AS session_id,
        -- A pool smaller than the sessions makes some visitors return on other days.
        sipHash64({seed:UInt64}, number % {visitors:UInt64}, 'visitor') AS user_id,
        sipHash64({seed:UInt64}, number, 'draw') AS h,
        -- 45 % bounce; the rest view 2 to 8 pages.
        if(h % 100 < 45, 1, 2 + (intDiv(h, 100) % 7)) AS pageviews,
        arrayFirstIndex(c -> c > intDiv(h, 1000) % arrayMax({source_weights:Array(UInt32)}), {source_weights:Array(UInt32)}) AS source,
        arrayFirstIndex(c -> c > intDiv(h, 100000) % arrayMax({country_weights:Array(UInt32)}), {country_weights:Array(UInt32)}) AS country,
        arrayFirstIndex(c -> c > intDiv(h, 10000000) % arrayMax({profile_weights:Array(UInt32)}), {profile_weights:Array(UInt32)}) AS profile,
        arrayFirstIndex(c -> c > sipHash64({seed:UInt64}, number, 'hour') % arrayMax({hour_weights:Array(UInt32)}), {hour_weights:Array(UInt32)}) - 1 AS hour,
        toStartOfDay({end:DateTime}) - toIntervalDay(sipHash64({seed:UInt64}, number, 'day') % {days:UInt32})
            + toIntervalSecond(hour * 3600 + sipHash64({seed:UInt64}, number, 'second') % 3600) AS raw_start,
        -- A visit must end before {end}: one that would start later today moves back {days} days, so the
        -- window is the last {days} × 24 hours with every hour of the day equally full (no spike yesterday).
        if(raw_start > {end:DateTime} - 1800, raw_start - toIntervalDay({days:UInt32}), raw_start) AS start
    FROM numbers({sessions:UInt64})
)
ARRAY JOIN range(pageviews) AS i
-- One event in ten after the first pageview is a custom event.
ARRAY JOIN [i > 0 AND sipHash64(session_id, i, 'custom') % 10 = 0] AS is_custom
