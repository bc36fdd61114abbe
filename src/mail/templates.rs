//! The texts of rekey's mail, under `assets/mail/<language>/`: a plain
//! text file per message, whose first line is the subject, and an HTML
//! alternative. `{name}` is replaced by a value (HTML-escaped in HTML).
//! Values that depend on the language (a lifetime with its plural, a date,
//! where a change was made) come from the language's catalogue.

use crate::i18n::{Catalog, Catalogs, MailTemplate};
use crate::recovery::Millis;
use crate::store::outbox::{OutboxMessage, OutboxRecord};
use jiff::tz::TimeZone;

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

/// When something happened, in `zone` and the person's words:
/// `1 December 2026 at 18:53 (UTC)`.
pub fn when(t: &Catalog, at: Millis, zone: &TimeZone) -> String {
    let stamp = i64::try_from(at)
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let local = stamp.to_zoned_datetime(zone.clone());
    let month = t.t(&format!("mail-month-{}", local.month()));
    t.tf(
        "mail-when",
        &[
            ("day", local.day().into()),
            ("month", month.into()),
            ("year", local.year().to_string().into()),
            ("clock", local.strftime("%H:%M").to_string().into()),
            ("zone", local.strftime("%Z").to_string().into()),
        ],
    )
}

/// Where a change was made, from the wizard's `ssh 203.0.113.9`,
/// `kiosk Lobby 1`, `tty /dev/pts/3` or `local`: "over SSH from
/// 203.0.113.9", "at the kiosk Lobby 1".
pub fn origin(t: &Catalog, client: &str) -> String {
    // Through the daemon the kernel's word on the peer follows the
    // wizard's (`ssh 203.0.113.9; uid 990 (recover) pid 4242`): that is
    // for the audit trail, not for the person.
    let client = client.split("; ").next().unwrap_or(client);
    let (kind, place) = client.split_once(' ').unwrap_or((client, ""));
    let id = match kind {
        "ssh" => "mail-origin-ssh",
        "kiosk" => "mail-origin-kiosk",
        "tty" => "mail-origin-tty",
        "local" if place.is_empty() => return t.t("mail-origin-local"),
        _ => return t.tf("mail-origin-other", &[("place", client.into())]),
    };
    t.tf(id, &[("place", place.into())])
}

