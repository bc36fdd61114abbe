//! The wizard's behaviour without a terminal: keys in, calls and screens
//! out, replies played back as the service would send them.

use super::*;
use crate::recovery::{CodeStatus, FlowView, ResendStatus, SlideVerdict, Stage};
use crate::service::ServiceError;
use crate::tui::calls::FlowCall;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

const T0: u64 = 1_000_000;

fn app(kiosk: bool) -> App {
    let options = AppOptions::from_config(&Config::default(), kiosk, None);
    let theme = Theme {
        color: false,
        unicode: true,
    };
    App::new(Catalogs::shipped(), 0, theme, options, T0)
}

fn key(code: KeyCode) -> Input {
    Input::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ctrl(c: char) -> Input {
    Input::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// From the landing screen to "Forgot your password?": Enter, on the
/// control that has the focus first. The effects of the Enter.
fn forgot(app: &mut App, now: u64) -> Vec<Effect> {
    app.handle(key(KeyCode::Enter), now)
}

fn typed(app: &mut App, text: &str, now: u64) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| app.handle(key(KeyCode::Char(c)), now))
        .collect()
}

fn screen(app: &App) -> String {
    render_text(app, 80, 24)
}

fn calls(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Call(c) => Some(format!("{c:?}")),
            _ => None,
        })
        .collect()
}

fn view(stage: Stage) -> FlowView {
    FlowView {
        stage,
        code: (stage == Stage::CodeSent).then_some(CodeStatus {
            expires_in_ms: 600_000,
            attempts_left: 5,
            phrase: "amber otter".into(),
        }),
        resend: ResendStatus::In { ms: 60_000 },
        ticket: None,
        mail: None,
    }
}

/// Walks to the slider of "Forgot your password?", the address accepted.
fn at_slider(app: &mut App, now: u64) {
    forgot(app, now);
    typed(app, "ada@example.com", now);
    app.handle(key(KeyCode::Enter), now);
    let address = crate::recovery::EmailAddress::parse("ada@example.com").unwrap();
    app.handle(Input::Reply(Reply::Address(Ok(address))), now);
}

/// Walks to "Verify your identity", playing the service's part.
fn at_verify(app: &mut App) -> u64 {
    let mut now = T0;
    at_slider(app, now);
    for _ in 0..20 {
        now += 30;
        app.handle(key(KeyCode::Right), now);
    }
    app.handle(Input::Reply(Reply::Slide(Ok(SlideVerdict::Verified))), now);
    app.handle(key(KeyCode::Enter), now);
    app.handle(
        Input::Reply(Reply::Flow(FlowCall::Request, Ok(view(Stage::Requested)))),
        now,
    );
    now
}

/// Walks to the "Check your email" screen, playing the service's part.
fn at_check_email(app: &mut App) -> u64 {
    let now = at_verify(app);
    app.handle(key(KeyCode::Enter), now);
    app.handle(
        Input::Reply(Reply::Flow(
            FlowCall::ChooseEmail,
            Ok(view(Stage::EmailChosen)),
        )),
        now,
    );
    now
}

/// Walks on to "Create a new password": a code sent, typed and confirmed.
fn at_new_password(app: &mut App) -> u64 {
    let now = at_check_email(app);
    app.handle(
        Input::Reply(Reply::Flow(FlowCall::SendCode, Ok(view(Stage::CodeSent)))),
        now,
    );
    typed(app, "482913", now);
    app.handle(key(KeyCode::Enter), now);
    app.handle(
        Input::Reply(Reply::Flow(
            FlowCall::Confirm,
            Ok(view(Stage::CodeConfirmed)),
        )),
        now,
    );
    now
}

