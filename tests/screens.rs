//! Every screen rendered with ratatui's TestBackend at 80x24, 60x20 and
//! 40x12, in English, Swedish and Russian, in colour and in monochrome (and
//! two in ASCII), compared with reviewed snapshots. A snapshot holds the text and, below it, every styled run,
//! so a lost focus highlight or a colour in monochrome shows as a diff.

mod common;

use common::flow_view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Color, Modifier, Style};
use rekey::config::Config;
use rekey::i18n::Catalogs;
use rekey::recovery::{EmailAddress, PasswordPolicy, SlideVerdict, Stage};
use rekey::service::SignInAnswer;
use rekey::tui::app::{App, AppOptions, DemoAccount, Input};
use rekey::tui::calls::{FlowCall, Reply};
use rekey::tui::mailbox::MailboxView;
use rekey::tui::theme::Theme;

const T0: u64 = 1_790_000_000_000;
const SIZES: [(u16, u16); 3] = [(80, 24), (60, 20), (40, 12)];
/// The shipped languages, by their place on the landing screen.
const LANGUAGES: [(usize, &str); 3] = [(0, "en"), (1, "sv"), (2, "ru")];

fn key(code: KeyCode) -> Input {
    Input::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn new_app_in(theme: Theme, demo: bool, language: usize) -> App {
    let demo = demo.then(|| DemoAccount {
        address: "alex@example.com".into(),
        password: "lantern quietly orbits seventeen moths".into(),
    });
    let options = AppOptions::from_config(&Config::default(), false, demo);
    App::new(Catalogs::shipped(), language, theme, options, T0)
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.handle(key(KeyCode::Char(c)), T0);
    }
}

fn reply(app: &mut App, reply: Reply) {
    app.handle(Input::Reply(reply), T0);
}

/// The states a person meets, in order, each built from the one before.
fn states(theme: Theme) -> Vec<(&'static str, App)> {
    states_in(theme, 0)
}

