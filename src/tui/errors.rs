//! The service's refusals in the person's language.

use crate::directory::Refusal;
use crate::i18n::Catalog;
use crate::recovery::contact::ContactError;
use crate::recovery::{AddressError, CodeFormatError, FlowError, SessionError};
use crate::service::ServiceError;

/// `4:05` from milliseconds, rounded up to the second.
pub fn clock(ms: u64) -> String {
    let secs = ms.div_ceil(1000);
    format!("{}:{:02}", secs / 60, secs % 60)
}

pub fn address_error(e: &AddressError, t: &Catalog) -> String {
    t.t(match e {
        AddressError::Empty => "error-address-empty",
        AddressError::TooLong => "error-address-too-long",
        AddressError::NeedsOneAt => "error-address-one-at",
        AddressError::BadLocalPart => "error-address-local",
        AddressError::BadDomain => "error-address-domain",
        AddressError::DomainWithoutDot => "error-address-no-dot",
        AddressError::IpLiteral => "error-address-ip",
    })
}

pub fn text(e: &ServiceError, t: &Catalog) -> String {
    match e {
        ServiceError::NoSession => t.t("error-no-session"),
        ServiceError::Address(a) => address_error(a, t),
        ServiceError::Session(SessionError::NoAddress) => t.t("error-address-first"),
        ServiceError::Session(SessionError::SlideNeeded) => t.t("error-slide-first"),
        ServiceError::Session(SessionError::NotRequested) => t.t("error-request-first"),
        ServiceError::Flow(f) => flow_error(f, t),
        ServiceError::CodeFormat(CodeFormatError::WrongLength) => t.t("error-code-length"),
        ServiceError::CodeFormat(CodeFormatError::NotDigits) => t.t("error-code-digits"),
        ServiceError::WrongCode { attempts_left } => {
            t.tf("check-wrong", &[("n", attempts_left.into())])
        }
        ServiceError::Contact(ContactError::Needed) => t.t("ticket-contact-needed"),
        ServiceError::Contact(ContactError::Invalid) => t.t("ticket-contact-invalid"),
        ServiceError::PasswordRefused(_) => t.t("error-password-refused"),
        ServiceError::PasswordsDiffer => t.t("error-passwords-differ"),
        ServiceError::DirectoryRefused(refusal) => t.t(match refusal {
            Refusal::TooShort => "error-directory-too-short",
            Refusal::TooSimple => "error-directory-too-simple",
            Refusal::InHistory => "error-directory-in-history",
            Refusal::Locked => "error-directory-locked",
            Refusal::Unreachable => "error-directory-down",
            Refusal::Other => "error-directory-other",
        }),
        ServiceError::DirectoryDown => t.t("error-directory-down"),
        ServiceError::ChangeUnconfirmed => t.t("error-change-unconfirmed"),
        ServiceError::ChangeInProgress => t.t("error-change-in-progress"),
        ServiceError::Internal(_) | ServiceError::Forbidden(_) => t.t("error-internal"),
        ServiceError::Unavailable(_) => t.t("error-unavailable"),
        ServiceError::Busy => t.t("error-busy"),
        ServiceError::StoreDown => t.t("error-store-down"),
        ServiceError::CannotSave => t.t("error-cannot-save"),
        ServiceError::NotSaved => t.t("error-not-saved"),
    }
}

fn flow_error(f: &FlowError, t: &Catalog) -> String {
    match f {
        FlowError::WrongStep { .. } => t.t("error-wrong-step"),
        FlowError::Ended => t.t("error-ended"),
        FlowError::ResendTooSoon { wait_ms } => {
            t.tf("error-resend-too-soon", &[("time", clock(*wait_ms).into())])
        }
        FlowError::HourlyLimit { wait_ms } => {
            t.tf("error-hourly-limit", &[("time", clock(*wait_ms).into())])
        }
        FlowError::CodeExpired => t.t("error-code-expired"),
        FlowError::NoTriesLeft => t.t("error-no-tries-left"),
        FlowError::CodeReplaced => t.t("error-code-replaced"),
        FlowError::NotConfirmed => t.t("error-not-confirmed"),
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