#[test]
fn the_whole_flow_by_typing_right_arrow_and_enter() {
    let mut app = app(false);
    assert!(screen(&app).contains("Sign in"));

    let effects = forgot(&mut app, T0);
    assert_eq!(calls(&effects), ["Open { language: \"en\" }"]);
    assert!(screen(&app).contains("Step 1 of 5"));

    // No nagging while the address is being typed; Enter says what is
    // wrong, and the next key lets the person go on.
    typed(&mut app, "ada@example", T0);
    assert!(!screen(&app).contains("The domain needs a dot"));
    let effects = app.handle(key(KeyCode::Enter), T0);
    assert!(calls(&effects).is_empty());
    assert!(screen(&app).contains("The domain needs a dot"));
    typed(&mut app, ".com", T0);
    assert!(!screen(&app).contains("The domain needs a dot"));
    assert!(screen(&app).contains("Looks right. Press Enter."));
    let effects = app.handle(key(KeyCode::Enter), T0);
    assert_eq!(calls(&effects), ["SubmitAddress(\"ada@example.com\")"]);
    let address = crate::recovery::EmailAddress::parse("ada@example.com").unwrap();
    app.handle(Input::Reply(Reply::Address(Ok(address))), T0);

    let mut now = T0;
    let mut sent = Vec::new();
    for _ in 0..20 {
        now += 30;
        sent.extend(calls(&app.handle(key(KeyCode::Right), now)));
    }
    assert_eq!(
        sent.len(),
        1,
        "one slide check when the knob reaches the end"
    );
    assert!(sent[0].starts_with("CheckSlide"));
    app.handle(Input::Reply(Reply::Slide(Ok(SlideVerdict::Verified))), now);
    assert!(screen(&app).contains("✓ Verified"));

    let effects = app.handle(key(KeyCode::Enter), now);
    assert_eq!(calls(&effects), ["Flow(Request)"]);
    app.handle(
        Input::Reply(Reply::Flow(FlowCall::Request, Ok(view(Stage::Requested)))),
        now,
    );
    assert!(screen(&app).contains("Verify your identity"));
    assert!(screen(&app).contains("Step 2 of 5"));

    let effects = app.handle(key(KeyCode::Enter), now);
    assert_eq!(calls(&effects), ["Flow(ChooseEmail)"]);
    app.handle(
        Input::Reply(Reply::Flow(
            FlowCall::ChooseEmail,
            Ok(view(Stage::EmailChosen)),
        )),
        now,
    );
    assert!(screen(&app).contains("Get a verification code"));

    let effects = app.handle(key(KeyCode::Enter), now);
    assert_eq!(calls(&effects), ["Flow(SendCode)"]);
    assert!(
        screen(&app).contains("Sending the code"),
        "a spinner while it works"
    );
    app.handle(
        Input::Reply(Reply::Flow(FlowCall::SendCode, Ok(view(Stage::CodeSent)))),
        now,
    );
    assert!(screen(&app).contains("Valid for 10:00"));
    assert!(screen(&app).contains("5 tries left"));
    assert!(screen(&app).contains("Resend in 1:00"));

    typed(&mut app, "482913", now);
    let effects = app.handle(key(KeyCode::Enter), now);
    assert_eq!(calls(&effects).len(), 1);
    assert!(calls(&effects)[0].starts_with("ConfirmCode"));
    app.handle(
        Input::Reply(Reply::Flow(
            FlowCall::Confirm,
            Ok(view(Stage::CodeConfirmed)),
        )),
        now,
    );
    assert!(screen(&app).contains("Create a new password"));

    let effects = typed(&mut app, "copper kettles", now);
    let assessed = effects
        .iter()
        .filter(|e| matches!(e, Effect::Assess { .. }))
        .count();
    assert_eq!(assessed, 14, "an estimate asked on every key");
    assert!(!screen(&app).contains("copper"), "masked");
    app.handle(key(KeyCode::F(2)), now);
    assert!(screen(&app).contains("copper kettles"), "F2 reveals");
    app.handle(key(KeyCode::F(2)), now);
    app.handle(key(KeyCode::Enter), now);
    typed(&mut app, "copper kettles", now);
    assert!(screen(&app).contains("Matches"));
    // The estimate for the final text arrives: 14 edits so far.
    let verdict = crate::recovery::PasswordPolicy::default().assess("copper kettles", &[]);
    app.handle(Input::Verdict { seq: 14, verdict }, now);
    assert!(screen(&app).contains("At least 15 characters"));
    let effects = app.handle(key(KeyCode::Enter), now);
    assert!(
        calls(&effects).is_empty(),
        "a password that fails a rule is not sent"
    );
    assert!(
        screen(&app).contains("The password needs at least 15 characters."),
        "the refusal names the rule: {}",
        screen(&app)
    );
}

#[test]
fn an_older_estimate_never_overwrites_a_newer_one() {
    let mut app = app(false);
    let now = at_check_email(&mut app);
    app.handle(
        Input::Reply(Reply::Flow(FlowCall::SendCode, Ok(view(Stage::CodeSent)))),
        now,
    );
    typed(&mut app, "123456", now);
    app.handle(key(KeyCode::Enter), now);
    app.handle(
        Input::Reply(Reply::Flow(
            FlowCall::Confirm,
            Ok(view(Stage::CodeConfirmed)),
        )),
        now,
    );
    typed(&mut app, "ab", now);
    let strong = crate::recovery::PasswordPolicy::default()
        .assess("lantern quietly orbits seventeen moths", &[]);
    app.handle(
        Input::Verdict {
            seq: 1,
            verdict: strong,
        },
        now,
    );
    assert!(
        !screen(&app).contains("Very strong"),
        "the estimate for 'a' is stale"
    );
}

#[test]
fn a_wrong_code_clears_the_boxes_and_says_how_many_tries_are_left() {
    let mut app = app(false);
    let now = at_check_email(&mut app);
    app.handle(
        Input::Reply(Reply::Flow(FlowCall::SendCode, Ok(view(Stage::CodeSent)))),
        now,
    );
    typed(&mut app, "111111", now);
    app.handle(key(KeyCode::Enter), now);
    let effects = app.handle(
        Input::Reply(Reply::Flow(
            FlowCall::Confirm,
            Err(ServiceError::WrongCode { attempts_left: 4 }),
        )),
        now,
    );
    assert_eq!(
        calls(&effects),
        ["Flow(Status)"],
        "the counters are refreshed"
    );
    let text = screen(&app);
    assert!(
        text.contains("That code is not right. 4 tries left."),
        "{text}"
    );
    assert!(text.contains("[_][_][_] - [_][_][_]"), "{text}");
}

#[test]
fn a_pasted_code_fills_the_boxes() {
    let mut app = app(false);
    let now = at_check_email(&mut app);
    app.handle(
        Input::Reply(Reply::Flow(FlowCall::SendCode, Ok(view(Stage::CodeSent)))),
        now,
    );
    app.handle(Input::Paste("482-913".into()), now);
    assert!(screen(&app).contains("[4][8][2] - [9][1][3]"));
}

