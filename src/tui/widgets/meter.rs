//! The strength meter: a bar for zxcvbn's score with its word, the time to
//! guess the password, zxcvbn's advice, and a checklist of the policy's
//! rules, all drawn from the engine's verdict as it is.

use crate::i18n::Catalog;
use crate::recovery::{PasswordPolicy, PasswordVerdict, Rule, RuleCheck, RuleStatus};
use crate::tui::theme::Theme;
use ratatui::text::{Line, Span};

/// The lines of the meter for `verdict`; none yet (nothing typed): an
/// empty bar and the policy's rules, none checked, so the person sees them
/// before typing, in the place they keep.
pub fn lines(
    verdict: Option<&PasswordVerdict>,
    policy: &PasswordPolicy,
    t: &Catalog,
    theme: &Theme,
    width: u16,
    compact: bool,
) -> Vec<Line<'static>> {
    let g = theme.glyphs();
    let score = verdict.map_or(0, |v| v.score);
    let filled = if verdict.is_some() {
        usize::from(score) + 1
    } else {
        0
    };
    let segment = usize::from(width.saturating_sub(30) / 5).clamp(2, 6);
    let word = verdict
        .map(|_| theme.text(&t.t(&format!("password-score-{score}"))))
        .unwrap_or_default();
    let mut out = vec![Line::from(vec![
        Span::raw(format!("{} ", theme.text(&t.t("password-strength")))),
        Span::styled(g.bar_full.repeat(segment * filled), theme.score(score)),
        Span::styled(g.bar_empty.repeat(segment * (5 - filled)), theme.dim()),
        Span::raw(" "),
        Span::styled(word, theme.score(score)),
    ])];
    if !compact {
        out.push(Line::styled(
            theme.text(&t.t("password-rules")),
            theme.dim(),
        ));
    }
    let unchecked: Vec<RuleCheck>;
    let checks = match verdict {
        Some(v) => &v.rules,
        None => {
            unchecked = policy
                .rules()
                .into_iter()
                .map(|rule| RuleCheck {
                    rule,
                    status: RuleStatus::Unchecked,
                })
                .collect();
            &unchecked
        }
    };
    // The rules first, in a fixed place: the list does not jump as
    // advice comes and goes, and in a short window what still fails is
    // what stays on screen.
    for check in checks {
        let (mark, style) = match check.status {
            RuleStatus::Passed => (g.check, theme.ok()),
            RuleStatus::Failed => (g.cross, theme.error()),
            RuleStatus::Unchecked => (g.pending, theme.dim()),
        };
        // Only rules that can fail for a typed password: control characters
        // never get into the field.
        if check.rule == Rule::Printable {
            continue;
        }
        // A short window lists only what is still to do.
        if compact && check.status == RuleStatus::Passed {
            continue;
        }
        out.push(Line::from(vec![
            Span::styled(format!("{mark} "), style),
            Span::styled(theme.text(&rule_text(check.rule, t)), style),
        ]));
    }
    let Some(v) = verdict else {
        return out;
    };
    out.push(Line::styled(
        theme.text(&t.tf(
            "password-crack-time",
            &[("time", crack_time(v.crack_seconds, t).into())],
        )),
        theme.dim(),
    ));
    if let Some(warning) = &v.warning {
        out.push(Line::styled(
            theme.text(&advice(t, &warning.key, &warning.text)),
            theme.warn(),
        ));
    }
    if let Some(first) = v.suggestions.first() {
        out.push(Line::styled(
            theme.text(&advice(t, &first.key, &first.text)),
            theme.dim(),
        ));
    }
    out
}

/// zxcvbn's advice in the person's language; `key` is the snake-case name
/// the service sends (`add_another_word_or_two`).
fn advice(t: &Catalog, key: &str, english: &str) -> String {
    let full = format!("advice-{}", key.replace('_', "-"));
    if t.has(&full) {
        t.t(&full)
    } else {
        english.to_string()
    }
}

pub fn rule_text(rule: Rule, t: &Catalog) -> String {
    match rule {
        Rule::MinLength(n) => t.tf("password-rule-min-length", &[("n", n.into())]),
        Rule::MaxLength(n) => t.tf("password-rule-max-length", &[("n", n.into())]),
        Rule::MinScore(_) => t.t("password-rule-min-score"),
        Rule::NotPersonal => t.t("password-rule-not-personal"),
        Rule::Printable => t.t("password-rule-printable"),
        Rule::NotRecent(n) => t.tf("password-rule-not-recent", &[("n", n.into())]),
    }
}

/// "3 hours", "centuries": the crack time in the person's words.
pub fn crack_time(seconds: f64, t: &Catalog) -> String {
    const MINUTE: f64 = 60.0;
    const HOUR: f64 = 3600.0;
    const DAY: f64 = 86_400.0;
    const MONTH: f64 = 30.0 * DAY;
    const YEAR: f64 = 365.0 * DAY;
    let (key, n) = match seconds {
        s if s < 1.0 => return t.t("time-instant"),
        s if s < MINUTE => ("time-seconds", s),
        s if s < HOUR => ("time-minutes", s / MINUTE),
        s if s < DAY => ("time-hours", s / HOUR),
        s if s < MONTH => ("time-days", s / DAY),
        s if s < YEAR => ("time-months", s / MONTH),
        s if s < 100.0 * YEAR => ("time-years", s / YEAR),
        _ => return t.t("time-centuries"),
    };
    t.tf(key, &[("n", n.round().max(1.0).into())])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Catalogs;
    use crate::recovery::PasswordPolicy;

    #[test]
    fn crack_times_read_naturally() {
        let en = Catalogs::shipped().get(0).clone();
        assert_eq!(crack_time(0.2, &en), "less than a second");
        assert_eq!(crack_time(5.0, &en), "5 seconds");
        assert_eq!(crack_time(3.0 * 3600.0, &en), "3 hours");
        assert_eq!(crack_time(1e12, &en), "centuries");
    }

    #[test]
    fn the_meter_shows_score_advice_and_rules() {
        let en = Catalogs::shipped().get(0).clone();
        let theme = Theme {
            color: false,
            unicode: true,
        };
        let verdict = PasswordPolicy::default().assess("password1", &[]);
        let text: Vec<String> = lines(
            Some(&verdict),
            &PasswordPolicy::default(),
            &en,
            &theme,
            80,
            false,
        )
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.to_string()).collect())
        .collect();
        assert!(text[0].contains("Very weak"), "{text:?}");
        assert!(
            text.iter()
                .any(|l| l.contains("This is a very common password.")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|l| l.starts_with("✗ At least 15 characters")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|l| l.starts_with("· Not one of your last 5")),
            "{text:?}"
        );
    }
}
