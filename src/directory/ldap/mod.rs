//! An LDAP directory: OpenLDAP, 389-ds and FreeIPA through RFC 3062
//! Password Modify, Active Directory and Samba AD through `unicodePwd`.
//! rekey binds as a service account (password from a file), finds the one
//! entry whose address matches, and lets the server's own policy judge the
//! new password: its refusal comes back as a [`Refusal`].
//!
//! The service account needs `write` on `userPassword`, never `manage`
//! and never the rootdn: OpenLDAP's ppolicy treats both as password
//! administrators and skips its history and quality checks for them.

mod connection;
pub mod ppolicy;

use super::build::{DirectorySettings, LdapMode};
use super::{
    Account, ChangeStamp, ChangeVerdict, Check, Directory, DirectoryError, Password, Refusal,
    find_check,
};
use crate::recovery::{EmailAddress, Millis};
use async_trait::async_trait;
use connection::{Endpoint, connection_lost, reason};
use ldap3::controls::RawControl;
use ldap3::exop::PasswordModify;
use ldap3::{
    Ldap, LdapError, LdapResult, Mod, ResultEntry, Scope, SearchEntry, SearchOptions, ldap_escape,
};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashSet;
use tokio::sync::Mutex;
use tokio::time::Instant;

pub struct LdapDirectory {
    endpoint: Endpoint,
    bind_dn: String,
    bind_password: SecretString,
    base: String,
    filter: String,
    name_attribute: String,
    mode: LdapMode,
    unlock: bool,
    clear_pwd_reset: bool,
    ad_must_change: bool,
    /// The service account's connection, reused while it lives.
    service: Mutex<Held>,
}

/// The service connection, or how the last try to make one ended.
#[derive(Default)]
struct Held {
    service: Option<Service>,
    failed: Option<(Instant, DirectoryError)>,
}

/// A bound service connection and what its root DSE offers.
#[derive(Clone)]
struct Service {
    ldap: Ldap,
    policy_hints: Option<&'static str>,
    /// The server keeps `pwdChangedTime` (OpenLDAP's ppolicy overlay).
    ppolicy: bool,
}

impl LdapDirectory {
    /// Reads the service account's password file; connects on first use.
    pub fn new(settings: &DirectorySettings) -> Result<Self, String> {
        let file = &settings.bind_password_file;
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read directory.bind_password_file {file}: {e}"))?;
        let password = text.lines().next().unwrap_or_default().to_string();
        zeroize::Zeroize::zeroize(&mut { text });
        if password.is_empty() {
            return Err(format!("directory.bind_password_file {file} is empty"));
        }
        Ok(Self {
            endpoint: Endpoint::new(settings)?,
            bind_dn: settings.bind_dn.clone(),
            bind_password: SecretString::from(password),
            base: settings.base.clone(),
            filter: settings.filter.clone(),
            name_attribute: settings.name_attribute.clone(),
            mode: settings.mode,
            unlock: settings.unlock,
            clear_pwd_reset: settings.clear_pwd_reset,
            ad_must_change: settings.ad_must_change,
            service: Mutex::new(Held::default()),
        })
    }

    /// The service connection: the one held, or a new one bound now.
    async fn service(&self) -> Result<Service, DirectoryError> {
        let asked = Instant::now();
        let mut held = self.service.lock().await;
        if let Some(service) = held.service.as_mut()
            && !service.ldap.is_closed()
        {
            return Ok(service.clone());
        }
        held.service = None;
        // Callers that waited while another tried share its failure, rather
        // than each waiting out a time limit of its own in turn.
        if let Some((at, e)) = &held.failed
            && *at >= asked
        {
            return Err(e.clone());
        }
        let made = self.connect_service().await;
        match &made {
            Ok(service) => {
                held.service = Some(service.clone());
                held.failed = None;
            }
            Err(e) => held.failed = Some((Instant::now(), e.clone())),
        }
        made
    }