#[test]
fn the_countdowns_run_down_and_resend_comes_back() {
    let mut app = app(false);
    let now = at_check_email(&mut app);
    app.handle(
        Input::Reply(Reply::Flow(FlowCall::SendCode, Ok(view(Stage::CodeSent)))),
        now,
    );
    let effects = app.handle(Input::Tick, now + 18_000);
    assert_eq!(
        calls(&effects),
        ["Flow(Status)"],
        "a poll for the mail's progress"
    );
    let text = screen(&app);
    assert!(text.contains("Valid for 9:42"), "{text}");
    assert!(text.contains("Resend in 0:42"), "{text}");
    // The poll's answer: the same code, 18 s on, its mail sent.
    let mut later = view(Stage::CodeSent);
    later.code.as_mut().unwrap().expires_in_ms = 582_000;
    later.resend = ResendStatus::In { ms: 42_000 };
    later.mail = Some(crate::recovery::MailProgress::Sent);
    app.handle(
        Input::Reply(Reply::Flow(FlowCall::Status, Ok(later))),
        now + 18_000,
    );
    assert!(screen(&app).contains("✓ Sent. It can take a minute."));
    app.handle(Input::Tick, now + 60_000);
    assert!(screen(&app).contains("[ Resend ]"));
    let mut minute_on = view(Stage::CodeSent);
    minute_on.code.as_mut().unwrap().expires_in_ms = 540_000;
    minute_on.resend = ResendStatus::Ready;
    app.handle(
        Input::Reply(Reply::Flow(FlowCall::Status, Ok(minute_on))),
        now + 60_000,
    );
    let effects = app.handle(Input::Tick, now + 600_000);
    assert_eq!(
        calls(&effects),
        ["Flow(Status)"],
        "asks when the code runs out"
    );
}

#[test]
fn escape_goes_back_one_step_and_from_step_one_to_the_start() {
    let mut app = app(false);
    at_check_email(&mut app);
    app.handle(key(KeyCode::Esc), T0);
    assert!(screen(&app).contains("Verify your identity"));
    app.handle(key(KeyCode::Esc), T0);
    assert!(screen(&app).contains("Step 1 of 5"));
    assert!(
        screen(&app).contains("ada@example.com"),
        "what was typed is still there"
    );
    let effects = app.handle(key(KeyCode::Esc), T0);
    assert!(screen(&app).contains("Sign in"));
    assert_eq!(calls(&effects), ["Close"]);
}

#[test]
fn ctrl_c_quits_except_in_kiosk_mode_and_ctrl_z_never_suspends() {
    let mut plain = app(false);
    let effects = plain.handle(ctrl('c'), T0);
    assert!(plain.wants_quit());
    assert!(effects.iter().any(|e| matches!(e, Effect::Quit)));

    let mut kiosk = app(true);
    for c in ['c', 'z', '\\'] {
        let effects = kiosk.handle(ctrl(c), T0);
        assert!(effects.is_empty(), "ctrl-{c}");
        assert!(!kiosk.wants_quit(), "ctrl-{c}");
    }
    assert!(
        !screen(&kiosk).contains("Ctrl-C"),
        "no quit hint in a kiosk"
    );
}

#[test]
fn an_idle_kiosk_goes_back_to_the_start_and_forgets_what_was_typed() {
    let mut kiosk = app(true);
    forgot(&mut kiosk, T0);
    typed(&mut kiosk, "ada@example.com", T0);
    let idle = Config::default().wizard.idle_secs * 1000;
    kiosk.handle(Input::Tick, T0 + idle - 1);
    assert!(screen(&kiosk).contains("ada@example.com"));
    let effects = kiosk.handle(Input::Tick, T0 + idle);
    assert_eq!(calls(&effects), ["Close"]);
    assert!(screen(&kiosk).contains("Sign in"));
    kiosk.handle(key(KeyCode::Enter), T0 + idle);
    assert!(!screen(&kiosk).contains("ada@example.com"), "wiped");
}

#[test]
fn a_kiosk_returns_to_the_start_after_password_changed() {
    let mut kiosk = app(true);
    let now = at_check_email(&mut kiosk);
    kiosk.handle(
        Input::Reply(Reply::Flow(FlowCall::SendCode, Ok(view(Stage::CodeSent)))),
        now,
    );
    typed(&mut kiosk, "123456", now);
    kiosk.handle(key(KeyCode::Enter), now);
    kiosk.handle(
        Input::Reply(Reply::Flow(
            FlowCall::Confirm,
            Ok(view(Stage::CodeConfirmed)),
        )),
        now,
    );
    kiosk.handle(
        Input::Reply(Reply::Flow(
            FlowCall::SetPassword,
            Ok(view(Stage::PasswordSet)),
        )),
        now,
    );
    assert!(screen(&kiosk).contains("Password changed"));
    let back = Config::default().wizard.done_return_secs * 1000;
    kiosk.handle(Input::Tick, now + back);
    assert!(screen(&kiosk).contains("Sign in"));
}

#[test]
fn f1_shows_the_keys_of_the_screen() {
    let mut app = app(false);
    forgot(&mut app, T0);
    app.handle(key(KeyCode::F(1)), T0);
    let text = screen(&app);
    assert!(text.contains("move the knob right"), "{text}");
    assert!(text.contains("Ctrl-C: quit"), "{text}");
    app.handle(key(KeyCode::Esc), T0);
    assert!(!screen(&app).contains("move the knob right"));
    assert!(
        screen(&app).contains("Step 1 of 5"),
        "Esc closed the help only"
    );
}

#[test]
fn the_language_is_chosen_on_the_landing_screen() {
    let mut app = app(false);
    // The language is the form's last control: Shift-Tab twice from
    // "Forgot your password?", past the address.
    app.handle(key(KeyCode::BackTab), T0);
    app.handle(key(KeyCode::BackTab), T0);
    app.handle(key(KeyCode::Right), T0);
    assert!(screen(&app).contains("Logga in"), "{}", screen(&app));
    app.handle(key(KeyCode::Right), T0);
    assert!(screen(&app).contains("Войти"), "{}", screen(&app));
    app.handle(key(KeyCode::Left), T0);
    app.handle(key(KeyCode::Tab), T0);
    app.handle(key(KeyCode::Tab), T0);
    let effects = forgot(&mut app, T0);
    assert_eq!(calls(&effects), ["Open { language: \"sv\" }"]);
    assert!(screen(&app).contains("Steg 1 av 5"), "{}", screen(&app));
}

