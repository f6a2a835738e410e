//! A string operator's right side prepared once for the rows it is tested against: lowered
//! once (for the case-insensitive operators), searched for with a SIMD substring finder,
//! and each row's text lowered into one buffer kept across rows (ASCII text byte by byte,
//! other text by Unicode's rules), so that a row costs no allocation.

use memchr::memmem::Finder;

/// Where a match must fall on term boundaries (terms are runs of letters and digits).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// `hasprefix`: the match starts a term.
    Start,
    /// `hassuffix`: the match ends a term.
    End,
    /// `has`: a whole term, or a phrase whose ends fall on term boundaries.
    Both,
}

/// The test an operator makes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Test {
    Term(Edge),
    Contains,
    StartsWith,
    EndsWith,
}

/// A needle ready to be tested against many texts.
pub struct Needle {
    test: Test,
    case_sensitive: bool,
    /// The needle, lowered unless the test is case-sensitive.
    text: String,
    finder: Finder<'static>,
    starts_term: bool,
    ends_term: bool,
}

impl Needle {
    pub fn new(test: Test, needle: &str, case_sensitive: bool) -> Needle {
        let text = if case_sensitive {
            needle.to_string()
        } else {
            needle.to_lowercase()
        };
        Needle {
            test,
            case_sensitive,
            finder: Finder::new(text.as_bytes()).into_owned(),
            starts_term: text.chars().next().is_some_and(is_term_char),
            ends_term: text.chars().next_back().is_some_and(is_term_char),
            text,
        }
    }

    /// Whether `hay` passes the test; `buf` holds the lowered text between calls.
    pub fn matches(&self, hay: &str, buf: &mut String) -> bool {
        let h = if self.case_sensitive {
            hay
        } else {
            lower_into(hay, buf);
            buf.as_str()
        };
        match self.test {
            Test::Contains => self.finder.find(h.as_bytes()).is_some(),
            Test::StartsWith => h.starts_with(&self.text),
            Test::EndsWith => h.ends_with(&self.text),
            Test::Term(edge) => self.term(h, edge),
        }
    }

    /// Whether the needle occurs in `h` with its ends on term boundaries as `edge` asks.
    fn term(&self, h: &str, edge: Edge) -> bool {
        if self.text.is_empty() {
            return true;
        }
        let check_start = self.starts_term && matches!(edge, Edge::Start | Edge::Both);
        let check_end = self.ends_term && matches!(edge, Edge::End | Edge::Both);
        let mut from = 0;
        while let Some(pos) = h
            .get(from..)
            .and_then(|rest| self.finder.find(rest.as_bytes()))
        {
            // A match of UTF-8 text in UTF-8 text starts and ends on character boundaries.
            let start = from + pos;
            let end = start + self.text.len();
            let start_ok =
                !check_start || !h[..start].chars().next_back().is_some_and(is_term_char);
            let end_ok = !check_end || !h[end..].chars().next().is_some_and(is_term_char);
            if start_ok && end_ok {
                return true;
            }
            from = start + h[start..].chars().next().map_or(1, char::len_utf8);
        }
        false
    }
}

fn is_term_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// `s` lowered into `buf` (what `str::to_lowercase` gives).
fn lower_into(s: &str, buf: &mut String) {
    buf.clear();
    if s.is_ascii() {
        buf.push_str(s);
        buf.make_ascii_lowercase();
    } else {
        buf.push_str(&s.to_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test(t: Test, hay: &str, needle: &str, cs: bool) -> bool {
        Needle::new(t, needle, cs).matches(hay, &mut String::new())
    }

    #[test]
    fn terms_match_whole_terms_only() {
        let has = |h: &str, n: &str| test(Test::Term(Edge::Both), h, n, false);
        assert!(has("the AffectedItems list", "affecteditems"));
        assert!(!has("UnaffectedItems", "affecteditems"));
        assert!(!has("AffectedItemsX", "AffectedItems"));
        assert!(has(r#"{"AffectedItems":[]}"#, "AffectedItems"));
        assert!(has("a.b.c", ".b."));
        // A later match may fall on boundaries where the first does not.
        assert!(has("xabc abc", "abc"));
        assert!(has("anything", ""));
        assert!(!test(Test::Term(Edge::Both), "abc", "ABC", true));
        assert!(test(
            Test::Term(Edge::Start),
            "hello worldwide",
            "world",
            false
        ));
        assert!(!test(
            Test::Term(Edge::Start),
            "hello worldwide",
            "wide",
            false
        ));
        assert!(test(
            Test::Term(Edge::End),
            "hello worldwide",
            "wide",
            false
        ));
        // Letters beyond ASCII are term characters, and are lowered by Unicode's rules.
        assert!(!has("ÉCOLEx", "école"));
        assert!(has("L'ÉCOLE.", "école"));
    }

    #[test]
    fn substrings_with_and_without_case() {
        let mut buf = String::new();
        let contains = Needle::new(Test::Contains, "ItEm", false);
        for (hay, want) in [
            ("AFFECTEDITEMS", true),
            ("affected", false),
            ("ÏtemItem", true),
        ] {
            assert_eq!(contains.matches(hay, &mut buf), want, "{hay}");
        }
        assert!(!test(Test::Contains, "AFFECTEDITEMS", "Item", true));
        assert!(test(Test::StartsWith, "Σίσυφος", "σί", false));
        assert!(test(Test::EndsWith, "report.PDF", ".pdf", false));
        assert!(!test(Test::EndsWith, "report.PDF", ".pdf", true));
        assert!(test(Test::Contains, "xäbx", "ÄB", false));
    }
}
