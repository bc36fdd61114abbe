//! The texts of rekey's mail, under `assets/mail/<language>/`: a plain
//! text file per message, whose first line is the subject, and an HTML
//! alternative. `{name}` is replaced by a value (HTML-escaped in HTML).

use crate::recovery::clock::format_time;
use crate::store::outbox::{OutboxMessage, OutboxRecord};

/// Languages with a complete set of mail templates.
pub const LANGUAGES: &[&str] = &["en", "sv"];

fn template(language: &str, name: &str) -> (&'static str, &'static str) {
    match (language, name) {
        ("sv", "code") => (
            include_str!("../../assets/mail/sv/code.txt"),
            include_str!("../../assets/mail/sv/code.html"),
        ),
        ("sv", "unknown_address") => (
            include_str!("../../assets/mail/sv/unknown_address.txt"),
            include_str!("../../assets/mail/sv/unknown_address.html"),
        ),
        (_, "unknown_address") => (
            include_str!("../../assets/mail/en/unknown_address.txt"),
            include_str!("../../assets/mail/en/unknown_address.html"),
        ),
        ("sv", "password_changed") => (
            include_str!("../../assets/mail/sv/password_changed.txt"),
            include_str!("../../assets/mail/sv/password_changed.html"),
        ),
        (_, "code") => (
            include_str!("../../assets/mail/en/code.txt"),
            include_str!("../../assets/mail/en/code.html"),
        ),
        _ => (
            include_str!("../../assets/mail/en/password_changed.txt"),
            include_str!("../../assets/mail/en/password_changed.html"),
        ),
    }
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A message ready to be put in an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Fills in the template for a queued message; `None` for a probe, which
/// is no message.
pub fn render(record: &OutboxRecord) -> Option<RenderedMail> {
    let address = record.to.as_str().to_string();
    let (name, values) = match &record.message {
        OutboxMessage::Probe { .. } => return None,
        OutboxMessage::Code {
            code,
            lifetime_secs,
            phrase,
        } => (
            "code",
            vec![
                ("code", code.clone()),
                ("phrase", phrase.clone()),
                ("minutes", lifetime_secs.div_ceil(60).to_string()),
                ("address", address),
            ],
        ),
        OutboxMessage::UnknownAddress => ("unknown_address", vec![("address", address)]),
        OutboxMessage::PasswordChanged { at_ms, client } => (
            "password_changed",
            vec![
                ("time", format_time(*at_ms)),
                ("client", client.clone()),
                ("address", address),
            ],
        ),
    };
    let (plain, html) = template(&record.language, name);
    let mut text = plain.to_string();
    let mut html = html.to_string();
    for (key, value) in values {
        text = text.replace(&format!("{{{key}}}"), &value);
        html = html.replace(&format!("{{{key}}}"), &escape_html(&value));
    }
    let (subject, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
    Some(RenderedMail {
        subject: subject.trim().to_string(),
        text: body.to_string(),
        html,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recovery::EmailAddress;
    use crate::store::outbox::OutboxState;

    fn record(message: OutboxMessage, language: &str) -> OutboxRecord {
        OutboxRecord {
            id: 1,
            to: EmailAddress::parse("ada@example.com").unwrap(),
            language: language.to_string(),
            message,
            created_ms: 0,
            state: OutboxState::Queued,
            tries: 0,
            next_try_ms: 0,
            last_error: None,
        }
    }

    #[test]
    fn the_code_mail_shows_the_code_and_its_lifetime_in_each_language() {
        let code = OutboxMessage::Code {
            code: "482 913".into(),
            lifetime_secs: 600,
            phrase: "amber otter".into(),
        };
        let en = render(&record(code.clone(), "en")).unwrap();
        // The subject is on every lock screen and mail list: the match
        // phrase goes there, the code does not.
        assert_eq!(
            en.subject,
            "Your rekey verification code, with the words \"amber otter\""
        );
        assert!(!en.subject.contains("482"));
        assert!(en.text.contains("    482 913\n"));
        assert!(en.text.contains("10 minutes"));
        assert!(en.text.contains("amber otter"));
        let sv = render(&record(code, "sv")).unwrap();
        assert!(sv.subject.starts_with("Din verifieringskod"));
        assert!(sv.text.contains("10 minuter"));
        assert!(sv.text.contains("amber otter"));
        for text in [&en.text, &sv.text] {
            assert!(!text.contains('{'), "every placeholder filled: {text}");
        }
    }

    #[test]
    fn the_changed_notice_says_when_and_from_where() {
        let notice = OutboxMessage::PasswordChanged {
            at_ms: 0,
            client: "ssh 203.0.113.9".into(),
        };
        for language in LANGUAGES {
            let mail = render(&record(notice.clone(), language)).unwrap();
            assert!(mail.text.contains("1970-01-01T00:00:00Z"));
            assert!(mail.text.contains("ssh 203.0.113.9"));
            assert!(mail.text.contains("ada@example.com"));
        }
    }

    #[test]
    fn the_html_alternative_says_the_same_and_escapes_values() {
        let notice = OutboxMessage::PasswordChanged {
            at_ms: 0,
            client: "ssh <script>".into(),
        };
        for language in LANGUAGES {
            let mail = render(&record(notice.clone(), language)).unwrap();
            assert!(mail.html.contains("ssh &lt;script&gt;"), "{}", mail.html);
            assert!(!mail.html.contains('{'), "{}", mail.html);
        }
        let code = OutboxMessage::Code {
            code: "482 913".into(),
            lifetime_secs: 600,
            phrase: "amber otter".into(),
        };
        let html = render(&record(code, "sv")).unwrap().html;
        assert!(html.contains("<strong>482 913</strong>") && html.contains("amber otter"));
    }

    #[test]
    fn the_unknown_address_notice_names_the_address_and_no_code() {
        for language in LANGUAGES {
            let mail = render(&record(OutboxMessage::UnknownAddress, language)).unwrap();
            assert!(mail.text.contains("ada@example.com"), "{}", mail.text);
            assert!(!mail.text.contains('{') && !mail.html.contains('{'));
        }
    }

    #[test]
    fn an_unknown_language_falls_back_to_english() {
        let notice = OutboxMessage::PasswordChanged {
            at_ms: 0,
            client: "tty".into(),
        };
        assert_eq!(
            render(&record(notice, "xx")).unwrap().subject,
            "Your password was changed"
        );
    }
}
