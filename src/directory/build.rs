//! The `[directory]` settings and the one place that makes the configured
//! directory. Nothing else names a concrete directory type.

use super::command::CommandDirectory;
use super::ldap::LdapDirectory;
use super::{Directory, SledDirectory};
use crate::recovery::Clock;
use crate::recovery::hashing::HashCost;
use crate::store::Store;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DirectoryKind {
    /// rekey's own accounts in its store.
    #[default]
    Sled,
    Ldap,
    Command,
}

/// How an LDAP server takes a new password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LdapMode {
    /// RFC 3062 Password Modify: OpenLDAP, 389-ds, FreeIPA.
    #[default]
    Exop,
    /// `unicodePwd` replaced over TLS: Active Directory, Samba AD.
    Ad,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DirectorySettings {
    pub kind: DirectoryKind,
    /// `ldaps://host[:port]`, or `ldap://` with `starttls = true`.
    pub url: String,
    pub starttls: bool,
    /// Allows plain `ldap://` without TLS, only to 127.0.0.0/8 or ::1.
    pub allow_plain_loopback: bool,
    /// A PEM file of CA certificates to trust besides the system's.
    pub ca_file: String,
    /// The service account rekey binds as.
    pub bind_dn: String,
    /// A file holding the service account's password (its first line).
    pub bind_password_file: String,
    /// Where accounts are searched, with `filter`.
    pub base: String,
    /// `{address}` is replaced by the address, RFC 4515-escaped.
    pub filter: String,
    /// The attribute that holds the person's display name.
    pub name_attribute: String,
    pub mode: LdapMode,
    /// Seconds for connecting and for each operation, LDAP or hook.
    pub timeout_secs: u64,
    /// Unlock a locked account when its recovery completes.
    pub unlock: bool,
    /// OpenLDAP ppolicy with `pwdMustChange`: remove `pwdReset` after the
    /// recovery, so the person is not asked to change the password again.
    pub clear_pwd_reset: bool,
    /// Active Directory: set `pwdLastSet = 0` after the reset, so the
    /// person must change the password at the next sign-in.
    pub ad_must_change: bool,
    /// `kind = "command"`: the hook's path (absolute), run without a shell.
    pub command: String,
    /// Arguments for the hook.
    pub args: Vec<String>,
}

impl Default for DirectorySettings {
    fn default() -> Self {
        Self {
            kind: DirectoryKind::Sled,
            url: String::new(),
            starttls: false,
            allow_plain_loopback: false,
            ca_file: String::new(),
            bind_dn: String::new(),
            bind_password_file: String::new(),
            base: String::new(),
            filter: "(mail={address})".to_string(),
            name_attribute: "cn".to_string(),
            mode: LdapMode::Exop,
            timeout_secs: 10,
            unlock: true,
            clear_pwd_reset: false,
            ad_must_change: false,
            command: String::new(),
            args: Vec::new(),
        }
    }
}

impl DirectorySettings {
    /// What makes no sense, as one line naming the key.
    pub fn problem(&self) -> Option<String> {
        if self.timeout_secs == 0 || self.timeout_secs > 300 {
            return Some("directory.timeout_secs must be 1 to 300".into());
        }
        match self.kind {
            DirectoryKind::Sled => None,
            DirectoryKind::Ldap => self.ldap_problem(),
            DirectoryKind::Command => {
                if !self.command.starts_with('/') {
                    Some("directory.command must be the hook's absolute path".into())
                } else {
                    None
                }
            }
        }
    }

    fn ldap_problem(&self) -> Option<String> {
        for (key, value) in [
            ("url", &self.url),
            ("bind_dn", &self.bind_dn),
            ("bind_password_file", &self.bind_password_file),
            ("base", &self.base),
        ] {
            if value.trim().is_empty() {
                return Some(format!("directory.{key} is needed with kind = \"ldap\""));
            }
        }
        if !self.filter.contains("{address}") {
            return Some("directory.filter must contain {address}".into());
        }
        if !(self.filter.starts_with('(') && self.filter.ends_with(')')) {
            return Some(
                "directory.filter must be in parentheses, e.g. \"(mail={address})\"".into(),
            );
        }
        if self.name_attribute.trim().is_empty() {
            return Some("directory.name_attribute must name an attribute".into());
        }
        let Some((scheme, rest)) = self.url.split_once("://") else {
            return Some("directory.url must start with ldaps:// or ldap://".into());
        };
        match scheme {
            "ldaps" if self.starttls => {
                Some("directory.starttls is for ldap:// URLs; ldaps:// is TLS already".into())
            }
            "ldaps" => None,
            "ldap" if self.starttls => None,
            "ldap" if !self.allow_plain_loopback => Some(
                "directory.url is plain ldap://: use ldaps://, or starttls = true \
                 (allow_plain_loopback = true allows it to 127.0.0.1 only)"
                    .into(),
            ),
            "ldap" if !is_loopback_host(rest) => {
                Some("directory.url: plain ldap:// is allowed only to a loopback address".into())
            }
            "ldap" if self.mode == LdapMode::Ad => Some(
                "directory.mode = \"ad\" needs TLS: Active Directory takes a password only over \
                 an encrypted connection"
                    .into(),
            ),
            "ldap" => None,
            other => Some(format!(
                "directory.url: unknown scheme {other}://, use ldaps:// or ldap://"
            )),
        }
    }

