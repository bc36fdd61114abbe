//! The daemon's socket on disk: made with its mode and group before any
//! wizard can reach it, and a note in the data directory that names it,
//! so a wizard or an operator command that finds the store held knows
//! where the daemon listens.

use super::peer::group_id;
use crate::config::DaemonSettings;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use tokio::net::UnixListener;

/// Under the data directory: the socket path of the daemon holding it.
const NOTE: &str = "daemon.socket";

/// Binds `path` with the configured mode and group. The socket is made
/// under a temporary name and renamed into place, so nobody connects to
/// it before its permissions are set.
pub fn bind(path: &Path, settings: &DaemonSettings) -> Result<UnixListener, String> {
    let shown = path.display();
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(format!(
                "{shown} exists and is not a socket; remove it or choose another path"
            ));
        }
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(format!("a daemon is already listening on {shown}"));
        }
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| format!("{shown} is not a file path"))?;
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(name);
    temporary_name.push(format!(".{}", std::process::id()));
    let temporary = parent.join(temporary_name);
    let _ = std::fs::remove_file(&temporary);
    let listener = UnixListener::bind(&temporary)
        .map_err(|e| format!("cannot make the socket {shown}: {e}"))?;
    let set_up = || -> Result<(), String> {
        let mode = settings.mode().unwrap_or(0o660);
        std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(mode))
            .map_err(|e| format!("cannot set the mode of {shown}: {e}"))?;
        if !settings.socket_group.is_empty() {
            let gid = group_id(&settings.socket_group)?;
            std::os::unix::fs::chown(&temporary, None, Some(gid)).map_err(|e| {
                format!(
                    "cannot give {shown} to group {}: {e}",
                    settings.socket_group
                )
            })?;
        }
        std::fs::rename(&temporary, path)
            .map_err(|e| format!("cannot make the socket {shown}: {e}"))
    };
    if let Err(e) = set_up() {
        let _ = std::fs::remove_file(&temporary);
        return Err(e);
    }
    Ok(listener)
}

/// Writes the note naming the socket (absolute, so it works from any
/// directory).
pub fn write_note(data_dir: &Path, socket: &Path) -> std::io::Result<()> {
    let socket = std::path::absolute(socket)?;
    let note = data_dir.join(NOTE);
    let temporary = data_dir.join(format!("{NOTE}.new"));
    std::fs::write(&temporary, socket.as_os_str().as_encoded_bytes())?;
    std::fs::rename(&temporary, note)
}

pub fn remove_note(data_dir: &Path) {
    let _ = std::fs::remove_file(data_dir.join(NOTE));
}

/// The socket of a daemon that answers there now, named by the note
/// under `data_dir`.
pub fn daemon_socket(data_dir: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(data_dir.join(NOTE)).ok()?;
    let socket = PathBuf::from(text.trim_end());
    std::os::unix::net::UnixStream::connect(&socket)
        .ok()
        .map(|_| socket)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_socket_gets_its_mode_and_a_second_daemon_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rekey.sock");
        let settings = DaemonSettings {
            socket_mode: "0600".into(),
            ..DaemonSettings::default()
        };
        let listener = bind(&path, &settings).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = bind(&path, &settings).unwrap_err();
        assert!(again.contains("already listening"), "{again}");
        drop(listener);
        // A socket left by a daemon that died is replaced.
        let _listener = bind(&path, &settings).unwrap();
    }

    #[test]
    fn a_file_in_the_way_is_not_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rekey.sock");
        std::fs::write(&path, "keep me").unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let refused = rt.block_on(async { bind(&path, &DaemonSettings::default()).unwrap_err() });
        assert!(refused.contains("is not a socket"), "{refused}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");
    }

    #[tokio::test]
    async fn the_note_names_a_live_socket_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rekey.sock");
        let listener = bind(&path, &DaemonSettings::default()).unwrap();
        write_note(dir.path(), &path).unwrap();
        assert_eq!(daemon_socket(dir.path()), Some(path.clone()));
        drop(listener);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(daemon_socket(dir.path()), None);
        remove_note(dir.path());
    }
}
