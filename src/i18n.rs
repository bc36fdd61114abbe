//! rekey's words. Every string a person sees, on screen or in a mail, comes
//! from the shipped languages below: a Fluent catalogue
//! (`assets/locales/<code>.ftl`) and the mail's templates
//! (`assets/mail/<code>/`). None is written in code. Fluent picks the
//! plural form of each language (`1 try`, `2 tries`; Russian's three
//! forms). A message missing from a catalogue shows as `⟨id⟩`, and a test
//! fails.
//!
//! [`LANGUAGES`] is the one list: the wizard offers these languages,
//! `--lang` accepts these codes, and the mail is written in them.

use fluent_bundle::FluentResource;
use fluent_bundle::concurrent::FluentBundle;
pub use fluent_bundle::{FluentArgs, FluentValue};
use std::sync::{Arc, OnceLock};

/// A mail's two texts: plain (first line: the subject) and HTML.
#[derive(Debug, Clone, Copy)]
pub struct MailTemplate {
    pub text: &'static str,
    pub html: &'static str,
}

/// The mail a language must have, one template per kind of message.
#[derive(Debug, Clone, Copy)]
pub struct MailTemplates {
    pub code: MailTemplate,
    pub unknown_address: MailTemplate,
    pub password_changed: MailTemplate,
}

/// A shipped language: its code, its catalogue, its mail.
#[derive(Debug)]
pub struct Language {
    pub code: &'static str,
    catalogue: &'static str,
    pub mail: MailTemplates,
}

macro_rules! language {
    ($code:literal) => {
        Language {
            code: $code,
            catalogue: include_str!(concat!("../assets/locales/", $code, ".ftl")),
            mail: MailTemplates {
                code: MailTemplate {
                    text: include_str!(concat!("../assets/mail/", $code, "/code.txt")),
                    html: include_str!(concat!("../assets/mail/", $code, "/code.html")),
                },
                unknown_address: MailTemplate {
                    text: include_str!(concat!("../assets/mail/", $code, "/unknown_address.txt")),
                    html: include_str!(concat!("../assets/mail/", $code, "/unknown_address.html")),
                },
                password_changed: MailTemplate {
                    text: include_str!(concat!("../assets/mail/", $code, "/password_changed.txt")),
                    html: include_str!(concat!("../assets/mail/", $code, "/password_changed.html")),
                },
            },
        }
    };
}

/// Every shipped language, in the order the landing screen offers them.
/// English comes first: it is the fallback for everything.
pub const LANGUAGES: &[Language] = &[language!("en"), language!("sv"), language!("ru")];

/// The codes of [`LANGUAGES`], in order, for `--lang`.
pub const CODES: [&str; LANGUAGES.len()] = {
    let mut codes = [""; LANGUAGES.len()];
    let mut i = 0;
    while i < codes.len() {
        codes[i] = LANGUAGES[i].code;
        i += 1;
    }
    codes
};

/// The shipped language for `code`, else English.
pub fn language(code: &str) -> &'static Language {
    LANGUAGES
        .iter()
        .find(|l| l.code == code)
        .unwrap_or(&LANGUAGES[0])
}

/// One language's catalogue.
#[derive(Clone)]
pub struct Catalog {
    pub code: &'static str,
    bundle: Arc<FluentBundle<FluentResource>>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog").field("code", &self.code).finish()
    }
}

impl Catalog {
    fn parse(language: &'static Language) -> Result<Self, String> {
        let resource = FluentResource::try_new(language.catalogue.to_string())
            .map_err(|(_, errors)| format!("{}: {errors:?}", language.code))?;
        let id = language
            .code
            .parse()
            .map_err(|e| format!("{}: {e}", language.code))?;
        let mut bundle = FluentBundle::new_concurrent(vec![id]);
        // Unicode isolation marks are for bidirectional text in a browser;
        // in a terminal they show as stray characters or shift columns.
        bundle.set_use_isolating(false);
        bundle
            .add_resource(resource)
            .map_err(|errors| format!("{}: {errors:?}", language.code))?;
        Ok(Self {
            code: language.code,
            bundle: Arc::new(bundle),
        })
    }

    /// The message `id`.
    pub fn t(&self, id: &str) -> String {
        self.format(id, None)
    }

