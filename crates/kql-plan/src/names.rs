//! Result column naming: unique names with Kusto's numeric suffixes, and "did you mean".

/// Makes `name` unique among `taken` by appending 1, 2, ... as Kusto does (`X`, `X1`).
pub fn unique(name: &str, taken: &[String]) -> String {
    if !taken.iter().any(|t| t == name) {
        return name.to_string();
    }
    (1..)
        .map(|i| format!("{name}{i}"))
        .find(|c| !taken.iter().any(|t| t == c))
        .unwrap_or_else(|| name.to_string())
}

/// The closest candidate by edit distance, if close enough to be a likely typo.
pub fn suggest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a String>,
) -> Option<&'a String> {
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (distance(&lower, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Does `name` match a pattern with `*` wildcards?
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(p) => rest = &rest[p + part.len()..],
                None => return false,
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_and_suggestions() {
        let taken = vec!["A".to_string(), "A1".to_string()];
        assert_eq!(unique("A", &taken), "A2");
        assert_eq!(unique("B", &taken), "B");
        let cands = vec!["Account".to_string(), "Timestamp".to_string()];
        assert_eq!(suggest("Acount", &cands), Some(&cands[0]));
        assert_eq!(suggest("zzz", &cands), None);
        assert!(wildcard_match("Dev*", "DeviceEvents"));
        assert!(wildcard_match("*Id", "AlertId"));
        assert!(!wildcard_match("*Id", "AlertIds"));
    }
}
