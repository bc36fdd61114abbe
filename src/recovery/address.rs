//! E-mail addresses as rekey accepts them: trimmed, lower-cased and checked
//! against a rule stricter than RFC 5321, because every address here must be
//! one a mail server can deliver to on the public Internet.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest address accepted (RFC 5321's forward-path limit).
pub const MAX_ADDRESS_LEN: usize = 254;
const MAX_LOCAL_LEN: usize = 64;
const MAX_LABEL_LEN: usize = 63;

/// Why an address was refused; each reads as one line to the person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum AddressError {
    #[error("enter your e-mail address")]
    Empty,
    #[error("that address is too long (at most {MAX_ADDRESS_LEN} characters)")]
    TooLong,
    #[error("an e-mail address has one @, as in name@example.com")]
    NeedsOneAt,
    #[error("the part before the @ is not valid")]
    BadLocalPart,
    #[error("the part after the @ is not a valid domain")]
    BadDomain,
    #[error("the domain needs a dot, as in example.com")]
    DomainWithoutDot,
    #[error("use a domain name, not an IP address")]
    IpLiteral,
}

/// A validated, normalised e-mail address: the key of accounts and flows.
///
/// The whole address is compared case-insensitively, so it is stored
/// lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, AddressError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(AddressError::Empty);
        }
        if trimmed.chars().count() > MAX_ADDRESS_LEN {
            return Err(AddressError::TooLong);
        }
        let lowered = trimmed.to_lowercase();
        let mut parts = lowered.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(AddressError::NeedsOneAt);
        };
        check_local(local)?;
        check_domain(domain)?;
        Ok(Self(lowered))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn local_part(&self) -> &str {
        self.0.split('@').next().unwrap_or_default()
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit('@').next().unwrap_or_default()
    }

    /// Words a password should not be built from: the local part, its pieces
    /// split at punctuation, and the domain's labels.
    pub fn password_hints(&self) -> Vec<String> {
        let mut hints = vec![self.0.clone(), self.local_part().to_string()];
        hints.extend(
            self.local_part()
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|piece| piece.len() >= 3)
                .map(str::to_string),
        );
        hints.extend(
            self.domain()
                .split('.')
                .filter(|label| label.len() >= 3)
                .map(str::to_string),
        );
        hints.sort();
        hints.dedup();
        hints
    }
}

fn check_local(local: &str) -> Result<(), AddressError> {
    const SPECIALS: &str = ".!#$%&'*+/=?^_`{|}~-";
    let valid = !local.is_empty()
        && local.len() <= MAX_LOCAL_LEN
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || SPECIALS.contains(c));
    if valid {
        Ok(())
    } else {
        Err(AddressError::BadLocalPart)
    }
}

fn check_domain(domain: &str) -> Result<(), AddressError> {
    if domain.starts_with('[') {
        return Err(AddressError::IpLiteral);
    }
    if domain.is_empty() {
        return Err(AddressError::BadDomain);
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= MAX_LABEL_LEN
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if !labels.iter().all(label_ok) {
        return Err(AddressError::BadDomain);
    }
    if labels.len() < 2 {
        return Err(AddressError::DomainWithoutDot);
    }
    if labels.iter().all(|l| l.chars().all(|c| c.is_ascii_digit())) {
        return Err(AddressError::IpLiteral);
    }
    // A top-level domain is never all digits.
    if labels
        .last()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(AddressError::BadDomain);
    }
    Ok(())
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = AddressError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_whitespace() {
        let a = EmailAddress::parse("  Ada.Lovelace@Example.COM \n").unwrap();
        assert_eq!(a.as_str(), "ada.lovelace@example.com");
        assert_eq!(a, EmailAddress::parse("ADA.LOVELACE@example.com").unwrap());
        assert_eq!(a.local_part(), "ada.lovelace");
        assert_eq!(a.domain(), "example.com");
    }

    #[test]
    fn accepts_ordinary_addresses() {
        for ok in [
            "a@b.co",
            "first+tag@sub.example.org",
            "o'brien@example.ie",
            "x_y-z@mail-server.example.net",
        ] {
            assert!(EmailAddress::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_what_cannot_be_delivered_with_a_reason() {
        let cases = [
            ("", AddressError::Empty),
            ("   ", AddressError::Empty),
            ("no-at-sign", AddressError::NeedsOneAt),
            ("a@b@c.com", AddressError::NeedsOneAt),
            ("@example.com", AddressError::BadLocalPart),
            (".a@example.com", AddressError::BadLocalPart),
            ("a..b@example.com", AddressError::BadLocalPart),
            ("\"quoted\"@example.com", AddressError::BadLocalPart),
            ("a b@example.com", AddressError::BadLocalPart),
            ("a\u{7}@example.com", AddressError::BadLocalPart),
            ("user@localhost", AddressError::DomainWithoutDot),
            ("user@[127.0.0.1]", AddressError::IpLiteral),
            ("user@127.0.0.1", AddressError::IpLiteral),
            ("user@-bad.com", AddressError::BadDomain),
            ("user@example..com", AddressError::BadDomain),
            ("user@example.com.", AddressError::BadDomain),
            ("user@exa_mple.com", AddressError::BadDomain),
        ];
        for (input, want) in cases {
            assert_eq!(EmailAddress::parse(input), Err(want), "{input:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(EmailAddress::parse(&long), Err(AddressError::TooLong));
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert_eq!(
            EmailAddress::parse(&long_local),
            Err(AddressError::BadLocalPart)
        );
    }

    #[test]
    fn hints_name_the_address_parts() {
        let a = EmailAddress::parse("maria.svensson@kiruna-mine.se").unwrap();
        let hints = a.password_hints();
        for want in ["maria", "svensson", "maria.svensson", "kiruna-mine"] {
            assert!(hints.iter().any(|h| h == want), "{want} in {hints:?}");
        }
    }

    #[test]
    fn deserialising_validates() {
        let bad: Result<EmailAddress, _> = serde_json::from_str("\"nope\"");
        assert!(bad.is_err());
        let good: EmailAddress = serde_json::from_str("\"A@B.CO\"").unwrap();
        assert_eq!(good.as_str(), "a@b.co");
    }
}