#[test]
fn a_small_window_asks_to_be_enlarged() {
    let app = app(false);
    assert!(render_text(&app, 39, 12).contains("Please enlarge"));
    assert!(render_text(&app, 40, 11).contains("Please enlarge"));
    assert!(render_text(&app, 40, 12).contains("Sign in"));
}

#[test]
fn a_refused_slide_says_please_try_again_and_starts_over() {
    let mut app = app(false);
    at_slider(&mut app, T0);
    for _ in 0..20 {
        app.handle(key(KeyCode::Right), T0);
    }
    let refusal = crate::recovery::SlideRefusal::Burst;
    app.handle(
        Input::Reply(Reply::Slide(Ok(SlideVerdict::TryAgain(refusal)))),
        T0,
    );
    assert!(screen(&app).contains("Please try again"));
    let effects = app.handle(key(KeyCode::Enter), T0);
    assert!(calls(&effects).is_empty(), "Request needs a verified slide");
}

#[test]
fn late_mail_is_said_and_polled_for() {
    let mut app = app(false);
    let now = at_check_email(&mut app);
    let mut delayed = view(Stage::CodeSent);
    delayed.mail = Some(crate::recovery::MailProgress::Delayed);
    app.handle(
        Input::Reply(Reply::Flow(FlowCall::SendCode, Ok(delayed))),
        now,
    );
    assert!(screen(&app).contains("Mail is running late"));
    let effects = app.handle(Input::Tick, now + 2_000);
    assert_eq!(
        calls(&effects),
        ["Flow(Status)"],
        "polled every 2 s while late"
    );
}

#[test]
fn lost_contact_goes_back_to_the_address_and_reconnects_every_few_seconds() {
    let mut app = app(false);
    let now = at_check_email(&mut app);
    typed(&mut app, "12", now);
    let lost = ServiceError::Unavailable("connection reset".into());
    let effects = app.handle(
        Input::Reply(Reply::Flow(FlowCall::Status, Err(lost.clone()))),
        now,
    );
    assert!(calls(&effects).is_empty(), "no call until the wait is over");
    let shown = screen(&app);
    assert!(shown.contains("Forgot your password?"), "{shown}");
    assert!(
        shown.contains("Lost contact with the rekey service. Trying to reconnect."),
        "{shown}"
    );
    // Nothing before RECONNECT_MS, then a new session is asked for.
    assert!(calls(&app.handle(Input::Tick, now + RECONNECT_MS - 1)).is_empty());
    let retry = app.handle(Input::Tick, now + RECONNECT_MS);
    assert_eq!(calls(&retry), ["Open { language: \"en\" }"]);
    // While that try is on its way, no other is made.
    assert!(calls(&app.handle(Input::Tick, now + 5 * RECONNECT_MS)).is_empty());
    // Still away: the screen keeps saying so, and tries again later.
    app.handle(
        Input::Reply(Reply::Opened(Err(lost.clone()))),
        now + RECONNECT_MS + 10,
    );
    assert!(screen(&app).contains("Trying to reconnect"));
    let again = app.handle(Input::Tick, now + 2 * RECONNECT_MS + 10);
    assert_eq!(calls(&again), ["Open { language: \"en\" }"]);
    // Back: the person is told to type the address to carry on.
    app.handle(
        Input::Reply(Reply::Opened(Ok(()))),
        now + 2 * RECONNECT_MS + 20,
    );
    let shown = screen(&app);
    assert!(
        shown.contains("Connected again. Type your address to carry on"),
        "{shown}"
    );
    assert!(calls(&app.handle(Input::Tick, now + 10 * RECONNECT_MS)).is_empty());
}

#[test]
fn a_session_the_service_forgot_starts_a_new_one_at_the_address() {
    let mut app = app(false);
    let now = at_check_email(&mut app);
    let effects = app.handle(
        Input::Reply(Reply::Flow(FlowCall::Status, Err(ServiceError::NoSession))),
        now,
    );
    assert_eq!(calls(&effects), ["Open { language: \"en\" }"]);
    let shown = screen(&app);
    assert!(shown.contains("Forgot your password?"), "{shown}");
    assert!(
        shown.contains("This session has ended. Type your address to start again."),
        "{shown}"
    );
}

#[test]
fn a_late_failure_after_going_back_to_the_start_leaves_the_start_alone() {
    let mut app = app(true);
    let now = at_check_email(&mut app);
    let lost = ServiceError::Unavailable("connection reset".into());
    app.handle(
        Input::Reply(Reply::Flow(FlowCall::Status, Err(lost.clone()))),
        now,
    );
    app.handle(Input::Tick, now + RECONNECT_MS);
    // The kiosk's idle reset, then the answer to the try still on its way.
    let idle = now + 10 * 60_000;
    app.handle(Input::Tick, idle);
    assert!(screen(&app).contains("Sign in"), "{}", screen(&app));
    let effects = app.handle(Input::Reply(Reply::Opened(Err(lost))), idle + 10);
    assert!(calls(&effects).is_empty());
    assert!(screen(&app).contains("Sign in"), "{}", screen(&app));
    assert!(calls(&app.handle(Input::Tick, idle + 10 * RECONNECT_MS)).is_empty());
}

