//! Who is at the other end of a connection, as the kernel says
//! (SO_PEERCRED), not as the wizard claims.

use nix::unistd::{Gid, Group, Uid, User};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub uid: u32,
    pub gid: u32,
    pub pid: Option<i32>,
    /// The user's name, when the system knows it.
    pub user: Option<String>,
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
        Ok(Self {
            uid: cred.uid(),
            gid: cred.gid(),
            pid: cred.pid(),
            user,
        })
    }

    /// For the audit trail: `uid 1001 (alice) pid 4242`.
    pub fn describe(&self) -> String {
        let mut text = format!("uid {}", self.uid);
        if let Some(user) = &self.user {
            text.push_str(&format!(" ({user})"));
        }
        if let Some(pid) = self.pid {
            text.push_str(&format!(" pid {pid}"));
        }
        text
    }

    /// Root, the daemon's own user, or a member of `admin_group`.
    pub fn may_administer(&self, daemon_uid: u32, admin_group: &str) -> bool {
        if self.uid == 0 || self.uid == daemon_uid {
            return true;
        }
        if admin_group.is_empty() {
            return false;
        }
        let Ok(Some(group)) = Group::from_name(admin_group) else {
            return false;
        };
        if Gid::from_raw(self.gid) == group.gid {
            return true;
        }
        let user = User::from_uid(Uid::from_raw(self.uid)).ok().flatten();
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
        Peer {
            uid,
            gid,
            pid: Some(7),
            user: Some("alice".into()),
        }
    }

    #[test]
    fn root_and_the_daemons_own_user_administer() {
        assert!(peer(0, 0).may_administer(990, ""));
        assert!(peer(990, 990).may_administer(990, ""));
        assert!(!peer(1001, 1001).may_administer(990, ""));
        assert!(!peer(1001, 1001).may_administer(990, "no-such-group-here"));
    }

    #[test]
    fn a_peer_whose_group_is_the_admin_group_administers() {
        // Group 0 is "root" on every Linux system.
        assert!(peer(1001, 0).may_administer(990, "root"));
        assert_eq!(group_id("root"), Ok(0));
        assert!(group_id("no-such-group-here").is_err());
    }

    #[test]
    fn the_description_names_the_user_and_process() {
        assert_eq!(peer(1001, 1001).describe(), "uid 1001 (alice) pid 7");
    }
}
