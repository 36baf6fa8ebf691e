//! A reference to a member that exports show in the personal-id column
//! where the personal id is private: a member of another company given no
//! personal id of their own has their e-mail address as it, and exports
//! never show their address. An import reads the reference back and finds
//! the member by it (their rows carry no address either).

const PREFIX: &str = "roster-member-";

/// `roster-member-42`.
pub fn member_reference(member_id: i64) -> String {
    format!("{PREFIX}{member_id}")
}

/// The member id a reference names, if the text is one.
pub fn parse_member_reference(text: &str) -> Option<i64> {
    text.trim()
        .strip_prefix(PREFIX)
        .and_then(|id| id.parse().ok())
        .filter(|id| *id > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_reads_back_as_its_member() {
        assert_eq!(parse_member_reference(&member_reference(42)), Some(42));
        for other in ["42", "roster-member-", "roster-member-x", "roster-member--1", "X-1"] {
            assert_eq!(parse_member_reference(other), None, "{other}");
        }
    }
}
