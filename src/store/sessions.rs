//! The `sessions` tree: one record per wizard session, so that a session's
//! steps survive a restart of whatever serves it.

use super::{Store, StoreError, StoreTx, TxFault, get_json, put_json};
use crate::recovery::{Millis, Session};

impl StoreTx<'_> {
    pub fn session(&self, id: &str) -> Result<Option<Session>, TxFault> {
        get_json(self.sessions, id.as_bytes())
    }

    pub fn put_session(&self, session: &Session) -> Result<(), TxFault> {
        put_json(self.sessions, session.id.as_bytes(), session)
    }

    pub fn remove_session(&self, id: &str) -> Result<(), TxFault> {
        self.sessions.remove(id.as_bytes())?;
        Ok(())
    }
}

impl Store {
    /// Removes sessions not seen for `idle_ms`; returns how many.
    pub fn sweep_sessions(&self, now: Millis, idle_ms: Millis) -> Result<usize, StoreError> {
        // A session that does not decode is of no use to anyone: it goes.
        let removed = super::sweep_tree(&self.sessions, |session: Option<Session>| {
            session.is_none_or(|s| now.saturating_sub(s.seen_ms) >= idle_ms)
        })?;
        self.flush()?;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recovery::EmailAddress;

    #[test]
    fn sweeping_removes_only_idle_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut fresh = Session::start("fresh".into(), "t".into(), "en".into(), 5_000);
        fresh.give_address(EmailAddress::parse("a@example.com").unwrap());
        let stale = Session::start("stale".into(), "t".into(), "en".into(), 1_000);
        store
            .transact(|tx| -> super::super::TxResult<(), StoreError> {
                tx.put_session(&fresh)?;
                tx.put_session(&stale)?;
                Ok(())
            })
            .unwrap();
        assert_eq!(store.sweep_sessions(6_000, 2_000).unwrap(), 1);
        let left = store
            .transact(|tx| -> super::super::TxResult<_, StoreError> {
                Ok((tx.session("fresh")?, tx.session("stale")?))
            })
            .unwrap();
        assert_eq!(left, (Some(fresh), None));
    }
}