    pub fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.timeout_secs)
    }
}

/// Whether the host part of an LDAP URL (after `scheme://`) is loopback.
fn is_loopback_host(rest: &str) -> bool {
    let authority = rest.split('/').next().unwrap_or_default();
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Makes the configured directory. The sled one works on `store`; the
/// others read their secrets now, so a missing file is said at start.
pub fn build(
    settings: &DirectorySettings,
    store: &Store,
    clock: Arc<dyn Clock>,
    cost: HashCost,
) -> Result<Arc<dyn Directory>, String> {
    match external(settings)? {
        Some(directory) => Ok(directory),
        None => Ok(Arc::new(
            SledDirectory::new(store.clone(), clock).with_hash_cost(cost),
        )),
    }
}

/// The configured directory when it is not rekey's own store (which needs
/// the store open): LDAP or a command hook.
pub fn external(settings: &DirectorySettings) -> Result<Option<Arc<dyn Directory>>, String> {
    if let Some(problem) = settings.problem() {
        return Err(format!("the config {problem}"));
    }
    Ok(match settings.kind {
        DirectoryKind::Sled => None,
        DirectoryKind::Ldap => Some(Arc::new(LdapDirectory::new(settings)?)),
        DirectoryKind::Command => Some(Arc::new(CommandDirectory::new(settings))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ldap(url: &str) -> DirectorySettings {
        DirectorySettings {
            kind: DirectoryKind::Ldap,
            url: url.into(),
            bind_dn: "cn=rekey,dc=example,dc=com".into(),
            bind_password_file: "/etc/rekey/ldap.pw".into(),
            base: "dc=example,dc=com".into(),
            ..DirectorySettings::default()
        }
    }

    #[test]
    fn plain_ldap_is_refused_unless_loopback_and_allowed() {
        assert_eq!(ldap("ldaps://ldap.example.com").problem(), None);
        assert!(ldap("ldap://ldap.example.com").problem().is_some());
        let mut starttls = ldap("ldap://ldap.example.com");
        starttls.starttls = true;
        assert_eq!(starttls.problem(), None);
        let mut plain = ldap("ldap://127.0.0.1:3890");
        assert!(plain.problem().is_some());
        plain.allow_plain_loopback = true;
        assert_eq!(plain.problem(), None);
        let mut remote = ldap("ldap://10.0.0.5:389");
        remote.allow_plain_loopback = true;
        assert!(remote.problem().unwrap().contains("loopback"));
        let mut v6 = ldap("ldap://[::1]:389");
        v6.allow_plain_loopback = true;
        assert_eq!(v6.problem(), None);
        let mut ad = ldap("ldap://127.0.0.1");
        ad.allow_plain_loopback = true;
        ad.mode = LdapMode::Ad;
        assert!(ad.problem().unwrap().contains("TLS"));
    }

    #[test]
    fn an_ldap_directory_needs_its_keys_and_a_filter_on_the_address() {
        let mut s = ldap("ldaps://ldap.example.com");
        s.filter = "(uid=alice)".into();
        assert!(s.problem().unwrap().contains("{address}"));
        let mut s = ldap("ldaps://ldap.example.com");
        s.bind_dn.clear();
        assert!(s.problem().unwrap().contains("bind_dn"));
        let mut s = ldap("ldaps://ldap.example.com");
        s.timeout_secs = 0;
        assert!(s.problem().is_some());
    }

    #[test]
    fn a_hook_is_named_by_its_absolute_path() {
        let mut s = DirectorySettings {
            kind: DirectoryKind::Command,
            command: "chpasswd-hook".into(),
            ..DirectorySettings::default()
        };
        assert!(s.problem().is_some());
        s.command = "/usr/local/lib/rekey/chpasswd-hook".into();
        assert_eq!(s.problem(), None);
    }
}