/// After a Resend the hourly limit refused, the focus is on Resend: the
/// digits a person then types still go into the boxes.
#[test]
fn digits_typed_with_the_focus_on_resend_go_into_the_boxes() {
    let mut app = app(false);
    let now = at_check_email(&mut app);
    let mut ready = view(Stage::CodeSent);
    ready.resend = ResendStatus::Ready;
    app.handle(
        Input::Reply(Reply::Flow(FlowCall::SendCode, Ok(ready))),
        now,
    );
    // Down to Resend, Enter: refused.
    app.handle(key(KeyCode::Down), now);
    assert!(screen(&app).contains("›[ Resend ]"), "{}", screen(&app));
    app.handle(key(KeyCode::Enter), now);
    app.handle(
        Input::Reply(Reply::Flow(
            FlowCall::SendCode,
            Err(ServiceError::Flow(
                crate::recovery::FlowError::HourlyLimit { wait_ms: 3_000_000 },
            )),
        )),
        now,
    );
    typed(&mut app, "482913", now);
    let text = screen(&app);
    assert!(text.contains("[4][8][2] - [9][1][3]"), "{text}");
    assert!(text.contains("›[ Confirm ]"), "{text}");
    let effects = app.handle(key(KeyCode::Enter), now);
    assert_eq!(calls(&effects).len(), 1, "{:?}", calls(&effects));
    assert!(
        calls(&effects)[0].starts_with("ConfirmCode"),
        "{:?}",
        calls(&effects)
    );
}

/// Below the minimum size keys and pastes are not acted on: the person
/// cannot see what they would do.
#[test]
fn keys_are_ignored_while_the_window_is_too_small() {
    let mut app = app(false);
    app.resize(30, 10);
    let effects = app.handle(key(KeyCode::Enter), T0);
    assert!(calls(&effects).is_empty());
    app.resize(80, 24);
    assert!(screen(&app).contains("Forgot your password?"));
    forgot(&mut app, T0);
    app.resize(30, 10);
    typed(&mut app, "ada@example.com", T0);
    app.handle(Input::Paste("bob@example.com".into()), T0);
    let effects = app.handle(key(KeyCode::Enter), T0);
    assert!(calls(&effects).is_empty(), "{:?}", calls(&effects));
    app.resize(80, 24);
    let text = screen(&app);
    assert!(
        !text.contains("ada@example.com") && !text.contains("bob@"),
        "{text}"
    );
}

/// Leaving the field with a wrong address says what is wrong; Enter on the
/// knob before it slid says how it moves.
#[test]
fn a_wrong_address_is_explained_on_leaving_the_field_and_enter_on_the_knob_too() {
    let mut app = app(false);
    forgot(&mut app, T0);
    typed(&mut app, "alex@exa", T0);
    assert!(!screen(&app).contains("needs a dot"));
    app.handle(key(KeyCode::Tab), T0);
    assert!(
        screen(&app).contains("The domain needs a dot"),
        "{}",
        screen(&app)
    );

    let mut app = self::app(false);
    let now = T0;
    at_slider(&mut app, now);
    let effects = app.handle(key(KeyCode::Enter), now);
    assert!(calls(&effects).is_empty());
    assert!(
        screen(&app).contains("Slide the knob to the right end first."),
        "{}",
        screen(&app)
    );
}

/// 20 s before an idle kiosk goes back to the start it asks whether the
/// person is still there; a key answers (and does nothing else), and the
/// wait starts again.
#[test]
fn an_idle_kiosk_asks_first_and_a_key_keeps_what_was_typed() {
    let mut kiosk = app(true);
    forgot(&mut kiosk, T0);
    typed(&mut kiosk, "ada@example.com", T0);
    let idle = Config::default().wizard.idle_secs * 1000;
    kiosk.handle(Input::Tick, T0 + idle - 20_001);
    assert!(!screen(&kiosk).contains("Still there?"));
    kiosk.handle(Input::Tick, T0 + idle - 19_500);
    let text = screen(&kiosk);
    assert!(
        text.contains("Still there? Going back to the start in 20 s — press any key."),
        "{text}"
    );
    // Enter answers; it does not submit the address.
    let effects = kiosk.handle(key(KeyCode::Enter), T0 + idle - 19_000);
    assert!(calls(&effects).is_empty(), "{:?}", calls(&effects));
    let later = T0 + idle - 19_000;
    kiosk.handle(Input::Tick, later + idle - 1);
    let text = screen(&kiosk);
    assert!(
        text.contains("ada@example.com") && !text.contains("Sign in"),
        "{text}"
    );
    kiosk.handle(Input::Tick, later + idle);
    assert!(screen(&kiosk).contains("Sign in"));
}

/// Out of tries with no more codes this hour: one message that says when
/// the e-mail way opens again, and Support, focused, instead of "ask for
/// a new one" beside "no more codes".
#[test]
fn out_of_tries_and_out_of_codes_says_when_and_offers_support() {
    let mut app = app(false);
    let now = at_check_email(&mut app);
    app.handle(
        Input::Reply(Reply::Flow(FlowCall::SendCode, Ok(view(Stage::CodeSent)))),
        now,
    );
    let mut spent = view(Stage::LockedOut);
    spent.resend = ResendStatus::HourlyLimit { ms: 3_574_000 };
    app.handle(Input::Reply(Reply::Flow(FlowCall::Status, Ok(spent))), now);
    let text = render_text(&app, 100, 24);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("you can ask for a new one in 59:34"),
        "{text}"
    );
    assert!(flat.contains("Support can help"), "{text}");
    assert!(!flat.contains("Ask for a new one."), "{text}");
    assert!(!flat.contains("No more codes for now. Try again"), "{text}");
    assert!(text.contains("›[ Get help from Support ]"), "{text}");
    // Digits do nothing here; Enter asks Support for help.
    assert!(calls(&typed(&mut app, "123", now)).is_empty());
    let effects = app.handle(key(KeyCode::Enter), now);
    assert!(calls(&effects).is_empty());
    assert!(
        screen(&app).contains("Ask Support for help"),
        "{}",
        screen(&app)
    );
}