/// Fills in the template for a queued message, with times in `zone` (the
/// server's); `None` for a probe, which is no message.
pub fn render(record: &OutboxRecord, zone: &TimeZone) -> Option<RenderedMail> {
    let language = crate::i18n::language(&record.language);
    let catalogs = Catalogs::shipped();
    let t = catalogs.of(language.code);
    let address = record.to.as_str().to_string();
    let (template, values): (MailTemplate, Vec<(&str, String)>) = match &record.message {
        OutboxMessage::Probe { .. } => return None,
        OutboxMessage::Code {
            code,
            lifetime_secs,
            phrase,
        } => (
            language.mail.code,
            vec![
                ("code", code.clone()),
                ("phrase", phrase.clone()),
                (
                    "lifetime",
                    t.tf(
                        "mail-lifetime",
                        &[("minutes", lifetime_secs.div_ceil(60).into())],
                    ),
                ),
                ("address", address),
            ],
        ),
        OutboxMessage::UnknownAddress => {
            (language.mail.unknown_address, vec![("address", address)])
        }
        OutboxMessage::PasswordChanged { at_ms, client } => (
            language.mail.password_changed,
            vec![
                ("time", when(t, *at_ms, zone)),
                ("origin", origin(t, client)),
                ("address", address),
            ],
        ),
    };
    let mut text = template.text.to_string();
    let mut html = template.html.to_string();
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
    use crate::i18n::CODES;
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

    fn mail(message: OutboxMessage, language: &str) -> RenderedMail {
        render(&record(message, language), &TimeZone::UTC).unwrap()
    }

    fn code(lifetime_secs: u64) -> OutboxMessage {
        OutboxMessage::Code {
            code: "482 913".into(),
            lifetime_secs,
            phrase: "amber otter".into(),
        }
    }

    #[test]
    fn the_code_mail_shows_the_code_and_its_lifetime_in_each_language() {
        let en = mail(code(600), "en");
        // The subject is on every lock screen and mail list: the match
        // phrase goes there, the code does not.
        assert_eq!(
            en.subject,
            "Your rekey verification code, with the words \"amber otter\""
        );
        assert!(!en.subject.contains("482"));
        assert!(en.text.contains("    482 913\n"));
        assert!(en.text.contains("valid for 10 minutes"), "{}", en.text);
        assert!(en.text.contains("amber otter"));
        let sv = mail(code(600), "sv");
        assert!(sv.subject.starts_with("Din verifieringskod"));
        assert!(sv.text.contains("gäller i 10 minuter"), "{}", sv.text);
        assert!(mail(code(600), "ru").text.contains("10 минут"));
        for language in CODES {
            let m = mail(code(600), language);
            assert!(
                !m.text.contains('{'),
                "every placeholder filled: {}",
                m.text
            );
            assert!(m.text.contains("amber otter") && m.subject.contains("amber otter"));
        }
    }

    #[test]
    fn a_lifetime_of_one_minute_is_singular_in_each_language() {
        assert!(mail(code(60), "en").text.contains("valid for 1 minute\n"));
        assert!(mail(code(60), "sv").text.contains("gäller i 1 minut\n"));
        let ru = mail(code(120), "ru").text;
        assert!(ru.contains("2 минуты"), "{ru}");
    }

    #[test]
    fn the_changed_notice_says_when_in_words_and_from_where() {
        let notice = |client: &str| OutboxMessage::PasswordChanged {
            // 2026-12-01 18:53:20 UTC
            at_ms: 1_796_151_200_000,
            client: client.into(),
        };
        let en = mail(notice("ssh 203.0.113.9"), "en");
        assert!(
            en.text.contains(
                "The password of the account ada@example.com\nwas changed on 1 December 2026 at 18:53 (UTC),\nover SSH from 203.0.113.9."
            ),
            "{}",
            en.text
        );
        assert!(
            en.text
                .contains("If it was not you, contact your support desk now")
        );
        let sv = mail(notice("kiosk Lobby 1"), "sv");
        assert!(
            sv.text.contains("kontot ada@example.com\nändrades den 1 december 2026 kl. 18:53 (UTC),\nvid kiosken Lobby 1."),
            "{}",
            sv.text
        );
        let daemon = mail(notice("ssh 203.0.113.9; uid 990 (recover) pid 4242"), "en");
        assert!(
            daemon.text.contains("over SSH from 203.0.113.9.\n"),
            "{}",
            daemon.text
        );
        assert!(!daemon.text.contains("uid 990"), "{}", daemon.text);
        let ru = mail(notice("kiosk Lobby 1"), "ru");
        assert!(ru.text.contains("1 декабря 2026"), "{}", ru.text);
        assert!(ru.text.contains("Lobby 1"));
        for language in CODES {
            let m = mail(notice("tty /dev/pts/3"), language);
            assert!(m.text.contains("/dev/pts/3") && m.text.contains("ada@example.com"));
            assert!(!m.text.contains("2026-12-01T"), "not raw ISO: {}", m.text);
            // The body's first sentence starts with a capital.
            let first = m.text.trim_start().lines().nth(2).unwrap_or("");
            assert!(first.starts_with(char::is_uppercase), "{language}: {first}");
        }
    }

    #[test]
    fn the_time_is_the_servers_local_time() {
        let stockholm = TimeZone::fixed(jiff::tz::offset(1));
        let t = Catalogs::shipped();
        assert_eq!(
            when(t.of("en"), 1_796_151_200_000, &stockholm),
            "1 December 2026 at 19:53 (+01)"
        );
    }

    #[test]
    fn the_html_alternative_says_the_same_and_escapes_values() {
        let notice = OutboxMessage::PasswordChanged {
            at_ms: 0,
            client: "ssh <script>".into(),
        };
        for language in CODES {
            let m = mail(notice.clone(), language);
            assert!(m.html.contains("&lt;script&gt;"), "{}", m.html);
            assert!(!m.html.contains('{'), "{}", m.html);
        }
        let html = mail(code(600), "sv").html;
        assert!(html.contains("<strong>482 913</strong>") && html.contains("amber otter"));
    }

    #[test]
    fn the_unknown_address_notice_names_the_address_and_no_code() {
        for language in CODES {
            let m = mail(OutboxMessage::UnknownAddress, language);
            assert!(m.text.contains("ada@example.com"), "{}", m.text);
            assert!(!m.text.contains('{') && !m.html.contains('{'));
        }
    }

    #[test]
    fn an_unknown_language_falls_back_to_english() {
        let notice = OutboxMessage::PasswordChanged {
            at_ms: 0,
            client: "local".into(),
        };
        let m = mail(notice, "xx");
        assert_eq!(m.subject, "Your password was changed");
        assert!(m.text.contains("on the server itself"), "{}", m.text);
    }
}