    /// Connects, binds as the service account and reads the root DSE.
    async fn connect_service(&self) -> Result<Service, DirectoryError> {
        let Some(mut ldap) = self
            .endpoint
            .bind(&self.bind_dn, &self.bind_password)
            .await?
        else {
            return Err(DirectoryError::Failed(format!(
                "the service account {} was refused: check directory.bind_dn and its password file",
                self.bind_dn
            )));
        };
        let root = self.root_dse(&mut ldap).await?;
        let policy_hints = match self.mode {
            LdapMode::Exop => {
                if !root
                    .extensions
                    .iter()
                    .any(|e| e == ppolicy::PASSWORD_MODIFY_OID)
                {
                    return Err(DirectoryError::Unsupported(
                        "the server does not offer the Password Modify operation (RFC 3062); \
                         for Active Directory or Samba AD set directory.mode = \"ad\""
                            .into(),
                    ));
                }
                None
            }
            LdapMode::Ad => [
                ppolicy::AD_POLICY_HINTS_OID,
                ppolicy::AD_POLICY_HINTS_DEPRECATED_OID,
            ]
            .into_iter()
            .find(|oid| root.controls.iter().any(|c| c == oid)),
        };
        let ppolicy = root.controls.iter().any(|c| c == ppolicy::PPOLICY_OID);
        Ok(Service {
            ldap,
            policy_hints,
            ppolicy,
        })
    }

    /// Forgets the held connection, so the next call connects again.
    async fn drop_service(&self) {
        self.service.lock().await.service = None;
    }

    async fn root_dse(&self, ldap: &mut Ldap) -> Result<RootDse, DirectoryError> {
        let (entries, _) = ldap
            .with_timeout(self.endpoint.timeout)
            .search(
                "",
                Scope::Base,
                "(objectClass=*)",
                vec!["supportedExtension", "supportedControl"],
            )
            .await
            .map_err(|e| DirectoryError::Unreachable(reason(&e)))?
            .success()
            .map_err(|e| DirectoryError::Failed(format!("reading the root DSE: {e}")))?;
        let mut root = RootDse::default();
        for entry in entries {
            let entry = entry_of(entry)?;
            root.extensions.extend(
                entry
                    .attrs
                    .get("supportedExtension")
                    .cloned()
                    .unwrap_or_default(),
            );
            root.controls.extend(
                entry
                    .attrs
                    .get("supportedControl")
                    .cloned()
                    .unwrap_or_default(),
            );
        }
        Ok(root)
    }

    /// Runs a read on the service connection, once more on a new one when
    /// the held connection turns out to be gone.
    async fn read_entries(
        &self,
        base: &str,
        scope: Scope,
        filter: &str,
        attrs: Vec<&str>,
    ) -> Result<(Vec<SearchEntry>, LdapResult), DirectoryError> {
        for attempt in 0..2 {
            let mut service = self.service().await?;
            let answer = service
                .ldap
                .with_timeout(self.endpoint.timeout)
                .with_search_options(SearchOptions::new().sizelimit(2))
                .search(base, scope, filter, attrs.clone())
                .await;
            match answer {
                Ok(result) => {
                    let (entries, done) = (result.0, result.1);
                    let entries = entries
                        .into_iter()
                        .map(entry_of)
                        .collect::<Result<_, _>>()?;
                    return Ok((entries, done));
                }
                Err(e) if connection_lost(&e) && attempt == 0 => self.drop_service().await,
                Err(e) => {
                    self.drop_service().await;
                    return Err(DirectoryError::Unreachable(reason(&e)));
                }
            }
        }
        Err(DirectoryError::Unreachable(
            "the connection keeps dropping".into(),
        ))
    }

    /// The account's entry with the attributes a change needs.
    async fn entry(
        &self,
        account: &Account,
        attrs: Vec<&str>,
    ) -> Result<SearchEntry, DirectoryError> {
        let (mut entries, done) = self
            .read_entries(&account.id, Scope::Base, "(objectClass=*)", attrs)
            .await?;
        match (done.rc, entries.pop()) {
            (0, Some(entry)) => Ok(entry),
            (32, _) | (0, None) => Err(DirectoryError::NoAccount),
            (rc, _) => Err(DirectoryError::Failed(format!(
                "reading {}: result {rc} {}",
                account.id, done.text
            ))),
        }
    }