/// A password with letters outside A to Z asks whether the person can type
/// it at every keyboard they use; one without does not.
#[test]
fn a_password_outside_ascii_asks_about_other_keyboards() {
    let mut app = app(false);
    let now = at_new_password(&mut app);
    typed(&mut app, "copper kettles", now);
    assert!(!screen(&app).contains("every keyboard"));
    typed(&mut app, " på tåg", now);
    let text = screen(&app);
    assert!(
        text.contains("Can you type this at every keyboard you use?"),
        "{text}"
    );
}

/// A slide refused as a burst (a paste, a script) says how the knob is
/// moved; the F2 label says what F2 does now: show, or hide.
#[test]
fn a_burst_slide_says_how_and_f2_says_what_it_will_do() {
    let mut app = app(false);
    at_slider(&mut app, T0);
    app.handle(
        Input::Reply(Reply::Slide(Ok(SlideVerdict::TryAgain(
            crate::recovery::SlideRefusal::Burst,
        )))),
        T0,
    );
    let text = screen(&app);
    assert!(text.contains("a paste does not count"), "{text}");

    let mut app = self::app(false);
    let now = at_new_password(&mut app);
    assert!(screen(&app).contains("F2 shows the password"));
    app.handle(key(KeyCode::F(2)), now);
    let text = screen(&app);
    assert!(text.contains("F2 hides the password"), "{text}");
}

/// At 40x12 the slider's label fits whole ("✓ Verified", not "✓ Verifi"),
/// and the track keeps its width from sliding to verified.
#[test]
fn the_slider_keeps_its_width_and_its_whole_label_in_a_small_window() {
    let mut app = app(false);
    at_slider(&mut app, T0);
    let track_end = |text: &str| {
        text.lines()
            .find(|l| l.contains('[') && (l.contains('━') || l.contains('█') || l.contains('─')))
            .and_then(|l| l.chars().position(|c| c == ']'))
    };
    let before = render_text(&app, 40, 12);
    let end_before = track_end(&before).unwrap_or_else(|| panic!("{before}"));
    assert!(before.contains("Slide to verify"), "{before}");
    let mut now = T0;
    for _ in 0..20 {
        now += 30;
        app.handle(key(KeyCode::Right), now);
    }
    app.handle(Input::Reply(Reply::Slide(Ok(SlideVerdict::Verified))), now);
    let after = render_text(&app, 40, 12);
    assert!(after.contains("✓ Verified"), "{after}");
    assert_eq!(track_end(&after), Some(end_before), "{before}\n{after}");
}

/// On the password screen words wrap instead of being cut, and what still
/// fails is on screen first, down to 40x12.
#[test]
fn the_password_screen_wraps_and_keeps_the_failing_rules_in_a_small_window() {
    let mut app = app(false);
    let now = at_new_password(&mut app);
    typed(&mut app, "copper", now);
    let verdict = crate::recovery::PasswordPolicy::default().assess("copper", &[]);
    app.handle(Input::Verdict { seq: 6, verdict }, now);
    let wide = render_text(&app, 60, 20);
    assert!(wide.contains("easy to remember."), "{wide}");
    let small = render_text(&app, 40, 12);
    for failing in ["At least 15 characters", "Hard to guess"] {
        assert!(small.contains(failing), "{failing}:\n{small}");
    }
    assert!(!small.contains("(F2 shows the passwo"), "cut:\n{small}");
}

/// The ticket screen says to write the reference down and whom to contact,
/// with the desk's phone and hours from the config.
#[test]
fn the_ticket_says_write_it_down_and_whom_to_contact() {
    let mut config = Config::default();
    config.support.desk = Some("the IT service desk".into());
    config.support.phone = "+46 8 123 45 67".into();
    config.support.hours = "Mon-Fri 8-17".into();
    let options = AppOptions::from_config(&config, false, None);
    let theme = Theme {
        color: false,
        unicode: true,
    };
    let mut app = App::new(Catalogs::shipped(), 0, theme, options, T0);
    let now = at_verify(&mut app);
    app.handle(key(KeyCode::Down), now);
    app.handle(key(KeyCode::Enter), now);
    let text = screen(&app);
    assert!(text.contains("Ask Support for help"), "{text}");
    assert!(text.contains("Phone or another e-mail address"), "{text}");
    // The contact is checked here: none, or one that is neither a phone
    // number nor an address, says what is needed and asks nothing.
    let effects = app.handle(key(KeyCode::Enter), now);
    assert!(calls(&effects).is_empty());
    assert!(screen(&app).contains("Support needs a way to reach you"));
    typed(&mut app, "call me", now);
    assert!(
        !screen(&app).contains("Support needs a way"),
        "the message goes at a key"
    );
    let effects = app.handle(key(KeyCode::Enter), now);
    assert!(calls(&effects).is_empty());
    assert!(
        screen(&app).contains("neither a phone number"),
        "{}",
        screen(&app)
    );
    for _ in 0.."call me".len() {
        app.handle(key(KeyCode::Backspace), now);
    }
    typed(&mut app, "+46 70 123  45 67", now);
    let effects = app.handle(key(KeyCode::Enter), now);
    assert_eq!(calls(&effects), ["OpenTicket(Some(\"+46 70 123 45 67\"))"]);
    let mut opened = view(Stage::TicketOpened);
    opened.ticket = Some("RK-7F3K-9Q2M".into());
    app.handle(
        Input::Reply(Reply::Flow(FlowCall::OpenTicket, Ok(opened))),
        now,
    );
    let text = screen(&app);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for said in [
        "Your reference: RK-7F3K-9Q2M",
        "Write this reference down.",
        "Contact the IT service desk and quote it",
        "Phone: +46 8 123 45 67",
        "Open: Mon-Fri 8-17",
        "Support will contact you at +46 70 123 45 67.",
    ] {
        assert!(flat.contains(said), "{said}:\n{text}");
    }
    // The reference stays until the person leaves.
    app.handle(Input::Tick, now + 600_000);
    assert!(screen(&app).contains("RK-7F3K-9Q2M"));
}

