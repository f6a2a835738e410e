WITH alerts AS (
  SELECT "Timestamp", "AlertId", "NetworkMessageId", CAST("AdditionalFields" AS VARCHAR) AS af
  FROM read_json('{DIR}/AlertEvidence.jsonl', format = 'newline_delimited')
  WHERE "Timestamp" >= TIMESTAMP '2024-05-01 00:00:00'
    AND "EntityType" = 'MailMessage'
    AND "Title" = 'Email reported by user as malware or phish'
), alerts_ids AS (
  SELECT *, CASE WHEN json_valid(af) THEN af::JSON END AS j FROM alerts
), alerts_imid AS (
  SELECT *,
    coalesce(nullif(j->>'$.InternetMessageId', ''),
             nullif(regexp_extract(af, '"InternetMessageId":"(<[^>]+@[^>]+>)"', 1), '')) AS imid
  FROM alerts_ids
), reported AS (
  SELECT * FROM (
    SELECT "Timestamp" AS alert_ts, "AlertId", imid,
      coalesce(nullif(j->>'$.NetworkMessageId', ''), "NetworkMessageId") AS nmid,
      coalesce(j->>'$.Recipient', '') AS recipient,
      coalesce(j->>'$.Subject', '') AS subject,
      row_number() OVER (PARTITION BY "AlertId", imid ORDER BY "Timestamp" DESC) AS rn
    FROM alerts_imid WHERE imid IS NOT NULL
  ) WHERE rn = 1
), events AS (
  SELECT "Timestamp", "ActionType", "AccountId", "IPAddress", "AccountDisplayName",
         "AccountObjectId", "ReportId", CAST("RawEventData" AS VARCHAR)::JSON AS raw
  FROM read_json('{DIR}/CloudAppEvents.jsonl', format = 'newline_delimited')
  WHERE "Timestamp" >= TIMESTAMP '2024-05-01 00:00:00'
    AND "ActionType" IN ('MovedToDeletedItems', 'MoveToDeletedItems')
    AND contains(CAST("RawEventData" AS VARCHAR), 'AffectedItems')
), expanded AS (
  SELECT *, unnest(CAST(raw->'$.AffectedItems' AS JSON[])) AS item,
         generate_subscripts(CAST(raw->'$.AffectedItems' AS JSON[]), 1) - 1 AS idx
  FROM events
), deleted AS (
  SELECT "Timestamp" AS app_ts, "ActionType", item->>'$.InternetMessageId' AS imid, idx,
    coalesce(nullif(raw->>'$.UserId', ''), nullif(raw->>'$.ActorUserId', ''), "AccountId") AS actor,
    coalesce(nullif(raw->>'$.ClientIP', ''), "IPAddress") AS ip,
    "AccountDisplayName", "AccountObjectId", "ReportId"
  FROM expanded
), joined AS (
  SELECT d.app_ts, r.alert_ts, r."AlertId", r.imid, r.nmid, r.recipient, d.actor, r.subject,
         d."ActionType", d.idx, d."AccountDisplayName", d."AccountObjectId", d.ip, d."ReportId",
         lower(regexp_extract(r.recipient, '([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})', 1)) AS rn_norm,
         lower(regexp_extract(d.actor, '([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})', 1)) AS an_norm
  FROM reported r JOIN deleted d ON r.imid = d.imid
  WHERE d.imid <> ''
)
SELECT app_ts AS "AppTimestamp", alert_ts AS "AlertTimestamp", "AlertId", imid AS "InternetMessageId",
  nmid AS "NetworkMessageId", recipient AS "Recipient", actor AS "ActorUser",
  CASE WHEN rn_norm <> '' AND an_norm <> '' AND rn_norm = an_norm THEN 'Match'
       WHEN rn_norm <> '' AND an_norm <> '' AND rn_norm <> an_norm THEN 'Different'
       ELSE 'Unknown' END AS "RecipientActorMatch",
  subject AS "Subject", "ActionType", idx AS "AffectedItemIndex", "AccountDisplayName",
  "AccountObjectId", ip AS "ActorIp", "ReportId"
FROM joined
ORDER BY app_ts DESC
