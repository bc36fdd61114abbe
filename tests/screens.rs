//! Every screen rendered with ratatui's TestBackend at 80x24 and 40x12, in
//! colour and in monochrome (and two in ASCII), compared with reviewed
//! snapshots. A snapshot holds the text and, below it, every styled run,
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
use rekey::tui::app::{App, AppOptions, DemoAccount, Input};
use rekey::tui::calls::{FlowCall, Reply};
use rekey::tui::mailbox::MailboxView;
use rekey::tui::theme::Theme;

const T0: u64 = 1_790_000_000_000;
const SIZES: [(u16, u16); 2] = [(80, 24), (40, 12)];

fn key(code: KeyCode) -> Input {
    Input::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn new_app(theme: Theme, demo: bool) -> App {
    let demo = demo.then(|| DemoAccount {
        address: "alex@example.com".into(),
        password: "lantern quietly orbits seventeen moths".into(),
    });
    let options = AppOptions::from_config(&Config::default(), false, demo);
    App::new(Catalogs::shipped(), 0, theme, options, T0)
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
    let mut out = Vec::new();
    let mut app = new_app(theme, false);
    out.push(("0_sign_in", app_clone(&app, theme, |_| {})));
    let _ = &mut app;
    out.push(("0_sign_in_demo", {
        let mut demo = new_app(theme, true);
        demo.handle(Input::Mailbox(MailboxView::default()), T0);
        demo
    }));

    let walk = |app: &mut App, upto: &str| {
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

fn app_clone(_: &App, theme: Theme, _: impl Fn(&mut App)) -> App {
    new_app(theme, false)
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
    for (name, app) in states(theme) {
        for (w, h) in SIZES {
            let shot = render(&app, w, h);
            insta::assert_snapshot!(format!("{name}_{w}x{h}_{mode}"), shot);
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