/// A password the service refuses for its history says so in words.
#[test]
fn a_refusal_for_an_old_password_says_it_was_used_before() {
    let mut app = app(false);
    let now = at_new_password(&mut app);
    let pw = "copper kettles whistle under violet rain";
    let verdict = crate::recovery::PasswordPolicy::default()
        .assess(pw, &[])
        .with_history_checked(true);
    app.handle(
        Input::Reply(Reply::Flow(
            FlowCall::SetPassword,
            Err(ServiceError::PasswordRefused(Box::new(verdict))),
        )),
        now,
    );
    let text = screen(&app);
    assert!(text.contains("You used this password before."), "{text}");
}

/// When the hour's limit runs out and a code can be sent again, Support
/// gives the focus back: Enter does not open a ticket from an unseen
/// control.
#[test]
fn the_focus_leaves_support_when_the_e_mail_way_opens_again() {
    let mut app = app(false);
    let now = at_check_email(&mut app);
    app.handle(
        Input::Reply(Reply::Flow(FlowCall::SendCode, Ok(view(Stage::CodeSent)))),
        now,
    );
    let mut spent = view(Stage::LockedOut);
    spent.resend = ResendStatus::HourlyLimit { ms: 10_000 };
    app.handle(Input::Reply(Reply::Flow(FlowCall::Status, Ok(spent))), now);
    assert!(screen(&app).contains("›[ Get help from Support ]"));
    app.handle(Input::Tick, now + 11_000);
    let text = screen(&app);
    assert!(!text.contains("Get help from Support"), "{text}");
    let effects = app.handle(key(KeyCode::Enter), now + 11_000);
    assert!(
        !calls(&effects).iter().any(|c| c.contains("OpenTicket")),
        "{:?}",
        calls(&effects)
    );
}

/// The landing screen is a sign-in form: address, Enter, password, Enter.
/// A wrong pair says so in the same words for any address, and how many
/// tries are left; a right one says it works, then goes back to the start.
#[test]
fn the_landing_screen_signs_in_and_says_only_whether_the_password_works() {
    use crate::service::SignInAnswer;
    let mut app = app(false);
    let text = screen(&app);
    for said in [
        "E-mail address",
        "Forgot your password?",
        "Password",
        "[ Sign in ]",
    ] {
        assert!(text.contains(said), "{said}:\n{text}");
    }
    // Enter on "Forgot your password?" would start recovery: in the empty
    // address field it says what is missing.
    app.handle(key(KeyCode::BackTab), T0);
    let effects = app.handle(key(KeyCode::Enter), T0);
    assert!(calls(&effects).is_empty());
    assert!(screen(&app).contains("Type your e-mail address."));
    typed(&mut app, "ada@example.com", T0);
    app.handle(key(KeyCode::Enter), T0);
    let effects = app.handle(key(KeyCode::Enter), T0);
    assert!(calls(&effects).is_empty());
    assert!(
        screen(&app).contains("Type your password."),
        "{}",
        screen(&app)
    );
    typed(&mut app, "wrong horse", T0);
    assert!(
        !screen(&app).contains("wrong horse"),
        "the password is masked"
    );
    let effects = app.handle(key(KeyCode::Enter), T0);
    let sent = calls(&effects);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].starts_with("SignIn { language: \"en\", address: \"ada@example.com\""),
        "{sent:?}"
    );
    assert!(!sent[0].contains("wrong horse"), "{sent:?}");
    // The service's answer to the try just sent, as the screen says it.
    let answered = |app: &mut App, answer: SignInAnswer| {
        app.handle(Input::Reply(Reply::SignIn(Ok(answer))), T0);
        screen(app).split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let retry = |app: &mut App| {
        typed(app, "x", T0);
        app.handle(key(KeyCode::Enter), T0);
    };
    let one_left = SignInAnswer::NoMatch {
        tries_left: 1,
        wait_ms: 0,
    };
    let flat = answered(&mut app, one_left);
    assert!(
        flat.contains("That address and password do not match. 1 more try for now."),
        "{flat}"
    );
    retry(&mut app);
    let none_left = SignInAnswer::NoMatch {
        tries_left: 0,
        wait_ms: 899_000,
    };
    let flat = answered(&mut app, none_left);
    assert!(
        flat.contains("do not match. Too many tries with this address. Try again in 14:59"),
        "{flat}"
    );
    retry(&mut app);
    let flat = answered(&mut app, SignInAnswer::Paused { wait_ms: 840_000 });
    assert!(flat.contains("Try again in 14:00"), "{flat}");
    typed(&mut app, "correct horse", T0);
    app.handle(key(KeyCode::Enter), T0);
    app.handle(Input::Reply(Reply::SignIn(Ok(SignInAnswer::Works))), T0);
    let text = screen(&app);
    assert!(text.contains("Signed in. Your password works."), "{text}");
    assert!(text.contains("opens nothing else"), "{text}");
    let back = Config::default().wizard.done_return_secs * 1000;
    app.handle(Input::Tick, T0 + back - 1);
    assert!(screen(&app).contains("Your password works"));
    let effects = app.handle(Input::Tick, T0 + back);
    assert_eq!(calls(&effects), ["Close"]);
    let text = screen(&app);
    assert!(
        !text.contains("ada@example.com") && !text.contains("works"),
        "{text}"
    );
}