    /// The message `id` with its variables (`$n`, `$address`) filled in:
    /// `t.tf("check-wrong", &[("n", 2.into())])`. A number selects the
    /// plural form.
    pub fn tf(&self, id: &str, values: &[(&str, FluentValue<'_>)]) -> String {
        let mut args = FluentArgs::new();
        for (name, value) in values {
            args.set(*name, value.clone());
        }
        self.format(id, Some(&args))
    }

    fn format(&self, id: &str, args: Option<&FluentArgs>) -> String {
        let Some(pattern) = self.bundle.get_message(id).and_then(|m| m.value()) else {
            return format!("⟨{id}⟩");
        };
        let mut errors = Vec::new();
        let text = self.bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::warn!(
                language = self.code,
                id,
                ?errors,
                "a message did not format"
            );
        }
        text.into_owned()
    }

    pub fn has(&self, id: &str) -> bool {
        self.bundle.has_message(id)
    }
}

/// Every shipped language's catalogue, parsed once.
#[derive(Debug, Clone)]
pub struct Catalogs {
    all: Vec<Catalog>,
}

impl Catalogs {
    pub fn shipped() -> Self {
        static SHIPPED: OnceLock<Catalogs> = OnceLock::new();
        SHIPPED
            .get_or_init(|| {
                let all = LANGUAGES
                    .iter()
                    .filter_map(|l| match Catalog::parse(l) {
                        Ok(catalog) => Some(catalog),
                        Err(e) => {
                            tracing::error!("a catalogue does not parse: {e}");
                            None
                        }
                    })
                    .collect();
                Self { all }
            })
            .clone()
    }

