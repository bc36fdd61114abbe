//! The service's refusals in the person's language.

use crate::directory::Refusal;
use crate::recovery::{AddressError, CodeFormatError, FlowError, SessionError};
use crate::service::ServiceError;
use crate::tui::i18n::Catalog;

/// `4:05` from milliseconds, rounded up to the second.
pub fn clock(ms: u64) -> String {
    let secs = ms.div_ceil(1000);
    format!("{}:{:02}", secs / 60, secs % 60)
}

pub fn address_error(e: &AddressError, t: &Catalog) -> String {
    t.t(match e {
        AddressError::Empty => "error.address_empty",
        AddressError::TooLong => "error.address_too_long",
        AddressError::NeedsOneAt => "error.address_one_at",
        AddressError::BadLocalPart => "error.address_local",
        AddressError::BadDomain => "error.address_domain",
        AddressError::DomainWithoutDot => "error.address_no_dot",
        AddressError::IpLiteral => "error.address_ip",
    })
}

pub fn text(e: &ServiceError, t: &Catalog) -> String {
    match e {
        ServiceError::NoSession => t.t("error.no_session"),
        ServiceError::Address(a) => address_error(a, t),
        ServiceError::Session(SessionError::NoAddress) => t.t("error.address_first"),
        ServiceError::Session(SessionError::SlideNeeded) => t.t("error.slide_first"),
        ServiceError::Session(SessionError::NotRequested) => t.t("error.request_first"),
        ServiceError::Flow(f) => flow_error(f, t),
        ServiceError::CodeFormat(CodeFormatError::WrongLength) => t.t("error.code_length"),
        ServiceError::CodeFormat(CodeFormatError::NotDigits) => t.t("error.code_digits"),
        ServiceError::WrongCode { attempts_left } => {
            t.tf("check.wrong", &[("n", &attempts_left.to_string())])
        }
        ServiceError::PasswordRefused(_) => t.t("error.password_refused"),
        ServiceError::PasswordsDiffer => t.t("error.passwords_differ"),
        ServiceError::DirectoryRefused(refusal) => t.t(match refusal {
            Refusal::TooShort => "error.directory_too_short",
            Refusal::TooSimple => "error.directory_too_simple",
            Refusal::InHistory => "error.directory_in_history",
            Refusal::Locked => "error.directory_locked",
            Refusal::Unreachable => "error.directory_down",
            Refusal::Other => "error.directory_other",
        }),
        ServiceError::DirectoryDown => t.t("error.directory_down"),
        ServiceError::ChangeUnconfirmed => t.t("error.change_unconfirmed"),
        ServiceError::ChangeInProgress => t.t("error.change_in_progress"),
        ServiceError::Internal(_) | ServiceError::Forbidden(_) => t.t("error.internal"),
        ServiceError::Unavailable(_) => t.t("error.unavailable"),
        ServiceError::Busy => t.t("error.busy"),
        ServiceError::CannotSave => t.t("error.cannot_save"),
        ServiceError::NotSaved => t.t("error.not_saved"),
    }
}

fn flow_error(f: &FlowError, t: &Catalog) -> String {
    match f {
        FlowError::WrongStep { .. } => t.t("error.wrong_step"),
        FlowError::Ended => t.t("error.ended"),
        FlowError::ResendTooSoon { wait_ms } => {
            t.tf("error.resend_too_soon", &[("time", &clock(*wait_ms))])
        }
        FlowError::HourlyLimit { wait_ms } => {
            t.tf("error.hourly_limit", &[("time", &clock(*wait_ms))])
        }
        FlowError::CodeExpired => t.t("error.code_expired"),
        FlowError::NoTriesLeft => t.t("error.no_tries_left"),
        FlowError::CodeReplaced => t.t("error.code_replaced"),
        FlowError::NotConfirmed => t.t("error.not_confirmed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countdowns_round_up_to_the_second() {
        assert_eq!(clock(42_000), "0:42");
        assert_eq!(clock(41_001), "0:42");
        assert_eq!(clock(600_000), "10:00");
        assert_eq!(clock(0), "0:00");
    }
}
