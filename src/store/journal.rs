//! The audit journal: the trail's events, once settled, as lines of JSON
//! in append-only files beside the store (`audit/` in the data directory),
//! one file a day of events.
//!
//! A step writes its events into sled, in the transaction that makes the
//! step, so an event exists exactly when its step does. Settling moves
//! them from sled to the journal: appended, synced, and only then removed
//! from sled. sled then holds minutes of events, not the retention's 400
//! days: its memory grows with the records it holds (its page table and
//! their bookkeeping), and a long-running daemon's did. Pruning deletes
//! whole files, which frees their disk space at once, where sled's file
//! never shrinks.
//!
//! A crash between the append and the removal leaves events in both; the
//! journal's copy counts, and the next settling drops sled's. A crash in
//! the middle of an append leaves a torn last line, whose events are still
//! in sled: it is cut off when the journal is opened.
//!
//! Written by hand: the format is a line per event, and what matters
//! (sync before removal, whole-file pruning, a torn tail cut) is a few
//! dozen lines that no logging crate promises.

use super::audit::AuditEvent;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

const DAY_MS: u64 = 24 * 3600 * 1000;
/// A busy day's file is cut here: pruning and reading go a file at a time.
const MAX_FILE_BYTES: u64 = 64 << 20;
const SUFFIX: &str = ".jsonl";

/// One file of the journal: named by its first event's number.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    pub(crate) path: PathBuf,
    pub(crate) first_seq: u64,
}

/// A line of a file: an event, or what could not be read as one.
pub(crate) enum Line {
    Event(Box<AuditEvent>),
    Unreadable,
}

/// The file being appended to.
struct Current {
    file: File,
    path: PathBuf,
    day: u64,
    len: u64,
}

pub(crate) struct Journal {
    dir: PathBuf,
    current: Option<Current>,
    /// The number of the last event in the journal (0 if none).
    last_seq: u64,
}

impl Journal {
    /// Opens the journal in `dir` (made if missing, private), cutting a
    /// torn last line off.
    pub(crate) fn open(dir: &Path) -> std::io::Result<Self> {
        super::create_private_dir(dir)?;
        let mut journal = Self {
            dir: dir.to_path_buf(),
            current: None,
            last_seq: 0,
        };
        let segments = journal.segments()?;
        for segment in segments.iter().rev() {
            let (good_len, last) = complete_lines(&segment.path)?;
            let len = std::fs::metadata(&segment.path)?.len();
            if good_len < len {
                let file = OpenOptions::new().write(true).open(&segment.path)?;
                file.set_len(good_len)?;
                file.sync_all()?;
            }
            match last {
                Some(event) => {
                    journal.last_seq = event.seq;
                    break;
                }
                // Nothing complete in it: only a torn first line.
                None => std::fs::remove_file(&segment.path)?,
            }
        }
        Ok(journal)
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// For an empty journal: the trail goes on after event `seq` (pruned
    /// before there was a journal), so the next event appended is `seq + 1`.
    pub(crate) fn continue_after(&mut self, seq: u64) {
        if self.last_seq == 0 && self.current.is_none() {
            self.last_seq = seq;
        }
    }

    /// The files, oldest first.
    pub(crate) fn segments(&self) -> std::io::Result<Vec<Segment>> {
        let mut segments = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(first_seq) = name
                .to_str()
                .and_then(|n| n.strip_suffix(SUFFIX))
                .filter(|n| n.len() == 20 && n.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|n| n.parse().ok())
            else {
                continue;
            };
            segments.push(Segment {
                path: entry.path(),
                first_seq,
            });
        }
        segments.sort_by_key(|s| s.first_seq);
        Ok(segments)
    }

    /// Appends `events` (numbered on from the last one) and syncs them to
    /// the disk. On failure the journal is as it was.
    pub(crate) fn append(&mut self, events: &[AuditEvent]) -> std::io::Result<()> {
        let mut written: Vec<(PathBuf, u64, bool)> = Vec::new();
        let result = self.append_all(events, &mut written);
        if result.is_err() {
            // Back to where each file was; a file begun here goes.
            for (path, len, fresh) in written.iter().rev() {
                if *fresh {
                    let _ = std::fs::remove_file(path);
                } else if let Ok(file) = OpenOptions::new().write(true).open(path) {
                    let _ = file.set_len(*len);
                }
            }
            self.current = None;
            return result;
        }
        if let Some(last) = events.last() {
            self.last_seq = last.seq;
        }
        Ok(())
    }

