//! What keeps a person's password and code out of places they could be
//! read from later: no core dump, no reading of this process's memory by
//! other processes of the same user (ptrace, /proc/PID/mem), and every
//! freed heap buffer wiped (the binary's allocator, see `main.rs`).

/// Marks this process non-dumpable and sets its core size to 0. A
/// non-dumpable process gives no core on a crash and its memory cannot be
/// read by other processes of its user; root still can.
pub fn keep_out_of_dumps() -> Result<(), String> {
    nix::sys::prctl::set_dumpable(false)
        .map_err(|e| format!("cannot make the process non-dumpable: {e}"))?;
    nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_CORE, 0, 0)
        .map_err(|e| format!("cannot turn core dumps off: {e}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_process_is_left_non_dumpable_without_cores() {
        // In a child, so the test process itself stays as it was.
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "hardening::tests::child", "--ignored"])
            .status()
            .unwrap();
        assert!(status.success());
    }

    #[test]
    #[ignore = "the child process of the_process_is_left_non_dumpable_without_cores"]
    fn child() {
        super::keep_out_of_dumps().unwrap();
        assert!(!nix::sys::prctl::get_dumpable().unwrap());
        let (soft, hard) =
            nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_CORE).unwrap();
        assert_eq!((soft, hard), (0, 0));
    }
}
