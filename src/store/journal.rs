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
//! How far the journal is known to be on disk (the file, its length and
//! the last event's number: the acknowledged point) is written into sled
//! in the transaction that removes the moved events. At open, whatever
//! lies past that point (a torn line, a batch whose sync a power cut
//! interrupted, holes and all) is cut: sled still holds those events, and
//! they are appended again. A store from before the acknowledged point was
//! kept has only a torn last line (no newline) cut.
//!
//! Written by hand: the format is a line per event, and what matters
//! (sync before removal, whole-file pruning, a torn tail cut) is a few
//! dozen lines that no logging crate promises.

use super::audit::AuditEvent;
use serde::{Deserialize, Serialize};
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
    first_seq: u64,
    day: u64,
    len: u64,
}

/// How far the journal is on disk, as sled records it with each settling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Acknowledged {
    /// The file appended to: named by its first event's number.
    pub(crate) file: u64,
    /// Its length once the events were synced.
    pub(crate) len: u64,
    /// The last event in the journal.
    pub(crate) last_seq: u64,
}

pub(crate) struct Journal {
    dir: PathBuf,
    current: Option<Current>,
    /// The number of the last event in the journal (0 if none).
    last_seq: u64,
    /// An append failed and could not be undone: no more appends until
    /// the store is opened again, which cuts back to the acknowledged point.
    broken: Option<String>,
}

impl Journal {
    /// Opens the journal in `dir` (made if missing, private), cut back to
    /// `acknowledged`, the point sled recorded last; without one, only a
    /// torn last line is cut.
    pub(crate) fn open(dir: &Path, acknowledged: Option<Acknowledged>) -> std::io::Result<Self> {
        super::create_private_dir(dir)?;
        let mut journal = Self {
            dir: dir.to_path_buf(),
            current: None,
            last_seq: 0,
            broken: None,
        };
        let segments = journal.segments()?;
        if let Some(ack) = acknowledged {
            for segment in &segments {
                if segment.first_seq > ack.file {
                    // Begun after the last acknowledged settling: its
                    // events are still in sled.
                    std::fs::remove_file(&segment.path)?;
                } else if segment.first_seq == ack.file
                    && std::fs::metadata(&segment.path)?.len() > ack.len
                {
                    cut(&segment.path, ack.len)?;
                }
            }
            File::open(dir)?.sync_all()?;
            journal.last_seq = ack.last_seq;
            return Ok(journal);
        }
        // A store from before the acknowledged point: a line torn by a
        // crash has no newline; a bad line with one is left for verify.
        for segment in segments.iter().rev() {
            let (whole_len, last) = whole_lines(&segment.path)?;
            if whole_len < std::fs::metadata(&segment.path)?.len() {
                cut(&segment.path, whole_len)?;
            }
            if let Some(event) = last {
                journal.last_seq = event.seq;
                break;
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
    /// the disk; returns the point reached, for sled to record. On failure
    /// the journal is as it was.
    pub(crate) fn append(&mut self, events: &[AuditEvent]) -> std::io::Result<Acknowledged> {
        if let Some(why) = &self.broken {
            return Err(std::io::Error::other(why.clone()));
        }
        let mut written: Vec<(PathBuf, u64, bool)> = Vec::new();
        let result = self.append_all(events, &mut written);
        if let Err(e) = result {
            // Back to where each file was; a file begun here goes.
            for (path, len, fresh) in written.iter().rev() {
                let undone = if *fresh {
                    std::fs::remove_file(path)
                } else {
                    cut(path, *len)
                };
                if let Err(undo) = undone {
                    self.broken = Some(format!(
                        "an append failed ({e}) and could not be undone ({undo}); the journal \
                         takes events again once the store is opened again"
                    ));
                }
            }
            self.current = None;
            return Err(e);
        }
        if let Some(last) = events.last() {
            self.last_seq = last.seq;
        }
        let (file, len) = self
            .current
            .as_ref()
            .map_or((0, 0), |c| (c.first_seq, c.len));
        Ok(Acknowledged {
            file,
            len,
            last_seq: self.last_seq,
        })
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
            let len = std::fs::metadata(&newest.path)?.len();
            let last = last_event(&newest.path)?;
            if last.is_some_and(|e| e.time_ms / DAY_MS == day) && len < MAX_FILE_BYTES {
                let file = OpenOptions::new().append(true).open(&newest.path)?;
                return Ok(Current {
                    file,
                    path: newest.path,
                    first_seq: newest.first_seq,
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
            first_seq,
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

/// Cuts `path` to `len` bytes, on disk.
fn cut(path: &Path, len: u64) -> std::io::Result<()> {
    let file = OpenOptions::new().write(true).open(path)?;
    file.set_len(len)?;
    file.sync_all()
}

/// The last line of `path` that reads as an event, read a line at a time.
pub(crate) fn last_event(path: &Path) -> std::io::Result<Option<AuditEvent>> {
    let mut last = None;
    for line in BufReader::new(File::open(path)?).split(b'\n') {
        if let Ok(event) = serde_json::from_slice::<AuditEvent>(&line?) {
            last = Some(event);
        }
    }
    Ok(last)
}

/// How many bytes of `path` end in a newline, and the last line that reads
/// as an event, read a line at a time.
fn whole_lines(path: &Path) -> std::io::Result<(u64, Option<AuditEvent>)> {
    let mut reader = BufReader::new(File::open(path)?);
    let (mut whole, mut last) = (0u64, None);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 || line.last() != Some(&b'\n') {
            return Ok((whole, last));
        }
        whole += n as u64;
        if let Ok(event) = serde_json::from_slice::<AuditEvent>(&line[..n - 1]) {
            last = Some(event);
        }
    }
}
