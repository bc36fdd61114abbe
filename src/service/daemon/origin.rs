//! Who a connection's requests come from, as the daemon can prove it: the
//! peer's kernel uid on the Unix socket, or the name in the client
//! certificate of a kiosk or support box on another machine (TLS). A uid
//! listed in `daemon.shared_uids` (the recovery
//! user every SSH wizard runs as, the kiosk user) is many people, so its
//! connections are told apart by the place the wizard reports (the SSH
//! client, the kiosk's name); the wizard could lie about that, so the whole
//! uid has a ceiling of its own as well.
//!
//! Limits count per origin, never per process: forking more wizards does
//! not multiply them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// The longest place kept from a wizard's claim.
const PLACE_CHARS: usize = 60;

/// Who the daemon knows a peer to be.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Principal {
    /// A process on this machine, by its kernel uid.
    Uid(u32),
    /// A kiosk or support box on another machine, by the name in the
    /// client certificate it presented (checked against the client CA).
    Certificate(String),
}

impl Principal {
    /// `uid 1001`, or `certificate kiosk-lobby-1`.
    pub fn describe(&self) -> String {
        match self {
            Self::Uid(uid) => format!("uid {uid}"),
            Self::Certificate(name) => format!("certificate {name}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    pub principal: Principal,
    /// The place a wizard of a shared uid (or certificate) reported;
    /// `None` for the principal as a whole.
    pub place: Option<String>,
}

impl Origin {
    /// The uid as a whole: what a connection is before it opens a session.
    #[cfg(test)]
    pub fn uid(uid: u32) -> Self {
        Self::whole(Principal::Uid(uid))
    }

    /// The principal as a whole.
    pub fn whole(principal: Principal) -> Self {
        Self {
            principal,
            place: None,
        }
    }

    /// The origin of a session opened with `claim` (the wizard's word on
    /// where the person is): the principal alone, unless it is shared.
    pub fn of_session(principal: &Principal, claim: &str, shared: bool) -> Self {
        if !shared {
            return Self::whole(principal.clone());
        }
        let place = crate::recovery::text::visible(claim.trim(), PLACE_CHARS);
        Self {
            principal: principal.clone(),
            place: Some(place),
        }
    }

    /// For the audit trail and the send counts: `uid 1001`, `uid 1001 at
    /// ssh 203.0.113.9`, or `certificate kiosk-lobby-1`.
    pub fn describe(&self) -> String {
        match &self.place {
            None => self.principal.describe(),
            Some(place) => format!(
                "{}{}{place}",
                self.principal.describe(),
                crate::service::hash_pool::PLACE_SEPARATOR
            ),
        }
    }
}

/// Connections open per origin.
#[derive(Default)]
pub struct ConnectionCounts {
    open: Mutex<HashMap<Origin, usize>>,
}

/// One counted connection of an origin; dropping it gives the count back.
pub struct ConnectionSlot {
    counts: Arc<ConnectionCounts>,
    origin: Origin,
}

impl ConnectionCounts {
    /// Counts one more connection of `origin`, or `None` when it already
    /// has `limit`.
    pub fn take(self: &Arc<Self>, origin: Origin, limit: usize) -> Option<ConnectionSlot> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(origin.clone()).or_insert(0);
        if *count >= limit {
            if *count == 0 {
                open.remove(&origin);
            }
            return None;
        }
        *count += 1;
        Some(ConnectionSlot {
            counts: self.clone(),
            origin,
        })
    }

    #[cfg(test)]
    fn of(&self, origin: &Origin) -> usize {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.get(origin).copied().unwrap_or(0)
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut open = self
            .counts
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.origin) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.origin);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_uid_is_told_apart_by_place_and_others_by_uid_alone() {
        let shared = Principal::Uid(990);
        let a = Origin::of_session(&shared, "ssh 203.0.113.9", true);
        let b = Origin::of_session(&shared, "ssh 198.51.100.7", true);
        assert_ne!(a, b);
        assert_eq!(a.describe(), "uid 990 at ssh 203.0.113.9");
        let own = Origin::of_session(&Principal::Uid(1001), "ssh 203.0.113.9", false);
        assert_eq!(own, Origin::uid(1001));
        assert_eq!(own.describe(), "uid 1001");
        let kiosk = Origin::of_session(&Principal::Certificate("lobby-1".into()), "x", false);
        assert_eq!(kiosk.describe(), "certificate lobby-1");
        let spoof = Origin::of_session(&shared, "ssh 203.0.113.9\u{202e}\u{1b}[2J", true);
        assert_eq!(spoof.place.as_deref(), Some("ssh 203.0.113.9[2J"));
    }

    #[test]
    fn an_origin_gets_its_limit_of_connections_and_a_closed_one_comes_back() {
        let counts = Arc::new(ConnectionCounts::default());
        let origin = Origin::uid(1001);
        let slots: Vec<ConnectionSlot> = (0..3)
            .filter_map(|_| counts.take(origin.clone(), 2))
            .collect();
        assert_eq!(slots.len(), 2);
        assert!(counts.take(Origin::uid(1002), 2).is_some(), "another uid");
        drop(slots);
        assert_eq!(counts.of(&origin), 0);
        assert!(counts.take(origin, 2).is_some());
    }
}