    /// OpenLDAP and 389-ds: Password Modify as the service account, with
    /// the password policy control asked for.
    async fn change_by_exop(
        &self,
        service: &mut Service,
        account: &Account,
        new: &Password,
    ) -> Result<LdapResult, LdapError> {
        let exop = PasswordModify {
            user_id: Some(&account.id),
            old_pass: None,
            new_pass: Some(new.expose_secret()),
        };
        // Not `.success()` and no parse of the reply: ldap3 panics on a
        // reply without a generated password, and we sent one.
        let answer = service
            .ldap
            .with_controls(RawControl {
                ctype: ppolicy::PPOLICY_OID.to_string(),
                crit: false,
                val: None,
            })
            .with_timeout(self.endpoint.timeout)
            .extended(exop)
            .await?;
        Ok(answer.1)
    }

    /// Active Directory: `unicodePwd` replaced, with the policy hints
    /// control when the server lists it, so a reset honours the history.
    async fn change_by_unicode_pwd(
        &self,
        service: &mut Service,
        account: &Account,
        new: &Password,
    ) -> Result<LdapResult, LdapError> {
        let mut value = ppolicy::unicode_pwd(new.expose_secret());
        // Moved, not copied, into the request; ldap3 encodes and drops it
        // without wiping it (the hardening issue carries secrets further).
        let mods = vec![Mod::Replace(
            b"unicodePwd".to_vec(),
            HashSet::from([std::mem::take(&mut *value)]),
        )];
        let mut ldap = service.ldap.clone();
        let ldap = ldap.with_timeout(self.endpoint.timeout);
        if let Some(oid) = service.policy_hints {
            ldap.with_controls(RawControl {
                ctype: oid.to_string(),
                crit: false,
                val: Some(ppolicy::ad_policy_hints_value()),
            });
        }
        ldap.modify(&account.id, mods).await
    }

    /// What a refused change means for the person.
    fn refusal(result: &LdapResult) -> ChangeVerdict {
        let from_control = result
            .ctrls
            .iter()
            .filter(|c| c.1.ctype == ppolicy::PPOLICY_OID)
            .find_map(|c| c.1.val.as_deref().and_then(ppolicy::ppolicy_error))
            .map(ppolicy::refusal_of_ppolicy_error);
        let refusal = match (result.rc, from_control) {
            (_, Some(r)) if r != Refusal::Other => r,
            // insufficientAccessRights, unwillingToPerform: the set-up.
            (50 | 53, _) => Refusal::Other,
            _ => ppolicy::refusal_of_text(&result.text),
        };
        ChangeVerdict::Refused {
            refusal,
            detail: format!("result {} {}", result.rc, result.text.trim()),
        }
    }

    /// After a change: unlock, and clear or set the reset flags, as the
    /// config says. Each is logged when it fails; the change stands.
    async fn after_change(&self, service: &mut Service, account: &Account) {
        let mut mods: Vec<Mod<Vec<u8>>> = Vec::new();
        match self.mode {
            LdapMode::Exop => {
                let Ok(entry) = self
                    .entry(account, vec!["pwdAccountLockedTime", "pwdReset"])
                    .await
                else {
                    return;
                };
                let has = |a: &str| entry.attrs.get(a).is_some_and(|v| !v.is_empty());
                if self.unlock && has("pwdAccountLockedTime") {
                    mods.push(Mod::Delete(
                        b"pwdAccountLockedTime".to_vec(),
                        HashSet::new(),
                    ));
                }
                if self.clear_pwd_reset && has("pwdReset") {
                    mods.push(Mod::Delete(b"pwdReset".to_vec(), HashSet::new()));
                }
            }
            LdapMode::Ad => {
                if self.unlock {
                    mods.push(Mod::Replace(
                        b"lockoutTime".to_vec(),
                        HashSet::from([b"0".to_vec()]),
                    ));
                }
                if self.ad_must_change {
                    mods.push(Mod::Replace(
                        b"pwdLastSet".to_vec(),
                        HashSet::from([b"0".to_vec()]),
                    ));
                }
            }
        }
        if mods.is_empty() {
            return;
        }
        let done = service
            .ldap
            .with_timeout(self.endpoint.timeout)
            .modify(&account.id, mods)
            .await;
        match done {
            Ok(r) if r.rc == 0 => {}
            Ok(r) => tracing::warn!(
                entry = %account.id,
                "the password changed, but unlocking or the reset flags failed: result {} {}",
                r.rc,
                r.text
            ),
            Err(e) => tracing::warn!(
                entry = %account.id,
                "the password changed, but unlocking or the reset flags failed: {}",
                reason(&e)
            ),
        }
    }

