//! The wizard's words. Every string a person sees comes from a catalogue
//! under `assets/locales/`, one TOML file per language; none is written in
//! code. A key missing from a catalogue shows as `⟨key⟩`, and a test fails.

use std::collections::BTreeMap;

/// The shipped catalogues: code and file.
const SHIPPED: &[(&str, &str)] = &[
    ("en", include_str!("../../assets/locales/en.toml")),
    ("sv", include_str!("../../assets/locales/sv.toml")),
];

/// One language's strings, by dotted key (`check.title`).
#[derive(Debug, Clone)]
pub struct Catalog {
    pub code: &'static str,
    strings: BTreeMap<String, String>,
}

impl Catalog {
    fn parse(code: &'static str, text: &str) -> Result<Self, String> {
        let table: toml::Table = toml::from_str(text).map_err(|e| format!("{code}: {e}"))?;
        let mut strings = BTreeMap::new();
        flatten("", &table, &mut strings);
        Ok(Self { code, strings })
    }

    /// The string for `key`.
    pub fn t(&self, key: &str) -> String {
        self.strings
            .get(key)
            .cloned()
            .unwrap_or_else(|| format!("⟨{key}⟩"))
    }

    /// The string for `key` with `{name}` filled in.
    pub fn tf(&self, key: &str, values: &[(&str, &str)]) -> String {
        let mut text = self.t(key);
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.strings.keys().map(String::as_str)
    }

    pub fn has(&self, key: &str) -> bool {
        self.strings.contains_key(key)
    }
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut BTreeMap<String, String>) {
    for (key, value) in table {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::String(s) => {
                out.insert(full, s.clone());
            }
            toml::Value::Table(t) => flatten(&full, t, out),
            _ => {}
        }
    }
}

/// Every shipped language, in the order the landing screen offers them.
#[derive(Debug, Clone)]
pub struct Catalogs {
    all: Vec<Catalog>,
}

impl Catalogs {
    pub fn shipped() -> Self {
        let all = SHIPPED
            .iter()
            .filter_map(|(code, text)| Catalog::parse(code, text).ok())
            .collect();
        Self { all }
    }

    pub fn len(&self) -> usize {
        self.all.len()
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    pub fn get(&self, index: usize) -> &Catalog {
        // `shipped` always holds English, whose file is part of the binary.
        &self.all[index.min(self.all.len().saturating_sub(1))]
    }

    /// The index of a language code (`sv`, `sv_SE.UTF-8`, `SV`).
    pub fn find(&self, code: &str) -> Option<usize> {
        let wanted: String = code
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .collect::<String>()
            .to_ascii_lowercase();
        self.all.iter().position(|c| c.code == wanted)
    }
}

/// The language the locale asks for: the first of `LC_ALL`, `LC_MESSAGES`,
/// `LANG` that is set.
pub fn locale_language() -> Option<String> {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn placeholders(text: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut rest = text;
        while let Some(start) = rest.find('{') {
            let Some(len) = rest[start..].find('}') else {
                break;
            };
            out.insert(rest[start..start + len + 1].to_string());
            rest = &rest[start + len + 1..];
        }
        out
    }

    #[test]
    fn every_catalogue_parses_and_has_every_key_with_the_same_placeholders() {
        let catalogs = Catalogs::shipped();
        assert_eq!(catalogs.len(), SHIPPED.len(), "every catalogue parses");
        let english = catalogs.get(0);
        for index in 1..catalogs.len() {
            let other = catalogs.get(index);
            let missing: Vec<&str> = english.keys().filter(|k| !other.has(k)).collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", other.code);
            let extra: Vec<&str> = other.keys().filter(|k| !english.has(k)).collect();
            assert!(
                extra.is_empty(),
                "{} has unknown keys {extra:?}",
                other.code
            );
            for key in english.keys() {
                assert_eq!(
                    placeholders(&english.t(key)),
                    placeholders(&other.t(key)),
                    "{}: {key}",
                    other.code
                );
            }
        }
    }

    #[test]
    fn every_piece_of_zxcvbn_advice_has_a_string() {
        use zxcvbn::feedback::{Suggestion as S, Warning as W};
        let warnings = [
            W::StraightRowsOfKeysAreEasyToGuess,
            W::ShortKeyboardPatternsAreEasyToGuess,
            W::RepeatsLikeAaaAreEasyToGuess,
            W::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess,
            W::ThisIsATop10Password,
            W::ThisIsATop100Password,
            W::ThisIsACommonPassword,
            W::ThisIsSimilarToACommonlyUsedPassword,
            W::SequencesLikeAbcAreEasyToGuess,
            W::RecentYearsAreEasyToGuess,
            W::AWordByItselfIsEasyToGuess,
            W::DatesAreOftenEasyToGuess,
            W::NamesAndSurnamesByThemselvesAreEasyToGuess,
            W::CommonNamesAndSurnamesAreEasyToGuess,
        ];
        let suggestions = [
            S::UseAFewWordsAvoidCommonPhrases,
            S::NoNeedForSymbolsDigitsOrUppercaseLetters,
            S::AddAnotherWordOrTwo,
            S::CapitalizationDoesntHelpVeryMuch,
            S::AllUppercaseIsAlmostAsEasyToGuessAsAllLowercase,
            S::ReversedWordsArentMuchHarderToGuess,
            S::PredictableSubstitutionsDontHelpVeryMuch,
            S::UseALongerKeyboardPatternWithMoreTurns,
            S::AvoidRepeatedWordsAndCharacters,
            S::AvoidSequences,
            S::AvoidRecentYears,
            S::AvoidYearsThatAreAssociatedWithYou,
            S::AvoidDatesAndYearsThatAreAssociatedWithYou,
        ];
        let english = Catalogs::shipped().get(0).clone();
        let keys = warnings
            .iter()
            .map(|w| format!("{w:?}"))
            .chain(suggestions.iter().map(|s| format!("{s:?}")));
        for variant in keys {
            let key = format!("advice.{}", crate::recovery::policy::advice_key(&variant));
            assert!(english.has(&key), "{key}");
        }
    }

    #[test]
    fn a_missing_key_is_visible_and_placeholders_are_filled() {
        let english = Catalogs::shipped().get(0).clone();
        assert_eq!(english.t("no.such.key"), "⟨no.such.key⟩");
        assert_eq!(
            english.tf("app.step", &[("n", "2"), ("total", "5")]),
            "Step 2 of 5"
        );
    }

    #[test]
    fn languages_are_found_from_locale_strings() {
        let catalogs = Catalogs::shipped();
        assert_eq!(catalogs.find("sv_SE.UTF-8"), Some(1));
        assert_eq!(catalogs.find("EN"), Some(0));
        assert_eq!(catalogs.find("de_DE"), None);
    }
}
