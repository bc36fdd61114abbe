//! Who is at the other end of a connection, as the daemon can prove it,
//! not as the wizard claims: the kernel's word (SO_PEERCRED) on the Unix
//! socket, the client certificate's name over TLS.

use super::origin::Principal;
use nix::unistd::{Gid, Group, Uid, User};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peer {
    Unix {
        uid: u32,
        gid: u32,
        pid: Option<i32>,
        /// The user's name, when the system knows it.
        user: Option<String>,
    },
    /// A kiosk or support box on another machine.
    Tls {
        /// The certificate's name (its subject's CN, else its first DNS
        /// name), checked against the client CA in the TLS handshake.
        name: String,
        address: std::net::SocketAddr,
    },
}

/// What the config says of certificate names.
#[derive(Debug, Clone, Copy)]
pub struct Trusted<'a> {
    pub daemon_uid: u32,
    pub admin_group: &'a str,
    pub shared_uids: &'a [u32],
    pub admin_names: &'a [String],
    pub shared_names: &'a [String],
}

impl Peer {
    /// The peer of `stream`. The user's name is looked up off the async
    /// threads: behind NSS it may be a network directory.
    pub async fn of(stream: &tokio::net::UnixStream) -> std::io::Result<Self> {
        let cred = stream.peer_cred()?;
        let uid = cred.uid();
        let user = tokio::task::spawn_blocking(move || {
            User::from_uid(Uid::from_raw(uid))
                .ok()
                .flatten()
                .map(|u| u.name)
        })
        .await
        .ok()
        .flatten();
        Ok(Self::Unix {
            uid: cred.uid(),
            gid: cred.gid(),
            pid: cred.pid(),
            user,
        })
    }

    pub fn principal(&self) -> Principal {
        match self {
            Self::Unix { uid, .. } => Principal::Uid(*uid),
            Self::Tls { name, .. } => Principal::Certificate(name.clone()),
        }
    }

    /// Whether many people share this peer (`daemon.shared_uids`,
    /// `tls.shared_names`): its sessions are then told apart by place.
    pub fn is_shared(&self, trusted: &Trusted<'_>) -> bool {
        match self {
            Self::Unix { uid, .. } => trusted.shared_uids.contains(uid),
            Self::Tls { name, .. } => trusted.shared_names.iter().any(|n| n == name),
        }
    }

    /// For the audit trail: `uid 1001 (alice) pid 4242`, or `certificate
    /// kiosk-lobby-1 from 192.0.2.7:50432`.
    pub fn describe(&self) -> String {
        match self {
            Self::Unix { uid, pid, user, .. } => {
                let mut text = format!("uid {uid}");
                if let Some(user) = user {
                    text.push_str(&format!(" ({user})"));
                }
                if let Some(pid) = pid {
                    text.push_str(&format!(" pid {pid}"));
                }
                text
            }
            Self::Tls { name, address } => format!("certificate {name} from {address}"),
        }
    }

    /// On the socket: root, the daemon's own user, or a member of the
    /// admin group. Over TLS: a certificate the config names as an admin.
    pub fn may_administer(&self, trusted: &Trusted<'_>) -> bool {
        let (uid, gid) = match self {
            Self::Tls { name, .. } => return trusted.admin_names.iter().any(|n| n == name),
            Self::Unix { uid, gid, .. } => (*uid, *gid),
        };
        if uid == 0 || uid == trusted.daemon_uid {
            return true;
        }
        if trusted.admin_group.is_empty() {
            return false;
        }
        let Ok(Some(group)) = Group::from_name(trusted.admin_group) else {
            return false;
        };
        if Gid::from_raw(gid) == group.gid {
            return true;
        }
        let user = User::from_uid(Uid::from_raw(uid)).ok().flatten();
        user.is_some_and(|u| u.gid == group.gid || group.mem.contains(&u.name))
    }
}

/// A group's id by name, for the socket's owner group.
pub fn group_id(name: &str) -> Result<u32, String> {
    match Group::from_name(name) {
        Ok(Some(group)) => Ok(group.gid.as_raw()),
        Ok(None) => Err(format!("there is no group named {name:?}")),
        Err(e) => Err(format!("cannot look up the group {name:?}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(uid: u32, gid: u32) -> Peer {
        Peer::Unix {
            uid,
            gid,
            pid: Some(7),
            user: Some("alice".into()),
        }
    }

    fn trusted<'a>(admin_group: &'a str, admin_names: &'a [String]) -> Trusted<'a> {
        Trusted {
            daemon_uid: 990,
            admin_group,
            shared_uids: &[],
            admin_names,
            shared_names: &[],
        }
    }

    #[test]
    fn root_and_the_daemons_own_user_administer() {
        assert!(peer(0, 0).may_administer(&trusted("", &[])));
        assert!(peer(990, 990).may_administer(&trusted("", &[])));
        assert!(!peer(1001, 1001).may_administer(&trusted("", &[])));
        assert!(!peer(1001, 1001).may_administer(&trusted("no-such-group-here", &[])));
    }

    #[test]
    fn a_peer_whose_group_is_the_admin_group_administers() {
        // Group 0 is "root" on every Linux system.
        assert!(peer(1001, 0).may_administer(&trusted("root", &[])));
        assert_eq!(group_id("root"), Ok(0));
        assert!(group_id("no-such-group-here").is_err());
    }

    #[test]
    fn only_a_certificate_named_as_an_admin_administers_over_tls() {
        let admins = vec!["ops-laptop".to_string()];
        let kiosk = Peer::Tls {
            name: "kiosk-lobby-1".into(),
            address: "192.0.2.7:50432".parse().unwrap(),
        };
        assert!(!kiosk.may_administer(&trusted("root", &admins)));
        let ops = Peer::Tls {
            name: "ops-laptop".into(),
            address: "192.0.2.8:50432".parse().unwrap(),
        };
        assert!(ops.may_administer(&trusted("", &admins)));
        assert_eq!(
            kiosk.describe(),
            "certificate kiosk-lobby-1 from 192.0.2.7:50432"
        );
    }

    #[test]
    fn the_description_names_the_user_and_process() {
        assert_eq!(peer(1001, 1001).describe(), "uid 1001 (alice) pid 7");
    }
}
