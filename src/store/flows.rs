//! The `flows` tree: each address's recovery flow, keyed by the normalised
//! address so a person whose session dropped finds it again.

use super::{Store, StoreError, StoreTx, TxFault, get_json, put_json};
use crate::recovery::{EmailAddress, Flow};

impl StoreTx<'_> {
    pub fn flow(&self, address: &EmailAddress) -> Result<Option<Flow>, TxFault> {
        get_json(self.flows, address.as_str().as_bytes())
    }

    pub fn put_flow(&self, flow: &Flow) -> Result<(), TxFault> {
        put_json(self.flows, flow.address.as_str().as_bytes(), flow)
    }
}

impl Store {
    pub fn flow(&self, address: &EmailAddress) -> Result<Option<Flow>, StoreError> {
        match self.flows.get(address.as_str().as_bytes())? {
            None => Ok(None),
            Some(bytes) => super::decode(&bytes).map(Some).map_err(StoreError::Corrupt),
        }
    }
}