    pub fn len(&self) -> usize {
        self.all.len()
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    pub fn get(&self, index: usize) -> &Catalog {
        // English's catalogue is part of the binary and a test parses it.
        &self.all[index.min(self.all.len().saturating_sub(1))]
    }

    /// The index of a language code (`sv`, `sv_SE.UTF-8`, `SV`).
    pub fn find(&self, code: &str) -> Option<usize> {
        let wanted = base_code(code);
        self.all.iter().position(|c| c.code == wanted)
    }

    /// The language a wizard starts in: `--lang`, else the locale's, else
    /// the config's `wizard.language`, else English.
    pub fn starting(&self, flag: Option<&str>, configured: &str) -> usize {
        flag.and_then(|l| self.find(l))
            .or_else(|| locale_language().and_then(|l| self.find(&l)))
            .or_else(|| self.find(configured))
            .unwrap_or(0)
    }

    /// The catalogue of `code`, else English's.
    pub fn of(&self, code: &str) -> &Catalog {
        self.get(self.find(code).unwrap_or(0))
    }
}

/// `sv_SE.UTF-8` → `sv`.
fn base_code(code: &str) -> String {
    code.chars()
        .take_while(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_lowercase()
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
    use fluent_syntax::ast;
    use std::collections::{BTreeMap, BTreeSet};

    /// Each message of a catalogue with the variables it uses.
    fn messages(text: &str) -> BTreeMap<String, BTreeSet<String>> {
        let resource = fluent_syntax::parser::parse(text).unwrap_or_else(|(_, e)| panic!("{e:?}"));
        let mut out = BTreeMap::new();
        for entry in resource.body {
            if let ast::Entry::Message(message) = entry {
                let mut variables = BTreeSet::new();
                if let Some(value) = &message.value {
                    pattern_variables(value, &mut variables);
                }
                out.insert(message.id.name.to_string(), variables);
            }
        }
        out
    }

    fn pattern_variables(pattern: &ast::Pattern<&str>, out: &mut BTreeSet<String>) {
        for element in &pattern.elements {
            if let ast::PatternElement::Placeable { expression } = element {
                expression_variables(expression, out);
            }
        }
    }

    fn expression_variables(expression: &ast::Expression<&str>, out: &mut BTreeSet<String>) {
        match expression {
            ast::Expression::Select { selector, variants } => {
                inline_variables(selector, out);
                for variant in variants {
                    pattern_variables(&variant.value, out);
                }
            }
            ast::Expression::Inline(inline) => inline_variables(inline, out),
        }
    }

    fn inline_variables(inline: &ast::InlineExpression<&str>, out: &mut BTreeSet<String>) {
        match inline {
            ast::InlineExpression::VariableReference { id } => {
                out.insert(id.name.to_string());
            }
            ast::InlineExpression::Placeable { expression } => {
                expression_variables(expression, out)
            }
            _ => {}
        }
    }

    /// `{name}` placeholders of a mail template.
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
    fn every_catalogue_parses_and_has_every_message_with_the_same_variables() {
        let catalogs = Catalogs::shipped();
        assert_eq!(catalogs.len(), LANGUAGES.len(), "every catalogue parses");
        let english = messages(LANGUAGES[0].catalogue);
        assert!(english.len() > 150, "English has every message");
        for language in &LANGUAGES[1..] {
            let other = messages(language.catalogue);
            let missing: Vec<&String> =
                english.keys().filter(|k| !other.contains_key(*k)).collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", language.code);
            let extra: Vec<&String> = other.keys().filter(|k| !english.contains_key(*k)).collect();
            assert!(extra.is_empty(), "{} has unknown {extra:?}", language.code);
            for (id, variables) in &english {
                assert_eq!(variables, &other[id], "{}: {id}", language.code);
            }
        }
    }

    #[test]
    fn every_language_has_every_mail_with_the_same_placeholders() {
        let kinds = |l: &Language| {
            let m = l.mail;
            [
                ("code", m.code),
                ("unknown_address", m.unknown_address),
                ("password_changed", m.password_changed),
            ]
        };
        for language in LANGUAGES {
            for ((kind, english), (_, mail)) in kinds(&LANGUAGES[0]).iter().zip(kinds(language)) {
                let subject = mail.text.lines().next().unwrap_or("");
                assert!(
                    !subject.trim().is_empty(),
                    "{}: {kind} has a subject",
                    language.code
                );
                assert!(
                    mail.html.contains("<html"),
                    "{}: {kind}.html",
                    language.code
                );
                assert_eq!(
                    placeholders(english.text),
                    placeholders(mail.text),
                    "{}: {kind}.txt",
                    language.code
                );
                assert_eq!(
                    placeholders(english.html),
                    placeholders(mail.html),
                    "{}: {kind}.html",
                    language.code
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
            let key = format!(
                "advice-{}",
                crate::recovery::policy::advice_key(&variant).replace('_', "-")
            );
            assert!(english.has(&key), "{key}");
        }
    }

    #[test]
    fn a_missing_message_is_visible_and_variables_are_filled() {
        let english = Catalogs::shipped().get(0).clone();
        assert_eq!(english.t("no-such-message"), "⟨no-such-message⟩");
        assert_eq!(
            english.tf("app-step", &[("n", 2.into()), ("total", 5.into())]),
            "Step 2 of 5"
        );
    }

    #[test]
    fn numbers_choose_the_plural_form_of_each_language() {
        let catalogs = Catalogs::shipped();
        let tries =
            |code: &str, n: u32| catalogs.of(code).tf("check-tries-left", &[("n", n.into())]);
        assert_eq!(tries("en", 1), "1 try left");
        assert_eq!(tries("en", 2), "2 tries left");
        assert_eq!(tries("sv", 1), "1 försök kvar");
        assert_eq!(tries("ru", 1), "Осталась 1 попытка");
        assert_eq!(tries("ru", 3), "Осталось 3 попытки");
        assert_eq!(tries("ru", 5), "Осталось 5 попыток");
        assert_eq!(tries("ru", 21), "Осталась 21 попытка");
        let seconds = |code: &str, n: u32| catalogs.of(code).tf("time-seconds", &[("n", n.into())]);
        assert_eq!(seconds("en", 1), "1 second");
        assert_eq!(seconds("sv", 1), "1 sekund");
        assert_eq!(seconds("sv", 2), "2 sekunder");
        assert_eq!(seconds("ru", 2), "2 секунды");
    }

    #[test]
    fn languages_are_found_from_locale_strings() {
        let catalogs = Catalogs::shipped();
        assert_eq!(catalogs.find("sv_SE.UTF-8"), Some(1));
        assert_eq!(catalogs.find("ru_RU.UTF-8"), Some(2));
        assert_eq!(catalogs.find("EN"), Some(0));
        assert_eq!(catalogs.find("de_DE"), None);
        assert_eq!(catalogs.of("de").code, "en");
    }
}
