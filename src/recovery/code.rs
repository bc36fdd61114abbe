//! Verification codes: six digits from the OS's random source, shown as
//! `482 913`, accepted with a space, a dash or neither, and never printable
//! by accident (no `Display`, a redacting `Debug`, zeroised on drop).

use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// How many digits a code has.
pub const CODE_DIGITS: usize = 6;
const CODE_SPACE: u32 = 1_000_000;
// The largest multiple of 10^6 that fits a u32; draws at or above it are
// thrown away so that every code is equally likely.
const UNBIASED_LIMIT: u32 = (u32::MAX / CODE_SPACE) * CODE_SPACE;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum CodeFormatError {
    #[error("the code has 6 digits")]
    WrongLength,
    #[error("the code has digits only")]
    NotDigits,
}

/// A six-digit verification code.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Code([u8; CODE_DIGITS]);

impl Code {
    /// Draws a code uniformly from 000000–999999 with the OS CSPRNG.
    pub fn generate() -> Result<Self, getrandom::Error> {
        loop {
            let mut bytes = Zeroizing::new([0u8; 4]);
            getrandom::fill(bytes.as_mut())?;
            let draw = u32::from_le_bytes(*bytes);
            if draw < UNBIASED_LIMIT {
                return Ok(Self::from_number(draw % CODE_SPACE));
            }
        }
    }

    fn from_number(mut n: u32) -> Self {
        let mut digits = [0u8; CODE_DIGITS];
        for slot in digits.iter_mut().rev() {
            // n % 10 is below 10, so the cast cannot truncate.
            *slot = b'0' + (n % 10) as u8;
            n /= 10;
        }
        Self(digits)
    }

    /// Reads a code as a person types or pastes it: `482913`, `482 913`,
    /// `482-913`, with surrounding whitespace.
    pub fn parse(input: &str) -> Result<Self, CodeFormatError> {
        let mut digits = [0u8; CODE_DIGITS];
        let mut count = 0;
        for c in input.trim().chars() {
            match c {
                '0'..='9' => {
                    let slot = digits.get_mut(count).ok_or(CodeFormatError::WrongLength)?;
                    *slot = c as u8;
                    count += 1;
                }
                ' ' | '-' => {}
                _ => {
                    digits.zeroize();
                    return Err(CodeFormatError::NotDigits);
                }
            }
        }
        if count != CODE_DIGITS {
            digits.zeroize();
            return Err(CodeFormatError::WrongLength);
        }
        Ok(Self(digits))
    }

    /// The digits as one string, for hashing.
    pub fn digits(&self) -> Zeroizing<String> {
        Zeroizing::new(self.0.iter().map(|&d| d as char).collect())
    }

    /// The code as a person reads it: `482 913`.
    pub fn grouped(&self) -> Zeroizing<String> {
        let d = self.digits();
        Zeroizing::new(format!("{} {}", &d[..3], &d[3..]))
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Code(*** ***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_typed_and_pasted_forms() {
        let want = Code::parse("482913").unwrap();
        for input in ["482 913", "482-913", " 482913\n", "4 8 2 9 1 3"] {
            assert_eq!(Code::parse(input).unwrap(), want, "{input:?}");
        }
        assert_eq!(*want.grouped(), "482 913");
        assert_eq!(*want.digits(), "482913");
    }

    #[test]
    fn refuses_malformed_codes() {
        assert_eq!(Code::parse("48291"), Err(CodeFormatError::WrongLength));
        assert_eq!(Code::parse("4829131"), Err(CodeFormatError::WrongLength));
        assert_eq!(Code::parse(""), Err(CodeFormatError::WrongLength));
        assert_eq!(Code::parse("48a913"), Err(CodeFormatError::NotDigits));
        assert_eq!(Code::parse("482_913"), Err(CodeFormatError::NotDigits));
    }

    #[test]
    fn debug_never_shows_the_digits() {
        let code = Code::parse("123456").unwrap();
        let shown = format!("{code:?}");
        assert!(!shown.contains("123"), "{shown}");
    }

    #[test]
    fn leading_zeros_are_kept() {
        assert_eq!(*Code::from_number(42).grouped(), "000 042");
    }

    #[test]
    fn generated_codes_cover_every_digit_in_every_place() {
        // 2,000 draws: each digit appears in each place about 200 times; a
        // generator stuck on a value or a place would miss some.
        let mut seen = [[0u32; 10]; CODE_DIGITS];
        for _ in 0..2_000 {
            let code = Code::generate().unwrap();
            for (place, d) in code.digits().bytes().enumerate() {
                seen[place][usize::from(d - b'0')] += 1;
            }
        }
        for (place, counts) in seen.iter().enumerate() {
            for (digit, &n) in counts.iter().enumerate() {
                assert!(
                    (120..=300).contains(&n),
                    "digit {digit} at place {place} seen {n} times"
                );
            }
        }
    }
}