    /// Whether the account is locked now (ppolicy or AD lockout).
    async fn locked(&self, account: &Account) -> Result<bool, DirectoryError> {
        let attr = match self.mode {
            LdapMode::Exop => "pwdAccountLockedTime",
            LdapMode::Ad => "lockoutTime",
        };
        let entry = self.entry(account, vec![attr]).await?;
        let values = entry.attrs.get(attr).cloned().unwrap_or_default();
        Ok(values.iter().any(|v| !v.is_empty() && v != "0"))
    }
}

#[derive(Default)]
struct RootDse {
    extensions: Vec<String>,
    controls: Vec<String>,
}

#[async_trait]
impl Directory for LdapDirectory {
    fn describe(&self) -> String {
        let mode = match self.mode {
            LdapMode::Exop => "password modify",
            LdapMode::Ad => "Active Directory",
        };
        format!("ldap ({mode}) at {}", self.endpoint.url)
    }

    async fn find(&self, address: &EmailAddress) -> Result<Option<Account>, DirectoryError> {
        let filter = self
            .filter
            .replace("{address}", &ldap_escape(address.as_str()));
        let (entries, done) = self
            .read_entries(
                &self.base,
                Scope::Subtree,
                &filter,
                vec![self.name_attribute.as_str(), "mail"],
            )
            .await?;
        // 4: sizeLimitExceeded, more than the two asked for.
        if entries.len() > 1 || done.rc == 4 {
            tracing::warn!(
                base = %self.base,
                "more than one entry matches {filter}; no account is chosen"
            );
            return Ok(None);
        }
        if done.rc != 0 && done.rc != 32 {
            return Err(DirectoryError::Failed(format!(
                "searching {}: result {} {}",
                self.base, done.rc, done.text
            )));
        }
        Ok(entries.into_iter().next().map(|entry| {
            let name = entry
                .attrs
                .get(&self.name_attribute)
                .and_then(|v| v.first())
                .cloned()
                .unwrap_or_default();
            Account {
                id: entry.dn,
                name: super::sled_directory::clean_name(&name),
                address: address.clone(),
            }
        }))
    }

