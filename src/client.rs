//! Where a person is, for the audit trail and the "password changed" notice:
//! the SSH client's address, else the terminal's name.

use std::path::PathBuf;

/// Describes this process's person: `ssh 203.0.113.9`, `tty /dev/pts/3`, or
/// `local` when neither is known.
pub fn describe_this_client() -> String {
    let ssh = std::env::var("SSH_CLIENT").ok();
    let tty = std::fs::read_link("/proc/self/fd/0").ok();
    describe(ssh.as_deref(), tty)
}

fn describe(ssh_client: Option<&str>, stdin_target: Option<PathBuf>) -> String {
    let text = if let Some(ip) = ssh_client.and_then(|s| s.split_whitespace().next()) {
        format!("ssh {ip}")
    } else if let Some(tty) = stdin_target.filter(|p| p.starts_with("/dev/")) {
        format!("tty {}", tty.display())
    } else {
        "local".to_string()
    };
    crate::recovery::text::visible(&text, 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_wins_over_the_terminal() {
        let tty = Some(PathBuf::from("/dev/pts/3"));
        assert_eq!(
            describe(Some("203.0.113.9 51234 22"), tty.clone()),
            "ssh 203.0.113.9"
        );
        assert_eq!(describe(None, tty), "tty /dev/pts/3");
        assert_eq!(describe(None, Some(PathBuf::from("pipe:[123]"))), "local");
        assert_eq!(describe(Some("a\u{1b}b 1 2"), None), "ssh ab");
    }
}
