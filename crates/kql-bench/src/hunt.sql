WITH alerts AS (
  SELECT "Timestamp", "AlertId", "NetworkMessageId", "AdditionalFields" AS af,
         kql_parse_json("AdditionalFields") AS j
  FROM "AlertEvidence"
  WHERE "Timestamp" >= TIMESTAMP '2024-05-01T00:00:00Z'
    AND "EntityType" = 'MailMessage'
    AND "Title" = 'Email reported by user as malware or phish'
), alerts_ids AS (
  SELECT *,
    CASE WHEN kql_dyn_tostring(kql_dyn_get(j, 'InternetMessageId')) <> ''
         THEN kql_dyn_tostring(kql_dyn_get(j, 'InternetMessageId'))
         ELSE kql_extract('"InternetMessageId":"(<[^>]+@[^>]+>)"', 1, af) END AS imid
  FROM alerts
), reported AS (
  SELECT * FROM (
    SELECT "Timestamp" AS alert_ts, "AlertId", imid,
      CASE WHEN kql_dyn_tostring(kql_dyn_get(j, 'NetworkMessageId')) <> ''
           THEN kql_dyn_tostring(kql_dyn_get(j, 'NetworkMessageId')) ELSE "NetworkMessageId" END AS nmid,
      kql_dyn_tostring(kql_dyn_get(j, 'Recipient')) AS recipient,
      kql_dyn_tostring(kql_dyn_get(j, 'Subject')) AS subject,
      row_number() OVER (PARTITION BY "AlertId", imid ORDER BY "Timestamp" DESC) AS rn
    FROM alerts_ids WHERE imid <> ''
  ) WHERE rn = 1
), events AS (
  SELECT "Timestamp", "ActionType", "AccountId", "IPAddress", "AccountDisplayName",
         "AccountObjectId", "ReportId", "RawEventData" AS raw
  FROM "CloudAppEvents"
  WHERE "Timestamp" >= TIMESTAMP '2024-05-01T00:00:00Z'
    AND "ActionType" IN ('MovedToDeletedItems', 'MoveToDeletedItems')
    AND kql_has("RawEventData", 'AffectedItems')
), expanded AS (
  SELECT *, unnest(kql_mv_items(kql_dyn_get(raw, 'AffectedItems'), 'bag')) AS item FROM events
), deleted AS (
  SELECT "Timestamp" AS app_ts, "ActionType",
    kql_dyn_tostring(kql_dyn_get(item['value'], 'InternetMessageId')) AS imid,
    item['index'] AS idx,
    CASE WHEN kql_dyn_tostring(kql_dyn_get(raw, 'UserId')) <> '' THEN kql_dyn_tostring(kql_dyn_get(raw, 'UserId'))
         WHEN kql_dyn_tostring(kql_dyn_get(raw, 'ActorUserId')) <> '' THEN kql_dyn_tostring(kql_dyn_get(raw, 'ActorUserId'))
         ELSE "AccountId" END AS actor,
    CASE WHEN kql_dyn_tostring(kql_dyn_get(raw, 'ClientIP')) <> '' THEN kql_dyn_tostring(kql_dyn_get(raw, 'ClientIP'))
         ELSE "IPAddress" END AS ip,
    "AccountDisplayName", "AccountObjectId", "ReportId"
  FROM expanded
), joined AS (
  SELECT d.app_ts, r.alert_ts, r."AlertId", r.imid, r.nmid, r.recipient, d.actor, r.subject,
         d."ActionType", d.idx, d."AccountDisplayName", d."AccountObjectId", d.ip, d."ReportId",
         lower(kql_extract('([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})', 1, r.recipient)) AS rn_norm,
         lower(kql_extract('([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})', 1, d.actor)) AS an_norm
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
