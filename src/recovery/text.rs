//! Text a person, a client or a directory supplies (names, where a person
//! is, a hook's words), made safe to store and to show: no control
//! characters and no invisible format characters, among them the bidi
//! overrides that make `moc.elpmaxe@ada` read as `ada@example.com` on a
//! terminal that honours them.

/// A password as it is judged, hashed and sent to a directory: in Unicode
/// NFC, so that `å` typed as one character or as `a` and a combining ring
/// (keyboards and input methods differ) is the same password. Its buffer
/// is wiped when dropped.
pub fn nfc(password: &str) -> zeroize::Zeroizing<String> {
    use unicode_normalization::UnicodeNormalization;
    let mut normal = zeroize::Zeroizing::new(String::with_capacity(password.len()));
    normal.extend(password.nfc());
    normal
}

/// A character that is never stored or drawn: the C0 and C1 controls and
/// Unicode's format characters (general category Cf).
pub fn is_hidden(c: char) -> bool {
    c.is_control() || is_format(c)
}

/// Unicode's format characters (category Cf, Unicode 15): bidi embeddings,
/// overrides and isolates, zero-width marks, the soft hyphen, tags. Not the
/// zero-width joiner and non-joiner (U+200C, U+200D): Persian, Indic
/// scripts and emoji need them, a Persian keyboard types them, and they do
/// not reorder text.
fn is_format(c: char) -> bool {
    matches!(
        u32::from(c),
        0xAD | 0x600..=0x605
            | 0x61C
            | 0x6DD
            | 0x70F
            | 0x890..=0x891
            | 0x8E2
            | 0x180E
            | 0x200B
            | 0x200E..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
}

/// `text` without hidden characters, at most `max` characters long.
pub fn visible(text: &str, max: usize) -> String {
    text.chars().filter(|c| !is_hidden(*c)).take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_and_format_characters_go_with_the_controls() {
        assert_eq!(
            visible("ssh 10.0.0.1\u{202E}1.0.0.01 hss\u{202C}", 100),
            "ssh 10.0.0.11.0.0.01 hss"
        );
        for c in [
            '\u{202A}',
            '\u{202B}',
            '\u{202D}',
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}',
            '\u{200E}',
            '\u{200F}',
            '\u{061C}',
            '\u{200B}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{E0041}',
            '\u{1B}',
            '\u{7}',
            '\u{85}',
            '\u{9B}',
        ] {
            assert!(is_hidden(c), "{:04X}", u32::from(c));
        }
        for c in [
            'a', 'é', 'Ж', 'ß', '中', ' ', '-', '😀', '\u{200C}', '\u{200D}',
        ] {
            assert!(!is_hidden(c), "{c}");
        }
        assert_eq!(visible("Åsa\u{200B} Öberg", 4), "Åsa ");
        // A Persian name keeps its non-joiner.
        assert_eq!(visible("علی\u{200C}پور", 10), "علی\u{200C}پور");
    }
}
