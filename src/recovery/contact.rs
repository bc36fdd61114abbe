//! How support can reach a person who lost their mailbox: a phone number
//! or another e-mail address, typed on the ticket screen.

use super::EmailAddress;

/// The most digits a phone number has (E.164 allows 15; room for an
/// extension).
const MAX_DIGITS: usize = 20;
/// The fewest: a short internal extension.
const MIN_DIGITS: usize = 3;
/// The longest contact, in characters: an address's limit.
pub const MAX_CHARS: usize = 254;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize,
)]
pub enum ContactError {
    /// The config asks for a contact and none was given.
    #[error("support needs a way to reach you: a phone number or an e-mail address")]
    Needed,
    #[error("that is neither a phone number nor an e-mail address")]
    Invalid,
}

/// A contact as support reads it: a phone number with its digits and the
/// usual separators (`+46 8-123 456 78`, `(555) 010-4477`), or a valid
/// e-mail address, lower-cased. Empty input is `None`.
pub fn parse(input: &str) -> Result<Option<String>, ContactError> {
    let text = input.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > MAX_CHARS {
        return Err(ContactError::Invalid);
    }
    if text.contains('@') {
        return EmailAddress::parse(text)
            .map(|a| Some(a.as_str().to_string()))
            .map_err(|_| ContactError::Invalid);
    }
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let separators_only = text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '.' | '/'))
        || (text.starts_with('+')
            && text[1..]
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '.' | '/')));
    if separators_only && (MIN_DIGITS..=MAX_DIGITS).contains(&digits) {
        // One space for any run of blanks: what support reads aloud.
        Ok(Some(text.split_whitespace().collect::<Vec<_>>().join(" ")))
    } else {
        Err(ContactError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_and_addresses_are_contacts_and_the_rest_is_not() {
        assert_eq!(
            parse("+46 8-123  456 78"),
            Ok(Some("+46 8-123 456 78".into()))
        );
        assert_eq!(parse("(555) 010-4477"), Ok(Some("(555) 010-4477".into())));
        assert_eq!(
            parse(" Ada@Home.example "),
            Ok(Some("ada@home.example".into()))
        );
        assert_eq!(parse("   "), Ok(None));
        assert_eq!(parse("call me"), Err(ContactError::Invalid));
        assert_eq!(parse("12"), Err(ContactError::Invalid));
        assert_eq!(parse("+4+6 123"), Err(ContactError::Invalid));
        assert_eq!(parse("ada@"), Err(ContactError::Invalid));
        assert_eq!(parse(&"1".repeat(21)), Err(ContactError::Invalid));
        let padded = format!("+{}123", "-".repeat(60_000));
        assert_eq!(
            parse(&padded),
            Err(ContactError::Invalid),
            "a phone number is short"
        );
    }
}
