//! Percent-encoding for the values the doors put in redirect URLs.

/// Percent-encodes a query value (RFC 3986 unreserved characters pass).
pub fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(urlencode("/shipments/SW1?x=1&y"), "/shipments/SW1%3Fx%3D1%26y");
        assert_eq!(urlencode("a b@c"), "a%20b%40c");
    }
}