fn states_in(theme: Theme, language: usize) -> Vec<(&'static str, App)> {
    let new_app = |theme, demo| new_app_in(theme, demo, language);
    let mut out = vec![("0_sign_in", new_app(theme, false))];
    out.push(("0_sign_in_demo", {
        let mut demo = new_app(theme, true);
        demo.handle(Input::Mailbox(MailboxView::default()), T0);
        demo
    }));
    let mut mismatch = new_app(theme, false);
    type_text(&mut mismatch, "ada@example.com");
    mismatch.handle(key(KeyCode::Enter), T0);
    type_text(&mut mismatch, "wrong horse");
    mismatch.handle(key(KeyCode::Enter), T0);
    reply(
        &mut mismatch,
        Reply::SignIn(Ok(SignInAnswer::NoMatch {
            tries_left: 1,
            wait_ms: 0,
        })),
    );
    out.push(("0_sign_in_mismatch", mismatch));
    let mut signed_in = new_app(theme, false);
    type_text(&mut signed_in, "ada@example.com");
    signed_in.handle(key(KeyCode::Enter), T0);
    type_text(&mut signed_in, "correct horse");
    signed_in.handle(key(KeyCode::Enter), T0);
    reply(&mut signed_in, Reply::SignIn(Ok(SignInAnswer::Works)));
    out.push(("0_signed_in", signed_in));

    let walk = |app: &mut App, upto: &str| {
        // "Forgot your password?" has the focus first.
        app.handle(key(KeyCode::Enter), T0);
        type_text(app, "ada@example.com");
        if upto == "1_forgot_typing" {
            return;
        }
        app.handle(key(KeyCode::Enter), T0);
        reply(
            app,
            Reply::Address(Ok(EmailAddress::parse("ada@example.com").unwrap())),
        );
        for i in 0..8 {
            app.handle(key(KeyCode::Right), T0 + i * 30);
        }
        if upto == "1_forgot_sliding" {
            return;
        }
        for i in 8..20 {
            app.handle(key(KeyCode::Right), T0 + i * 30);
        }
        reply(app, Reply::Slide(Ok(SlideVerdict::Verified)));
        if upto == "1_forgot_verified" {
            return;
        }
        app.handle(key(KeyCode::Enter), T0);
        reply(
            app,
            Reply::Flow(FlowCall::Request, Ok(flow_view(Stage::Requested))),
        );
        if upto == "2_verify" {
            return;
        }
        app.handle(key(KeyCode::Enter), T0);
        reply(
            app,
            Reply::Flow(FlowCall::ChooseEmail, Ok(flow_view(Stage::EmailChosen))),
        );
        if upto == "3_check_email" {
            return;
        }
        app.handle(key(KeyCode::Enter), T0);
        reply(
            app,
            Reply::Flow(FlowCall::SendCode, Ok(flow_view(Stage::CodeSent))),
        );
        type_text(app, "482");
        if upto == "3_check_email_sent" {
            return;
        }
        type_text(app, "913");
        app.handle(key(KeyCode::Enter), T0);
        reply(
            app,
            Reply::Flow(FlowCall::Confirm, Ok(flow_view(Stage::CodeConfirmed))),
        );
        let password = "copper kettles whistle";
        type_text(app, password);
        let verdict = PasswordPolicy::default().assess(password, &[]);
        app.handle(
            Input::Verdict {
                seq: password.chars().count() as u64,
                verdict,
            },
            T0,
        );
        app.handle(key(KeyCode::Enter), T0);
        type_text(app, "copper");
        if upto == "4_new_password" {
            return;
        }
        reply(
            app,
            Reply::Flow(FlowCall::SetPassword, Ok(flow_view(Stage::PasswordSet))),
        );
    };
    for name in [
        "1_forgot_typing",
        "1_forgot_sliding",
        "1_forgot_verified",
        "2_verify",
        "3_check_email",
        "3_check_email_sent",
        "4_new_password",
        "5_done",
    ] {
        let mut app = new_app(theme, false);
        walk(&mut app, name);
        out.push((name, app));
    }
    let mut ticket = new_app(theme, false);
    walk(&mut ticket, "2_verify");
    ticket.handle(key(KeyCode::Down), T0);
    ticket.handle(key(KeyCode::Enter), T0);
    type_text(&mut ticket, "+46 70 123 45 67");
    let mut asking = new_app(theme, false);
    walk(&mut asking, "2_verify");
    asking.handle(key(KeyCode::Down), T0);
    asking.handle(key(KeyCode::Enter), T0);
    asking.handle(key(KeyCode::Enter), T0);
    out.push(("2_support_ask_needed", asking));
    ticket.handle(key(KeyCode::Enter), T0);
    reply(
        &mut ticket,
        Reply::Flow(FlowCall::OpenTicket, Ok(flow_view(Stage::TicketOpened))),
    );
    out.push(("2_support_ticket", ticket));
    let mut help = new_app(theme, false);
    walk(&mut help, "1_forgot_typing");
    help.handle(key(KeyCode::F(1)), T0);
    out.push(("help_on_step_1", help));
    out
}

/// The text, then each styled run: `row 3, cols 2-9: yellow on black bold`.
fn render(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| app.draw(f)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let mut text = String::new();
    let mut styles = String::new();
    for y in 0..height {
        let mut line = String::new();
        let mut run: Option<(u16, u16, Style)> = None;
        for x in 0..width {
            let cell = &buffer[(x, y)];
            line.push_str(cell.symbol());
            let style = cell.style();
            let plain = style.fg.unwrap_or(Color::Reset) == Color::Reset
                && style.bg.unwrap_or(Color::Reset) == Color::Reset
                && style.add_modifier.is_empty();
            match (&mut run, plain) {
                (Some((_, end, s)), false) if *s == style => *end = x,
                _ => {
                    if let Some((start, end, s)) = run.take() {
                        styles.push_str(&describe(y, start, end, s));
                    }
                    if !plain {
                        run = Some((x, x, style));
                    }
                }
            }
        }
        if let Some((start, end, s)) = run {
            styles.push_str(&describe(y, start, end, s));
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    format!("{text}--- styles ---\n{styles}")
}

fn describe(row: u16, start: u16, end: u16, style: Style) -> String {
    let mut parts = Vec::new();
    if let Some(fg) = style.fg.filter(|c| *c != Color::Reset) {
        parts.push(format!("{fg:?}").to_lowercase());
    }
    if let Some(bg) = style.bg.filter(|c| *c != Color::Reset) {
        parts.push(format!("on {}", format!("{bg:?}").to_lowercase()));
    }
    for (m, name) in [
        (Modifier::BOLD, "bold"),
        (Modifier::REVERSED, "reversed"),
        (Modifier::UNDERLINED, "underlined"),
    ] {
        if style.add_modifier.contains(m) {
            parts.push(name.to_string());
        }
    }
    format!("row {row}, cols {start}-{end}: {}\n", parts.join(" "))
}

fn snapshot_all(mode: &str, theme: Theme) {
    for (language, code) in LANGUAGES {
        for (name, app) in states_in(theme, language) {
            for (w, h) in SIZES {
                let shot = render(&app, w, h);
                let lang = if code == "en" {
                    String::new()
                } else {
                    format!("_{code}")
                };
                insta::assert_snapshot!(format!("{name}{lang}_{w}x{h}_{mode}"), shot);
            }
        }
    }
}

/// The words of a catalogue's messages: ids, comments, variables and
/// plural keys left out.
fn catalogue_words(code: &str) -> std::collections::BTreeSet<String> {
    let path = format!("{}/assets/locales/{code}.ftl", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let mut words = std::collections::BTreeSet::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let value = match line.split_once(" = ") {
            Some((_, value)) => value,
            None => line,
        };
        let mut plain = String::new();
        let mut depth = 0;
        for c in value.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ if depth == 0 => plain.push(c),
                _ => {}
            }
        }
        let plain = plain.trim_start_matches('*');
        let plain = match plain.strip_prefix('[') {
            Some(rest) => rest.split_once(']').map_or("", |(_, r)| r),
            None => plain,
        };
        words.extend(screen_words(plain));
    }
    words
}