    fn append_all(
        &mut self,
        events: &[AuditEvent],
        written: &mut Vec<(PathBuf, u64, bool)>,
    ) -> std::io::Result<()> {
        for (expected, event) in (self.last_seq + 1..).zip(events) {
            if event.seq != expected {
                return Err(std::io::Error::other(format!(
                    "event {} cannot follow event {} in the journal",
                    event.seq,
                    expected - 1
                )));
            }
            let day = event.time_ms / DAY_MS;
            let cut = self
                .current
                .as_ref()
                .is_none_or(|c| c.day != day || c.len >= MAX_FILE_BYTES);
            if cut {
                self.sync_current()?;
                self.current = Some(self.begin(event.seq, day, written)?);
            }
            let Some(current) = self.current.as_mut() else {
                return Err(std::io::Error::other("no journal file to append to"));
            };
            if !written.iter().any(|(p, _, _)| p == &current.path) {
                written.push((current.path.clone(), current.len, false));
            }
            let mut line = serde_json::to_vec(event).map_err(std::io::Error::other)?;
            line.push(b'\n');
            current.file.write_all(&line)?;
            current.len += line.len() as u64;
        }
        self.sync_current()
    }

    fn sync_current(&self) -> std::io::Result<()> {
        match &self.current {
            Some(current) => current.file.sync_data(),
            None => Ok(()),
        }
    }

    /// The file to append to for an event of `day`: the newest one if it
    /// is that day's and has room, else a new one named by `first_seq`.
    fn begin(
        &self,
        first_seq: u64,
        day: u64,
        written: &mut Vec<(PathBuf, u64, bool)>,
    ) -> std::io::Result<Current> {
        if self.current.is_none()
            && let Some(newest) = self.segments()?.pop()
        {
            let (len, last) = complete_lines(&newest.path)?;
            if last.is_some_and(|e| e.time_ms / DAY_MS == day) && len < MAX_FILE_BYTES {
                let file = OpenOptions::new().append(true).open(&newest.path)?;
                return Ok(Current {
                    file,
                    path: newest.path,
                    day,
                    len,
                });
            }
        }
        let path = self.dir.join(format!("{first_seq:020}{SUFFIX}"));
        let file = {
            use std::os::unix::fs::OpenOptionsExt;
            OpenOptions::new()
                .append(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)?
        };
        written.push((path.clone(), 0, true));
        // The new name must survive a crash as the lines in it do.
        File::open(&self.dir)?.sync_all()?;
        Ok(Current {
            file,
            path,
            day,
            len: 0,
        })
    }

    /// Removes a file whose events were all pruned.
    pub(crate) fn remove(&mut self, segment: &Segment) -> std::io::Result<()> {
        if self
            .current
            .as_ref()
            .is_some_and(|c| c.path == segment.path)
        {
            self.current = None;
        }
        std::fs::remove_file(&segment.path)?;
        File::open(&self.dir)?.sync_all()
    }
}

/// Calls `each` with every line of `segment`, in order; stops early when
/// it returns false.
pub(crate) fn read_segment(
    segment: &Segment,
    mut each: impl FnMut(Line) -> bool,
) -> std::io::Result<()> {
    let reader = BufReader::new(File::open(&segment.path)?);
    for line in reader.split(b'\n') {
        let line = line?;
        let parsed = match serde_json::from_slice::<AuditEvent>(&line) {
            Ok(event) => Line::Event(Box::new(event)),
            Err(_) => Line::Unreadable,
        };
        if !each(parsed) {
            break;
        }
    }
    Ok(())
}

/// How many bytes of `path` are whole lines that read as events, and the
/// last such event. A line after an unreadable one still counts: only a
/// torn end (no newline, or not an event, at the very end) is cut.
fn complete_lines(path: &Path) -> std::io::Result<(u64, Option<AuditEvent>)> {
    let bytes = std::fs::read(path)?;
    let mut good = 0;
    let mut last = None;
    let mut start = 0;
    while let Some(end) = bytes[start..].iter().position(|&b| b == b'\n') {
        let line = &bytes[start..start + end];
        if let Ok(event) = serde_json::from_slice::<AuditEvent>(line) {
            last = Some(event);
            good = start + end + 1;
        } else if bytes[start + end + 1..].contains(&b'\n') {
            // Not the end: an edited line, for verify to report.
            good = start + end + 1;
        }
        start += end + 1;
    }
    Ok((good as u64, last))
}
