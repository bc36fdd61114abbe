//! The `tickets` tree: requests for help from people who can no longer read
//! the account's mailbox, for support staff to pick up.

use super::{Store, StoreError, StoreTx, TxFault, get_json, put_json};
use crate::recovery::{EmailAddress, Millis};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TicketStatus {
    Open,
    Resolved { at_ms: Millis },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// What the person is shown and quotes to support: `RK-7F3K-9Q2M`.
    pub reference: String,
    pub address: EmailAddress,
    pub client: String,
    /// How support can reach the person: phone numbers or addresses, each
    /// given when the ticket was opened or shown again.
    #[serde(default)]
    pub contacts: Vec<String>,
    pub created_ms: Millis,
    pub status: TicketStatus,
}

/// In `meta`: the last ticket opened for an address from an origin, so the
/// same person asking again within a day is shown the same reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastTicket {
    pub reference: String,
    pub created_ms: Millis,
}

fn last_ticket_key(address: &EmailAddress, origin: &str) -> Vec<u8> {
    let mut key = b"ticket_of/".to_vec();
    key.extend_from_slice(address.as_str().as_bytes());
    key.push(0);
    key.extend_from_slice(origin.as_bytes());
    key
}

impl StoreTx<'_> {
    pub fn last_ticket(
        &self,
        address: &EmailAddress,
        origin: &str,
    ) -> Result<Option<LastTicket>, TxFault> {
        get_json(self.meta, &last_ticket_key(address, origin))
    }

    pub fn put_last_ticket(
        &self,
        address: &EmailAddress,
        origin: &str,
        last: &LastTicket,
    ) -> Result<(), TxFault> {
        put_json(self.meta, &last_ticket_key(address, origin), last)
    }
}

// No 0/O or 1/I: a reference is read aloud over the phone.
const REFERENCE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// A new ticket reference from the OS's random source.
pub fn new_reference() -> Result<String, StoreError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Sled(format!("no randomness: {e}")))?;
    let chars: String = bytes
        .iter()
        .map(|b| char::from(REFERENCE_ALPHABET[usize::from(b % 32)]))
        .collect();
    Ok(format!("RK-{}-{}", &chars[..4], &chars[4..]))
}

/// Reads a reference as an operator types it: any case, dashes optional.
pub fn normalise_reference(input: &str) -> String {
    let clean: String = input
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    // "RK" is the prefix only when eight characters follow it: a reference
    // may itself begin with R and K.
    let body = match clean.strip_prefix("RK") {
        Some(rest) if rest.len() == 8 => rest,
        _ => &clean,
    };
    if body.len() == 8 {
        format!("RK-{}-{}", &body[..4], &body[4..])
    } else {
        input.trim().to_string()
    }
}

impl StoreTx<'_> {
    pub fn ticket(&self, reference: &str) -> Result<Option<Ticket>, TxFault> {
        get_json(self.tickets, reference.as_bytes())
    }

    pub fn put_ticket(&self, ticket: &Ticket) -> Result<(), TxFault> {
        put_json(self.tickets, ticket.reference.as_bytes(), ticket)
    }
}

impl Store {
    /// Every ticket, oldest first.
    pub fn tickets(&self) -> Result<Vec<Ticket>, StoreError> {
        let mut all: Vec<Ticket> = super::decode_all(&self.tickets)?;
        all.sort_by_key(|t| t.created_ms);
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_readable_and_typed_back_in_any_form() {
        let r = new_reference().unwrap();
        assert_eq!(r.len(), 12);
        assert!(r.starts_with("RK-"));
        assert!(!r[3..].contains(['0', 'O', '1', 'I']));
        let typed = r.to_lowercase().replace('-', "");
        assert_eq!(normalise_reference(&typed), r);
        assert_eq!(normalise_reference(&r[3..]), r);
        assert_eq!(normalise_reference("rk23-4567"), "RK-RK23-4567");
        assert_eq!(normalise_reference("RK-RK23-4567"), "RK-RK23-4567");
    }
}