    async fn verify_password(
        &self,
        account: &Account,
        password: &Password,
    ) -> Result<bool, DirectoryError> {
        match self.endpoint.bind(&account.id, password).await? {
            Some(mut ldap) => {
                let _ = ldap.unbind().await;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn change_password(
        &self,
        account: &Account,
        new: &Password,
    ) -> Result<ChangeVerdict, DirectoryError> {
        if !self.unlock && self.locked(account).await? {
            return Ok(ChangeVerdict::Refused {
                refusal: Refusal::Locked,
                detail: "the account is locked and directory.unlock is off".into(),
            });
        }
        let mut service = self.service().await?;
        let answer = match self.mode {
            LdapMode::Exop => self.change_by_exop(&mut service, account, new).await,
            LdapMode::Ad => self.change_by_unicode_pwd(&mut service, account, new).await,
        };
        let result = match answer {
            Ok(result) => result,
            Err(e) => {
                self.drop_service().await;
                // The request may have reached the server: only the
                // change stamp can tell now.
                return Err(DirectoryError::NoAnswer(reason(&e)));
            }
        };
        match result.rc {
            0 => {
                self.after_change(&mut service, account).await;
                Ok(ChangeVerdict::Done)
            }
            // busy, unavailable: the server did not act.
            51 | 52 => Ok(ChangeVerdict::Refused {
                refusal: Refusal::Unreachable,
                detail: format!("result {} {}", result.rc, result.text),
            }),
            32 => Err(DirectoryError::NoAccount),
            _ => Ok(Self::refusal(&result)),
        }
    }

    async fn change_stamp(&self, account: &Account) -> Result<ChangeStamp, DirectoryError> {
        let attr = match self.mode {
            LdapMode::Exop => "pwdChangedTime",
            LdapMode::Ad => "pwdLastSet",
        };
        let entry = self.entry(account, vec![attr]).await?;
        let Some(value) = entry.attrs.get(attr).and_then(|v| v.first()) else {
            // Without ppolicy OpenLDAP keeps no pwdChangedTime at all; with
            // it, an entry whose password never changed has none yet.
            let keeps_stamps = self.mode == LdapMode::Ad || self.service().await?.ppolicy;
            if !keeps_stamps {
                return Err(DirectoryError::Unsupported(format!(
                    "{} has no pwdChangedTime and the server offers no password policy \
                     (ppolicy overlay): a change whose answer was lost cannot be checked",
                    account.id
                )));
            }
            return Ok(ChangeStamp {
                at_ms: None,
                precision_ms: 1000,
            });
        };
        let at_ms = match self.mode {
            LdapMode::Exop => generalized_time_ms(value),
            LdapMode::Ad => filetime_ms(value),
        }
        .ok_or_else(|| DirectoryError::Failed(format!("{attr} of {} is {value:?}", account.id)))?;
        Ok(ChangeStamp {
            at_ms: Some(at_ms),
            precision_ms: match self.mode {
                LdapMode::Exop => 1000,
                LdapMode::Ad => 1,
            },
        })
    }

    /// ldap3 stops waiting at the time limit without abandoning the
    /// request: the server may finish it later, within its own limits.
    fn late_write_ms(&self) -> Millis {
        2 * self.endpoint.timeout.as_millis() as Millis
    }

    async fn self_test(&self, address: Option<&EmailAddress>) -> Vec<Check> {
        let mut checks = Vec::new();
        let tls = if self.endpoint.url.starts_with("ldaps://") {
            "TLS (ldaps)"
        } else if self.endpoint.starttls {
            "TLS (StartTLS)"
        } else {
            "no TLS: plain LDAP to loopback"
        };
        let connected = self.endpoint.connect().await.map(|mut ldap| {
            tokio::spawn(async move { ldap.unbind().await });
        });
        let reached = connected.is_ok();
        checks.push(Check::new(
            &format!("connect to {}", self.endpoint.url),
            connected
                .map(|()| tls.to_string())
                .map_err(|e| e.to_string()),
        ));
        if !reached {
            return checks;
        }
        let service = self.service().await;
        let ok = service.is_ok();
        checks.push(Check::new(
            &format!("bind as {}", self.bind_dn),
            service
                .map(|s| match (self.mode, s.policy_hints) {
                    (LdapMode::Exop, _) => "bound; the server offers Password Modify (RFC 3062)".into(),
                    (LdapMode::Ad, Some(oid)) => {
                        format!("bound; the server takes the policy hints control {oid}, so resets honour the history")
                    }
                    (LdapMode::Ad, None) => "bound; the server lists no policy hints control: \
                         a reset does not check the password history"
                        .into(),
                })
                .map_err(|e| e.to_string()),
        ));
        if ok && let Some(address) = address {
            checks.push(find_check(self, address).await);
        }
        checks
    }
}

/// A search result as an entry. ldap3's `SearchEntry::construct` panics on
/// a malformed one (a DN that is not UTF-8, a missing part): its shape is
/// checked first, so a broken server is an error, not a panic.
fn entry_of(raw: ResultEntry) -> Result<SearchEntry, DirectoryError> {
    if well_formed(&raw) {
        Ok(SearchEntry::construct(raw))
    } else {
        Err(DirectoryError::Failed(
            "the server sent a malformed search entry".into(),
        ))
    }
}

fn well_formed(raw: &ResultEntry) -> bool {
    let text = |t: Option<ldap3::asn1::StructureTag>| {
        t.and_then(|t| t.expect_primitive())
            .is_some_and(|bytes| String::from_utf8(bytes).is_ok())
    };
    let Some(parts) = raw
        .0
        .clone()
        .match_id(4)
        .and_then(|t| t.expect_constructed())
    else {
        return false;
    };
    let mut parts = parts.into_iter();
    if !text(parts.next()) {
        return false;
    }
    let Some(attributes) = parts.next().and_then(|t| t.expect_constructed()) else {
        return false;
    };
    attributes.into_iter().all(|attribute| {
        let Some(pair) = attribute.expect_constructed() else {
            return false;
        };
        let mut pair = pair.into_iter();
        text(pair.next())
            && pair
                .next()
                .and_then(|t| t.expect_constructed())
                .is_some_and(|values| values.into_iter().all(|v| v.expect_primitive().is_some()))
    })
}

/// `20261201103045Z` (or with fractions, `20261201103045.123Z`) as ms.
pub fn generalized_time_ms(value: &str) -> Option<Millis> {
    let digits = value.strip_suffix('Z')?;
    let (whole, fraction) = digits.split_once(['.', ',']).unwrap_or((digits, ""));
    if whole.len() != 14 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| whole[r].parse::<i64>().ok();
    let (y, mo, d) = (n(0..4)?, n(4..6)?, n(6..8)?);
    let (h, mi, s) = (n(8..10)?, n(10..12)?, n(12..14)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    let ms_fraction: i64 = format!("{fraction:0<3}")
        .get(..3)
        .and_then(|f| f.parse().ok())
        .unwrap_or(0);
    let ms = ((days * 24 + h) * 60 + mi) * 60_000 + s * 1000 + ms_fraction;
    u64::try_from(ms).ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A Windows FILETIME (100 ns since 1601) as ms since 1970; `0` (must
/// change at next sign-in) as 0.
pub fn filetime_ms(value: &str) -> Option<Millis> {
    let ticks: u64 = value.parse().ok()?;
    Some((ticks / 10_000).saturating_sub(11_644_473_600_000))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ldap3::asn1::{PL, StructureTag, TagClass};

    #[test]
    fn generalized_time_reads_as_milliseconds() {
        assert_eq!(generalized_time_ms("19700101000000Z"), Some(0));
        assert_eq!(
            generalized_time_ms("20261201103045Z"),
            Some(1_796_121_045_000)
        );
        assert_eq!(
            generalized_time_ms("20261201103045.5Z"),
            Some(1_796_121_045_500)
        );
        assert_eq!(generalized_time_ms("20261301103045Z"), None);
        assert_eq!(generalized_time_ms("2026120110304Z"), None);
        assert_eq!(generalized_time_ms("20261201103045"), None);
    }

    fn entry(dn: &[u8], attributes: Vec<StructureTag>) -> ResultEntry {
        let octets = |bytes: &[u8]| StructureTag {
            class: TagClass::Universal,
            id: 4,
            payload: PL::P(bytes.to_vec()),
        };
        let sequence = |inner: Vec<StructureTag>| StructureTag {
            class: TagClass::Universal,
            id: 16,
            payload: PL::C(inner),
        };
        ResultEntry::new(StructureTag {
            class: TagClass::Application,
            id: 4,
            payload: PL::C(vec![octets(dn), sequence(attributes)]),
        })
    }

    #[test]
    fn a_malformed_entry_is_an_error_not_a_panic() {
        let octets = |bytes: &[u8]| StructureTag {
            class: TagClass::Universal,
            id: 4,
            payload: PL::P(bytes.to_vec()),
        };
        let attribute = |name: &[u8], values: Vec<StructureTag>| StructureTag {
            class: TagClass::Universal,
            id: 16,
            payload: PL::C(vec![
                octets(name),
                StructureTag {
                    class: TagClass::Universal,
                    id: 17,
                    payload: PL::C(values),
                },
            ]),
        };
        let good = entry(
            b"uid=ada,dc=example,dc=com",
            vec![attribute(b"cn", vec![octets(b"Ada")])],
        );
        assert_eq!(entry_of(good).unwrap().attrs["cn"], vec!["Ada".to_string()]);
        let bad_dn = entry(&[0xff, 0xfe], vec![]);
        assert!(matches!(entry_of(bad_dn), Err(DirectoryError::Failed(_))));
        let bad_name = entry(b"uid=ada", vec![attribute(&[0xff], vec![])]);
        assert!(entry_of(bad_name).is_err());
        let mut no_attributes = entry(b"uid=ada", vec![]);
        no_attributes.0.payload = PL::C(vec![octets(b"uid=ada")]);
        assert!(entry_of(no_attributes).is_err());
    }

    #[test]
    fn filetime_reads_as_milliseconds() {
        // 2026-12-01T10:30:45Z
        assert_eq!(filetime_ms("134405946450000000"), Some(1_796_121_045_000));
        assert_eq!(filetime_ms("0"), Some(0));
        assert_eq!(filetime_ms("x"), None);
    }
}
