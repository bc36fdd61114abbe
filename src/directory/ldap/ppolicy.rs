//! The few BER values rekey reads and writes beside ldap3's own: the
//! password policy response control (draft-behera-ldap-password-policy,
//! which ldap3 does not parse), Active Directory's policy hints control,
//! and `unicodePwd`'s encoding.

use crate::directory::Refusal;

/// The password policy control, sent empty with a change and read back.
pub const PPOLICY_OID: &str = "1.3.6.1.4.1.42.2.27.8.5.1";
/// LDAP_SERVER_POLICY_HINTS (Windows Server 2016 and later; 2008 R2 and
/// 2012 have the older `_DEPRECATED` OID): a reset then honours the
/// password history.
pub const AD_POLICY_HINTS_OID: &str = "1.2.840.113556.1.4.2239";
pub const AD_POLICY_HINTS_DEPRECATED_OID: &str = "1.2.840.113556.1.4.2066";
/// RFC 3062 Password Modify.
pub const PASSWORD_MODIFY_OID: &str = "1.3.6.1.4.1.4203.1.11.1";

/// The hints control's value: `SEQUENCE { Flags INTEGER }` with flags 1,
/// "enforce the password history on a reset".
pub fn ad_policy_hints_value() -> Vec<u8> {
    vec![0x30, 0x03, 0x02, 0x01, 0x01]
}

/// `unicodePwd`'s value: the password in double quotes, UTF-16LE.
pub fn unicode_pwd(password: &str) -> zeroize::Zeroizing<Vec<u8>> {
    let quoted = format!("\"{password}\"");
    let bytes = quoted.encode_utf16().flat_map(u16::to_le_bytes).collect();
    zeroize::Zeroize::zeroize(&mut { quoted });
    zeroize::Zeroizing::new(bytes)
}

/// The `error` of a password policy response value, if it carries one:
/// `SEQUENCE { warning [0] ... OPTIONAL, error [1] ENUMERATED OPTIONAL }`.
pub fn ppolicy_error(value: &[u8]) -> Option<u8> {
    let (tag, body, _) = element(value)?;
    if tag != 0x30 {
        return None;
    }
    let mut rest = body;
    while !rest.is_empty() {
        let (tag, inner, after) = element(rest)?;
        if tag == 0x81 && inner.len() == 1 {
            return Some(inner[0]);
        }
        rest = after;
    }
    None
}

/// One BER element: its tag, its contents and what follows it.
fn element(bytes: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = bytes.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// What the policy control's error means for the person.
pub fn refusal_of_ppolicy_error(error: u8) -> Refusal {
    match error {
        // accountLocked
        1 => Refusal::Locked,
        // insufficientPasswordQuality
        5 => Refusal::TooSimple,
        // passwordTooShort
        6 => Refusal::TooShort,
        // passwordInHistory
        8 => Refusal::InHistory,
        _ => Refusal::Other,
    }
}

/// A refusal read from the server's words, when it sent no control: the
/// texts of OpenLDAP's ppolicy, 389-ds and Active Directory / Samba.
pub fn refusal_of_text(text: &str) -> Refusal {
    let text = text.to_ascii_lowercase();
    if text.contains("history") {
        Refusal::InHistory
    } else if text.contains("too short") || text.contains("minimum length") {
        Refusal::TooShort
    } else if text.contains("quality") || text.contains("complex") || text.contains("trivial") {
        Refusal::TooSimple
    } else if text.contains("locked") {
        Refusal::Locked
    } else {
        Refusal::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_hints_value_is_a_sequence_of_integer_one() {
        // SEQUENCE (0x30) of 3 bytes: INTEGER (0x02), length 1, value 1.
        assert_eq!(ad_policy_hints_value(), [0x30, 0x03, 0x02, 0x01, 0x01]);
        let value = ad_policy_hints_value();
        let (tag, body, rest) = element(&value).unwrap();
        assert_eq!((tag, rest.len()), (0x30, 0));
        assert_eq!(element(body).unwrap(), (0x02, &[1u8][..], &[][..]));
    }

    #[test]
    fn unicode_pwd_is_quoted_utf16le() {
        assert_eq!(
            unicode_pwd("ab").as_slice(),
            [b'"', 0, b'a', 0, b'b', 0, b'"', 0]
        );
        assert_eq!(unicode_pwd("é").as_slice(), [b'"', 0, 0xe9, 0, b'"', 0]);
    }

    #[test]
    fn the_policy_error_is_read_with_or_without_a_warning() {
        // error passwordInHistory (8) alone.
        assert_eq!(ppolicy_error(&[0x30, 0x03, 0x81, 0x01, 0x08]), Some(8));
        // warning timeBeforeExpiration [0] { [0] INTEGER 5 }, then error 6.
        let value = [0x30, 0x08, 0xa0, 0x03, 0x80, 0x01, 0x05, 0x81, 0x01, 0x06];
        assert_eq!(ppolicy_error(&value), Some(6));
        assert_eq!(ppolicy_error(&[0x30, 0x00]), None);
        assert_eq!(ppolicy_error(&[0x30, 0x05, 0x81]), None);
        assert_eq!(ppolicy_error(&[]), None);
        assert_eq!(refusal_of_ppolicy_error(8), Refusal::InHistory);
        assert_eq!(refusal_of_ppolicy_error(6), Refusal::TooShort);
    }

    #[test]
    fn server_texts_map_to_refusals() {
        assert_eq!(
            refusal_of_text("Password is in history of old passwords"),
            Refusal::InHistory
        );
        assert_eq!(
            refusal_of_text("Password fails quality checking policy"),
            Refusal::TooSimple
        );
        assert_eq!(
            refusal_of_text(
                "0000052D: Constraint violation - check_password_restrictions: the password is too short. It should be equal or longer than 7 characters!"
            ),
            Refusal::TooShort
        );
        assert_eq!(
            refusal_of_text("0000052D: Constraint violation"),
            Refusal::Other
        );
    }
}
