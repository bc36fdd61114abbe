//! The recovery flow and its rules: addresses, codes, the slide check, the
//! flow's state machine and the password policy. No I/O, no screen, and a
//! clock that tests control.

pub mod address;
pub mod clock;
pub mod code;
pub mod contact;
pub mod flow;
pub mod hashing;
pub mod phrase;
pub mod policy;
pub mod session;
pub mod slide;
pub mod text;

pub use address::{AddressError, EmailAddress};
pub use clock::{Clock, ManualClock, Millis, SystemClock};
pub use code::{Code, CodeFormatError};
pub use flow::{
    CodeStatus, Flow, FlowError, FlowView, Limits, MailHealth, MailProgress, NewCode, ResendStatus,
    SendHistory, Sends, Stage,
};
pub use policy::{PasswordPolicy, PasswordVerdict, Rule, RuleCheck, RuleStatus, name_hints};
pub use session::{Session, SessionError, SessionStep};
pub use slide::{SlideEvidence, SlideRefusal, SlideRules, SlideVerdict};
