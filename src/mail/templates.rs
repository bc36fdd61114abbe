//! The texts of rekey's mail, one file per message and language under
//! `assets/mail/`. A template's first line is the subject; the rest is the
//! body. `{name}` is replaced by a value.

use crate::recovery::clock::format_time;
use crate::store::outbox::{OutboxMessage, OutboxRecord};

/// Languages with a complete set of mail templates.
pub const LANGUAGES: &[&str] = &["en", "sv"];

fn template(language: &str, name: &str) -> &'static str {
    match (language, name) {
        ("sv", "code") => include_str!("../../assets/mail/sv/code.txt"),
        ("sv", "password_changed") => include_str!("../../assets/mail/sv/password_changed.txt"),
        (_, "code") => include_str!("../../assets/mail/en/code.txt"),
        _ => include_str!("../../assets/mail/en/password_changed.txt"),
    }
}

/// A message ready to be put in an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMail {
    pub subject: String,
    pub text: String,
}

/// Fills in the template for a queued message.
pub fn render(record: &OutboxRecord) -> RenderedMail {
    let address = record.to.as_str().to_string();
    let (name, values) = match &record.message {
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
        OutboxMessage::PasswordChanged { at_ms, client } => (
            "password_changed",
            vec![
                ("time", format_time(*at_ms)),
                ("client", client.clone()),
                ("address", address),
            ],
        ),
    };
    let mut text = template(&record.language, name).to_string();
    for (key, value) in values {
        text = text.replace(&format!("{{{key}}}"), &value);
    }
    let (subject, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
    RenderedMail {
        subject: subject.trim().to_string(),
        text: body.to_string(),
    }
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
        let en = render(&record(code.clone(), "en"));
        assert_eq!(en.subject, "Your rekey verification code: 482 913");
        assert!(en.text.contains("    482 913\n"));
        assert!(en.text.contains("10 minutes"));
        assert!(en.text.contains("amber otter"));
        let sv = render(&record(code, "sv"));
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
            let mail = render(&record(notice.clone(), language));
            assert!(mail.text.contains("1970-01-01T00:00:00Z"));
            assert!(mail.text.contains("ssh 203.0.113.9"));
            assert!(mail.text.contains("ada@example.com"));
        }
    }

    #[test]
    fn an_unknown_language_falls_back_to_english() {
        let notice = OutboxMessage::PasswordChanged {
            at_ms: 0,
            client: "tty".into(),
        };
        assert_eq!(
            render(&record(notice, "xx")).subject,
            "Your password was changed"
        );
    }
}
