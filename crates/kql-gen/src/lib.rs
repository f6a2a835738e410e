//! A seeded generator of AlertEvidence and CloudAppEvents exports shaped like the reference
//! hunt's input, at any size, for benchmarks, and of rows for any table schema, for tests.
//! The same seed gives the same bytes.

use serde_json::json;
use std::io::{self, Write};

mod schema_rows;
pub use schema_rows::{TableRows, write_rows};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Config {
    pub alerts: usize,
    pub events: usize,
    pub seed: u64,
    /// The end of the generated time range (nanoseconds since the epoch); rows spread over
    /// the ten days before it, so that `ago(7d)` keeps about 70% of them.
    pub now: i64,
}

/// A small, fast, seeded PRNG (SplitMix64): reproducible across platforms.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const DAY_NANOS: i64 = 86_400_000_000_000;
const TITLE: &str = "Email reported by user as malware or phish";

fn timestamp(rng: &mut Rng, now: i64) -> String {
    let offset = rng.below((10 * DAY_NANOS) as u64) as i64;
    let t = now - offset;
    kql_types_free_format(t - t % 1_000_000)
}

/// ISO-8601 UTC text without depending on the engine's crates.
fn kql_types_free_format(nanos: i64) -> String {
    let secs = nanos.div_euclid(1_000_000_000);
    let millis = nanos.rem_euclid(1_000_000_000) / 1_000_000;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn user(rng: &mut Rng) -> String {
    format!("user{}@contoso.com", rng.below(5_000))
}

/// Message ids come from a pool so that alerts and events meet in the join.
fn message_id(rng: &mut Rng, pool: u64) -> String {
    format!("<msg{}@mail.contoso.com>", rng.below(pool))
}

/// Writes `cfg.alerts` AlertEvidence rows as NDJSON.
pub fn write_alerts(cfg: &Config, out: &mut dyn Write) -> io::Result<()> {
    let mut rng = Rng(cfg.seed);
    let pool = (cfg.alerts as u64).max(1);
    for i in 0..cfg.alerts {
        let phish = rng.chance(80);
        let mail = rng.chance(90);
        let imid = message_id(&mut rng, pool);
        let recipient = if rng.chance(50) {
            format!("Person {i} <{}>", user(&mut rng).to_uppercase())
        } else {
            user(&mut rng)
        };
        let fields = json!({
            "InternetMessageId": imid,
            "Recipient": recipient,
            "Subject": format!("Subject {}", rng.below(1000)),
            "NetworkMessageId": format!("nm-{}", rng.next() % 1_000_000),
        })
        .to_string();
        // One alert in ten has truncated AdditionalFields: the hunt's regex fallback.
        let fields = if rng.chance(10) {
            fields[..fields.len() / 2 + 20].to_string()
        } else {
            fields
        };
        let row = json!({
            "Timestamp": timestamp(&mut rng, cfg.now),
            "AlertId": format!("da{}", rng.below(pool * 9 / 10 + 1)),
            "Title": if phish { TITLE } else { "Suspicious inbox manipulation rule" },
            "Categories": "[\"InitialAccess\"]",
            "ServiceSource": "Microsoft Defender for Office 365",
            "DetectionSource": "Microsoft Defender for Office 365",
            "EntityType": if mail { "MailMessage" } else { "User" },
            "EvidenceRole": "Impacted",
            "NetworkMessageId": format!("col-nm-{i}"),
            "AccountUpn": user(&mut rng),
            "AdditionalFields": fields,
        });
        serde_json::to_writer(&mut *out, &row)?;
        writeln!(out)?;
    }
    Ok(())
}

/// Writes `cfg.events` CloudAppEvents rows as NDJSON.
pub fn write_events(cfg: &Config, out: &mut dyn Write) -> io::Result<()> {
    let mut rng = Rng(cfg.seed ^ 0x005E_ED0F_E7E7);
    let pool = (cfg.alerts as u64).max(1) * 4;
    const ACTIONS: [&str; 5] = [
        "MovedToDeletedItems",
        "MoveToDeletedItems",
        "MailItemsAccessed",
        "Send",
        "HardDelete",
    ];
    for _ in 0..cfg.events {
        let action = ACTIONS[rng.below(ACTIONS.len() as u64) as usize];
        let n_items = rng.below(4);
        let items: Vec<_> = (0..n_items)
            .map(|_| json!({"InternetMessageId": message_id(&mut rng, pool), "Subject": "s"}))
            .collect();
        let mut raw = serde_json::Map::new();
        match rng.below(3) {
            0 => {
                raw.insert("UserId".into(), json!(user(&mut rng)));
            }
            1 => {
                raw.insert("ActorUserId".into(), json!(user(&mut rng)));
            }
            _ => {}
        }
        if rng.chance(60) {
            raw.insert(
                "ClientIP".into(),
                json!(format!(
                    "10.{}.{}.{}",
                    rng.below(256),
                    rng.below(256),
                    rng.below(256)
                )),
            );
        }
        raw.insert("Operation".into(), json!(action));
        if action != "Send" {
            raw.insert("AffectedItems".into(), json!(items));
        }
        let row = json!({
            "Timestamp": timestamp(&mut rng, cfg.now),
            "ActionType": action,
            "Application": "Microsoft Exchange Online",
            "ApplicationId": 20893,
            "AccountObjectId": format!("oid-{}", rng.below(5_000)),
            "AccountId": format!("acc-{}", rng.below(5_000)),
            "AccountDisplayName": format!("Person {}", rng.below(5_000)),
            "IPAddress": if rng.chance(70) { format!("203.0.113.{}", rng.below(256)) } else { String::new() },
            "ReportId": format!("r{}", rng.next() % 100_000_000),
            "RawEventData": serde_json::Value::Object(raw).to_string(),
        });
        serde_json::to_writer(&mut *out, &row)?;
        writeln!(out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes() {
        let cfg = Config {
            alerts: 50,
            events: 200,
            seed: 7,
            now: 1_715_126_400_000_000_000,
        };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        write_alerts(&cfg, &mut a).unwrap();
        write_alerts(&cfg, &mut b).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.iter().filter(|c| **c == b'\n').count(), 50);
        let mut e = Vec::new();
        write_events(&cfg, &mut e).unwrap();
        assert_eq!(e.iter().filter(|c| **c == b'\n').count(), 200);
    }

    #[test]
    fn dates_are_civil() {
        assert_eq!(kql_types_free_format(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            kql_types_free_format(1_715_126_400_000_000_000),
            "2024-05-08T00:00:00.000Z"
        );
    }
}