fn screen_words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_lowercase)
}

/// A Swedish or Russian screen shows no English word of the catalogue: a
/// message left untranslated, or an English text written in code, shows.
/// Words both catalogues use (rekey, Support, key names) are allowed.
#[test]
fn swedish_and_russian_screens_show_no_english_word() {
    let english = catalogue_words("en");
    let theme = Theme {
        color: false,
        unicode: true,
    };
    for (language, code) in &LANGUAGES[1..] {
        let own = catalogue_words(code);
        let english_only: std::collections::BTreeSet<&String> =
            english.iter().filter(|w| !own.contains(*w)).collect();
        for (name, app) in states_in(theme, *language) {
            for (w, h) in SIZES {
                let shot = render(&app, w, h);
                let text = shot.split("--- styles ---").next().unwrap();
                // What the person typed, the flow's data and each language's
                // own name on the landing screen are not the catalogue's
                // words for this screen.
                let text = text
                    .replace("English", "")
                    .replace("ada@example.com", "")
                    .replace("alex@example.com", "")
                    .replace("lantern quietly orbits seventeen moths", "")
                    .replace("amber otter", "");
                let found: Vec<String> = screen_words(&text)
                    .filter(|w| english_only.contains(w))
                    .collect();
                assert!(
                    found.is_empty(),
                    "{code} {name} {w}x{h} shows English {found:?}:\n{text}"
                );
            }
        }
    }
}

#[test]
fn every_screen_in_colour() {
    snapshot_all(
        "colour",
        Theme {
            color: true,
            unicode: true,
        },
    );
}

#[test]
fn every_screen_in_monochrome() {
    snapshot_all(
        "mono",
        Theme {
            color: false,
            unicode: true,
        },
    );
}

#[test]
fn ascii_screens_use_ascii_only() {
    let theme = Theme {
        color: false,
        unicode: false,
    };
    for (name, app) in states(theme) {
        let shot = render(&app, 80, 24);
        assert!(shot.is_ascii(), "{name}:\n{shot}");
        if matches!(name, "1_forgot_verified" | "4_new_password") {
            insta::assert_snapshot!(format!("{name}_80x24_ascii"), shot);
        }
    }
}

#[test]
fn monochrome_uses_no_colour_but_still_marks_the_focus() {
    let theme = Theme {
        color: false,
        unicode: true,
    };
    for (name, app) in states(theme) {
        let shot = render(&app, 80, 24);
        let styles = shot.split("--- styles ---").nth(1).unwrap();
        for colour in ["red", "green", "yellow", "cyan", "darkgray", "black"] {
            assert!(!styles.contains(colour), "{name} uses {colour}:\n{shot}");
        }
        if name != "5_done" && name != "help_on_step_1" {
            assert!(
                styles.contains("reversed"),
                "{name} shows no focus:\n{shot}"
            );
        }
    }
}