/// "Try your new password" on "Password changed" opens the sign-in form
/// with the address filled in and the focus on the password.
#[test]
fn password_changed_offers_to_try_the_new_password() {
    let mut app = app(false);
    let now = at_new_password(&mut app);
    app.handle(
        Input::Reply(Reply::Flow(
            FlowCall::SetPassword,
            Ok(view(Stage::PasswordSet)),
        )),
        now,
    );
    let text = screen(&app);
    assert!(text.contains("[ Try your new password ]"), "{text}");
    assert!(
        text.contains("It can take a few minutes to reach every system."),
        "{text}"
    );
    app.handle(key(KeyCode::Enter), now);
    let text = screen(&app);
    assert!(
        text.contains("Sign in") && text.contains("ada@example.com"),
        "{text}"
    );
    typed(&mut app, "new password", now);
    let effects = app.handle(key(KeyCode::Enter), now);
    assert!(
        calls(&effects)[0].starts_with("SignIn"),
        "{:?}",
        calls(&effects)
    );
}

/// "Forgot your password?" carries the address typed in the form.
#[test]
fn forgot_carries_the_address_typed_in_the_sign_in_form() {
    let mut app = app(false);
    // Typing goes to the address; Tab to "Forgot your password?" under it.
    typed(&mut app, "ada@example.com", T0);
    app.handle(key(KeyCode::Tab), T0);
    forgot(&mut app, T0);
    let text = screen(&app);
    assert!(
        text.contains("Step 1 of 5") && text.contains("ada@example.com"),
        "{text}"
    );
}

/// The demo's mailbox in a window too short for its panel: the newest
/// mail's code in the bottom line, so the demo can be walked at 40x12.
#[test]
fn the_demo_shows_the_newest_code_in_a_small_window() {
    let demo = DemoAccount {
        address: "alex@example.com".into(),
        password: "lantern quietly orbits seventeen moths".into(),
    };
    let options = AppOptions::from_config(&Config::default(), false, Some(demo));
    let theme = Theme {
        color: false,
        unicode: true,
    };
    let mut app = App::new(Catalogs::shipped(), 0, theme, options, T0);
    app.handle(Input::Mailbox(MailboxView::default()), T0);
    assert!(
        render_text(&app, 40, 12).contains("F1 keys"),
        "no mail yet: the hints"
    );
    app.handle(
        Input::Mailbox(MailboxView {
            count: 1,
            to: "alex@example.com".into(),
            subject: "Your rekey verification code".into(),
            highlight: "482 913".into(),
        }),
        T0,
    );
    let small = render_text(&app, 40, 12);
    assert!(small.contains("Newest mail: 482 913"), "{small}");
    let large = render_text(&app, 80, 24);
    assert!(
        large.contains("Demo mailbox") && large.contains("482 913"),
        "{large}"
    );
    assert!(!large.contains("Newest mail"), "{large}");
}

/// Messages appear next to what they are about, in a tall window too: a
/// wrong code's right under the boxes, the slider's under the controls,
/// not at the bottom of the dialog.
#[test]
fn messages_appear_next_to_what_they_are_about_at_120x40() {
    let row_of = |text: &str, what: &str| {
        text.lines()
            .position(|l| l.contains(what))
            .unwrap_or_else(|| panic!("no {what:?} in\n{text}"))
    };
    let mut app = app(false);
    let now = at_check_email(&mut app);
    app.handle(
        Input::Reply(Reply::Flow(FlowCall::SendCode, Ok(view(Stage::CodeSent)))),
        now,
    );
    typed(&mut app, "111111", now);
    app.handle(key(KeyCode::Enter), now);
    app.handle(
        Input::Reply(Reply::Flow(
            FlowCall::Confirm,
            Err(ServiceError::WrongCode { attempts_left: 4 }),
        )),
        now,
    );
    let text = render_text(&app, 120, 40);
    let label = row_of(&text, "Verification code");
    assert_eq!(row_of(&text, "That code is not right"), label + 2, "{text}");

    let mut app = self::app(false);
    at_slider(&mut app, T0);
    app.handle(key(KeyCode::Enter), T0);
    let text = render_text(&app, 120, 40);
    let request = row_of(&text, "[ Request ]");
    let message = row_of(&text, "Slide the knob to the right end first.");
    assert!(message > request && message <= request + 2, "{text}");
}

/// A sign-in the service could not be reached for says so and that
/// nothing was checked; it does not promise a reconnection that the
/// landing screen does not make.
#[test]
fn a_sign_in_without_the_service_says_nothing_was_checked() {
    let mut app = app(false);
    typed(&mut app, "ada@example.com", T0);
    app.handle(key(KeyCode::Enter), T0);
    typed(&mut app, "correct horse", T0);
    app.handle(key(KeyCode::Enter), T0);
    app.handle(
        Input::Reply(Reply::SignIn(Err(ServiceError::Unavailable("gone".into())))),
        T0,
    );
    let flat = screen(&app)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(flat.contains("so nothing was checked"), "{flat}");
    assert!(!flat.contains("Trying to reconnect"), "{flat}");
    assert!(flat.contains("[ Sign in ]"), "the form stays: {flat}");
}
