//! The password policy and the verdict the strength meter draws: zxcvbn's
//! score, crack time and advice, and which rule passes or fails.

use serde::{Deserialize, Serialize};

/// The verdict that gates a change judges this many characters with
/// zxcvbn (its own horizon); a longer password is judged on its first 100,
/// and the rest counts for length only.
pub const ZXCVBN_SCORED_CHARS: usize = 100;

/// The meter's quick estimate judges only this many: past 32 characters
/// zxcvbn's time grows from under a millisecond to tens of milliseconds on
/// random input (benches/wizard.rs), and up to half a second on hostile
/// input, too slow to follow every key. A start can be more lenient than
/// the whole (`battery` five times scores 3 on its first 32 characters and
/// 1 whole), so an estimate never says the score rule passes: it says
/// "not yet checked" until the whole verdict is in.
pub const ESTIMATE_CHARS: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordPolicy {
    pub min_length: usize,
    pub max_length: usize,
    /// zxcvbn score, 0 to 4.
    pub min_score: u8,
    /// How many of the account's latest passwords may not be used again.
    pub history: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: 15,
            max_length: 128,
            min_score: 3,
            history: 5,
        }
    }
}

/// The lowest minimum length an operator may set (NIST SP 800-63B rev. 4,
/// with a second factor).
pub const LOWEST_MIN_LENGTH: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rule {
    MinLength(usize),
    MaxLength(usize),
    MinScore(u8),
    /// Not made of the address's parts or the person's name, give or take
    /// a few digits and symbols.
    NotPersonal,
    /// No control or invisible format characters: what is typed must be what is stored.
    Printable,
    NotRecent(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleStatus {
    Passed,
    Failed,
    /// Checked only when the password is submitted (the history needs
    /// hashing).
    Unchecked,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleCheck {
    pub rule: Rule,
    pub status: RuleStatus,
}

/// A piece of zxcvbn's advice: a stable key for translations, and its
/// English text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advice {
    pub key: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PasswordVerdict {
    /// zxcvbn's score, 0 (very weak) to 4 (very strong).
    pub score: u8,
    pub guesses_log10: f64,
    /// Time to crack offline against a slow hash (10^4 guesses a second).
    pub crack_seconds: f64,
    pub crack_time: String,
    pub warning: Option<Advice>,
    pub suggestions: Vec<Advice>,
    pub rules: Vec<RuleCheck>,
    /// A quick estimate on the first [`ESTIMATE_CHARS`] characters: the
    /// score rule is left unchecked, and the whole verdict follows.
    #[serde(default)]
    pub provisional: bool,
}

impl PasswordVerdict {
    /// True when no rule fails. A rule not yet checked does not fail.
    pub fn passes(&self) -> bool {
        self.rules.iter().all(|r| r.status != RuleStatus::Failed)
    }

    pub fn failed_rules(&self) -> impl Iterator<Item = Rule> + '_ {
        self.rules
            .iter()
            .filter(|r| r.status == RuleStatus::Failed)
            .map(|r| r.rule)
    }

    /// Records the outcome of the history check.
    pub fn with_history_checked(mut self, reused: bool) -> Self {
        for check in &mut self.rules {
            if matches!(check.rule, Rule::NotRecent(_)) {
                check.status = if reused {
                    RuleStatus::Failed
                } else {
                    RuleStatus::Passed
                };
            }
        }
        self
    }
}

impl PasswordPolicy {
    /// The rules a password is judged by, in the order a verdict lists
    /// them: what the meter shows before anything is typed.
    pub fn rules(&self) -> Vec<Rule> {
        let mut rules = vec![
            Rule::MinLength(self.min_length),
            Rule::MaxLength(self.max_length),
            Rule::MinScore(self.min_score),
            Rule::NotPersonal,
            Rule::Printable,
        ];
        if self.history > 0 {
            rules.push(Rule::NotRecent(self.history));
        }
        rules
    }

    /// Judges a password, whole: the verdict that gates a change. `hints`
    /// are words it should not be built from: the address's parts and the
    /// account's name.
    pub fn assess(&self, password: &str, hints: &[String]) -> PasswordVerdict {
        self.judge(password, hints, ZXCVBN_SCORED_CHARS)
    }

    /// What the meter shows at once while the person types: the whole
    /// verdict for a password of up to [`ESTIMATE_CHARS`] characters, else
    /// an estimate on its start, marked provisional, whose score rule is
    /// unchecked. [`PasswordPolicy::assess`] then gives the whole verdict.
    pub fn estimate(&self, password: &str, hints: &[String]) -> PasswordVerdict {
        if password.chars().count() <= ESTIMATE_CHARS {
            return self.assess(password, hints);
        }
        let mut verdict = self.judge(password, hints, ESTIMATE_CHARS);
        verdict.provisional = true;
        for check in &mut verdict.rules {
            if matches!(check.rule, Rule::MinScore(_)) {
                check.status = RuleStatus::Unchecked;
            }
        }
        verdict
    }

    fn judge(&self, password: &str, hints: &[String], scored_chars: usize) -> PasswordVerdict {
        let password = crate::recovery::text::nfc(password);
        let password = password.as_str();
        let length = password.chars().count();
        let scored: String = password.chars().take(scored_chars).collect();
        let hint_refs: Vec<&str> = hints.iter().map(String::as_str).collect();
        let entropy = zxcvbn::zxcvbn(&scored, &hint_refs);
        let score = entropy.score() as u8;
        let crack = entropy.crack_times().offline_slow_hashing_1e4_per_second();
        let crack_seconds = match crack {
            zxcvbn::time_estimates::CrackTimeSeconds::Integer(s) => s as f64,
            zxcvbn::time_estimates::CrackTimeSeconds::Float(s) => s,
        };
        let feedback = entropy.feedback();
        let warning = feedback
            .and_then(|f| f.warning())
            .map(|w| advice(format!("{w:?}"), w.to_string()));
        let suggestions = feedback
            .map(|f| {
                f.suggestions()
                    .iter()
                    .map(|s| advice(format!("{s:?}"), s.to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let check = |rule, ok: bool| RuleCheck {
            rule,
            status: if ok {
                RuleStatus::Passed
            } else {
                RuleStatus::Failed
            },
        };
        let mut rules = vec![
            check(Rule::MinLength(self.min_length), length >= self.min_length),
            check(Rule::MaxLength(self.max_length), length <= self.max_length),
            check(Rule::MinScore(self.min_score), score >= self.min_score),
            check(Rule::NotPersonal, !built_from(password, hints)),
            check(
                Rule::Printable,
                !password.chars().any(crate::recovery::text::is_hidden),
            ),
        ];
        if self.history > 0 {
            rules.push(RuleCheck {
                rule: Rule::NotRecent(self.history),
                status: RuleStatus::Unchecked,
            });
        }
        PasswordVerdict {
            score,
            guesses_log10: entropy.guesses_log10(),
            crack_seconds,
            crack_time: crack.to_string(),
            warning,
            suggestions,
            rules,
            provisional: false,
        }
    }
}

/// Words from a person's name that a password should not be built from:
/// each word, and the whole name with and without separators.
pub fn name_hints(name: &str) -> Vec<String> {
    let words: Vec<String> = name.split_whitespace().map(str::to_lowercase).collect();
    let mut hints = words.clone();
    if words.len() > 1 {
        for joiner in ["", " ", ".", "-", "_"] {
            hints.push(words.join(joiner));
        }
    }
    hints.retain(|h| !h.is_empty());
    hints
}

/// True when taking every hint of three or more characters out of the
/// password leaves fewer than four characters of its own, where a run of
/// digits counts as one (a number added is one choice, not four), and
/// symbols count as none: `Maria.Svensson1!` for Maria Svensson, her
/// address twice over, or `alex@example.com2024`.
fn built_from(password: &str, hints: &[String]) -> bool {
    const LEAST_OF_ITS_OWN: usize = 4;
    let lowered = password.to_lowercase();
    let mut words: Vec<String> = hints
        .iter()
        .map(|h| h.to_lowercase())
        .filter(|h| h.chars().count() >= 3)
        .collect();
    words.sort_by_key(|w| std::cmp::Reverse(w.len()));
    let mut rest = lowered.clone();
    for word in &words {
        rest = rest.replace(word.as_str(), " ");
    }
    let mut own = 0;
    let mut in_number = false;
    for c in rest.chars() {
        let digit = c.is_numeric();
        if c.is_alphabetic() || (digit && !in_number) {
            own += 1;
        }
        in_number = digit;
    }
    rest != lowered && own < LEAST_OF_ITS_OWN
}

fn advice(variant: String, text: String) -> Advice {
    Advice {
        key: advice_key(&variant),
        text,
    }
}

/// The catalogue key of a zxcvbn warning or suggestion, from its variant
/// name: `AddAnotherWordOrTwo` → `add_another_word_or_two`.
pub fn advice_key(variant: &str) -> String {
    snake_case(variant)
}

fn snake_case(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 8);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recovery::EmailAddress;

    fn status(v: &PasswordVerdict, rule: Rule) -> RuleStatus {
        v.rules.iter().find(|r| r.rule == rule).unwrap().status
    }

    #[test]
    fn a_weak_password_fails_with_advice() {
        let v = PasswordPolicy::default().assess("password1", &[]);
        assert!(v.score <= 1);
        assert!(!v.passes());
        assert_eq!(status(&v, Rule::MinLength(15)), RuleStatus::Failed);
        assert_eq!(status(&v, Rule::MinScore(3)), RuleStatus::Failed);
        let warning = v.warning.unwrap();
        assert_eq!(warning.key, "this_is_a_common_password");
        assert!(!warning.text.is_empty());
    }

    #[test]
    fn a_strong_password_passes_every_rule_it_can_check() {
        let v = PasswordPolicy::default().assess("lantern quietly orbits seventeen moths", &[]);
        assert_eq!(v.score, 4);
        assert!(v.passes());
        assert_eq!(status(&v, Rule::NotRecent(5)), RuleStatus::Unchecked);
        assert!(v.crack_seconds > 1e9);
        assert!(v.warning.is_none());
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let policy = PasswordPolicy::default();
        let fifteen = "åäöåäöåäöåäöåäö";
        assert_eq!(
            status(&policy.assess(fifteen, &[]), Rule::MinLength(15)),
            RuleStatus::Passed
        );
    }

    #[test]
    fn too_long_fails_even_when_strong() {
        let long = "Xq7!vR2#mK9@wP4$".repeat(9); // 144 characters
        let v = PasswordPolicy::default().assess(&long, &[]);
        assert_eq!(status(&v, Rule::MaxLength(128)), RuleStatus::Failed);
        assert!(!v.passes());
    }

    #[test]
    fn a_password_built_from_the_address_is_weak() {
        let address = EmailAddress::parse("maria.svensson@kirunamine.se").unwrap();
        let hints = address.password_hints();
        // 16 characters, upper and lower case, a digit and a symbol: strong
        // by composition rules, weak once the address is known.
        let pw = "Maria.Svensson1!";
        let with = PasswordPolicy::default().assess(pw, &hints);
        let without = PasswordPolicy::default().assess(pw, &[]);
        assert!(with.score < 3, "score {}", with.score);
        assert_eq!(without.score, 4);
        let whole = PasswordPolicy::default().assess("maria.svensson@kirunamine.se", &hints);
        assert_eq!(whole.score, 0);
        assert!(with.guesses_log10 < without.guesses_log10);
        assert_eq!(status(&with, Rule::MinScore(3)), RuleStatus::Failed);
        assert_eq!(status(&with, Rule::NotPersonal), RuleStatus::Failed);
        assert_eq!(status(&without, Rule::NotPersonal), RuleStatus::Passed);
    }

    #[test]
    fn the_address_with_a_number_or_symbols_added_is_still_the_address() {
        let address = EmailAddress::parse("alex@example.com").unwrap();
        let hints = address.password_hints();
        let policy = PasswordPolicy::default();
        for pw in [
            "alex@example.com2024",
            "alex@example.com!!",
            "2024alex@example.com#1",
        ] {
            let v = policy.assess(pw, &hints);
            assert_eq!(status(&v, Rule::NotPersonal), RuleStatus::Failed, "{pw}");
        }
        // Words of its own around a part of the address are its own.
        let v = policy.assess("alex grows copper kettles", &hints);
        assert_eq!(status(&v, Rule::NotPersonal), RuleStatus::Passed);
    }

    #[test]
    fn a_password_built_from_the_name_is_refused_however_it_is_joined() {
        let hints = name_hints("Maria Svensson");
        let policy = PasswordPolicy::default();
        for pw in [
            "Maria.Svensson1!",
            "mariasvensson!!",
            "maria svensson maria svensson",
            "SVENSSON-MARIA-24",
        ] {
            let v = policy.assess(pw, &hints);
            assert_eq!(status(&v, Rule::NotPersonal), RuleStatus::Failed, "{pw}");
            assert!(!v.passes(), "{pw}");
        }
        // A name inside a real passphrase is the meter's business, not a rule's.
        let v = policy.assess("maria grows copper kettles at dawn", &hints);
        assert_eq!(status(&v, Rule::NotPersonal), RuleStatus::Passed);
        assert!(v.passes());
    }

    #[test]
    fn name_hints_join_the_words_every_usual_way() {
        let hints = name_hints("Ada  King Lovelace");
        for want in [
            "ada",
            "lovelace",
            "adakinglovelace",
            "ada.king.lovelace",
            "ada king lovelace",
        ] {
            assert!(hints.iter().any(|h| h == want), "{want} in {hints:?}");
        }
        assert!(name_hints("").is_empty());
    }

    #[test]
    fn control_characters_are_refused() {
        let v = PasswordPolicy::default().assess("lantern quietly\u{1b}[2J orbits moths", &[]);
        assert_eq!(status(&v, Rule::Printable), RuleStatus::Failed);
    }

    #[test]
    fn the_history_check_is_recorded() {
        let v = PasswordPolicy::default().assess("lantern quietly orbits seventeen moths", &[]);
        let reused = v.clone().with_history_checked(true);
        assert!(!reused.passes());
        assert_eq!(status(&reused, Rule::NotRecent(5)), RuleStatus::Failed);
        let fresh = v.with_history_checked(false);
        assert!(fresh.passes());
    }

    #[test]
    fn the_gate_judges_the_whole_password_and_the_estimate_never_passes_it() {
        let policy = PasswordPolicy::default();
        let battery = "battery".repeat(5);
        let whole = policy.assess(&battery, &[]);
        assert!(whole.score < 3, "score {}", whole.score);
        assert_eq!(status(&whole, Rule::MinScore(3)), RuleStatus::Failed);
        assert!(!whole.passes());
        let quick = policy.estimate(&battery, &[]);
        assert!(quick.provisional);
        assert_eq!(status(&quick, Rule::MinScore(3)), RuleStatus::Unchecked);
        // Up to 32 characters the estimate is the whole verdict.
        let short = policy.estimate("lantern quietly orbits moths", &[]);
        assert!(!short.provisional);
        assert_eq!(short, policy.assess("lantern quietly orbits moths", &[]));
    }

    /// Long passwords made of few words repeated, the shape that fooled
    /// the 32-character judge: whatever the gate passes, zxcvbn on the
    /// whole (its 100-character horizon) scores 3 or more.
    #[test]
    fn the_gate_never_passes_what_zxcvbn_rejects_whole() {
        let words = [
            "battery", "horse", "staple", "correct", "moth", "lantern", "x7", "Q!",
        ];
        let policy = PasswordPolicy::default();
        let mut judged = 0;
        for a in 0..words.len() {
            for b in 0..words.len() {
                for times in [3, 4, 6, 9] {
                    let password = format!("{}{}", words[a], words[b]).repeat(times);
                    let length = password.chars().count();
                    if !(33..=128).contains(&length) {
                        continue;
                    }
                    judged += 1;
                    let whole: String = password.chars().take(100).collect();
                    let zxcvbn = zxcvbn::zxcvbn(&whole, &[]).score() as u8;
                    let verdict = policy.assess(&password, &[]);
                    assert!(!verdict.passes() || zxcvbn >= 3, "{password}: {zxcvbn}");
                    assert_eq!(verdict.score, zxcvbn, "{password}");
                }
            }
        }
        assert!(judged > 100, "{judged}");
    }

    #[test]
    fn keys_are_snake_case() {
        assert_eq!(snake_case("AddAnotherWordOrTwo"), "add_another_word_or_two");
    }
}
