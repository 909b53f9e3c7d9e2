//! The stored bytes as a stream of little-endian words, read ahead on a second thread.
//!
//! [`pump`] reads the source into a few reused chunks of [`CHUNK`] bytes and hands them over
//! a bounded channel; [`Words`] takes words from them on the decoding thread and hands each
//! chunk back once consumed. The bytes are thus copied once, into a buffer that stays in the
//! cache, and no buffer of the whole codeword is ever allocated (for a large codeword, the
//! page faults of a fresh buffer cost as much as its decoding).

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError};

use super::tree::{DecodeError, ELEM};

/// Bytes per chunk (a multiple of [`ELEM`]).
pub(super) const CHUNK: usize = 1 << 18;

/// Chunks in flight between [`pump`] and [`Words`].
pub(super) const CHUNKS: usize = 4;

/// Reads `source` to its end in chunks of [`CHUNK`] bytes (each full but the last), sends them
/// on `full`, and reuses the chunks that come back on `spare`. A read error is sent and ends
/// the pump. When the receiving side is gone (decoding stopped), the rest of `source` is
/// still read, and discarded: a caller that checks the whole source (a checksum in a wrapping
/// reader) sees all of it either way.
pub(super) fn pump<R: Read>(
    mut source: R,
    full: SyncSender<io::Result<Vec<u8>>>,
    spare: Receiver<Vec<u8>>,
) {
    let mut made = 0;
    loop {
        let next = match spare.try_recv() {
            Ok(chunk) => Some(chunk),
            Err(TryRecvError::Empty) if made < CHUNKS => {
                made += 1;
                Some(vec![0u8; CHUNK])
            }
            Err(TryRecvError::Empty) => spare.recv().ok(),
            Err(TryRecvError::Disconnected) => None,
        };
        let Some(mut chunk) = next else {
            drain(&mut source);
            return;
        };
        chunk.resize(CHUNK, 0);
        let len = match fill(&mut source, &mut chunk) {
            Ok(len) => len,
            Err(e) => {
                let _ = full.send(Err(e));
                return;
            }
        };
        chunk.truncate(len);
        if len > 0 && full.send(Ok(chunk)).is_err() {
            drain(&mut source);
            return;
        }
        if len < CHUNK {
            return;
        }
    }
}

/// Reads until `buf` is full or the source ends (retrying interrupted reads); the bytes read.
pub fn fill<R: Read>(source: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut len = 0;
    while len < buf.len() {
        match source.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(len)
}

/// Reads the rest of `source`, discarding it (errors end it: nothing is left to report to).
fn drain<R: Read>(source: &mut R) {
    let _ = io::copy(source, &mut io::sink());
}

/// The decoding side: words taken from the chunks [`pump`] sends.
pub(super) struct Words {
    full: Receiver<io::Result<Vec<u8>>>,
    spare: SyncSender<Vec<u8>>,
    chunk: Vec<u8>,
    at: usize,
    /// Bytes of the chunks before `chunk`.
    before: u64,
}

impl Words {
    pub(super) fn new(full: Receiver<io::Result<Vec<u8>>>, spare: SyncSender<Vec<u8>>) -> Self {
        Self {
            full,
            spare,
            chunk: Vec::new(),
            at: 0,
            before: 0,
        }
    }

    /// Bytes taken so far.
    pub(super) fn taken(&self) -> u64 {
        self.before + self.at as u64
    }

    /// The next little-endian word.
    #[inline(always)]
    pub(super) fn word(&mut self) -> Result<u64, DecodeError> {
        match self.chunk.get(self.at..self.at + ELEM) {
            Some(bytes) => {
                self.at += ELEM;
                let mut w = [0u8; ELEM];
                w.copy_from_slice(bytes);
                Ok(u64::from_le_bytes(w))
            }
            None => self.word_across(),
        }
    }

    /// A word that starts at the end of the current chunk.
    #[cold]
    fn word_across(&mut self) -> Result<u64, DecodeError> {
        let mut w = [0u8; ELEM];
        let mut got = 0;
        while got < ELEM {
            if self.at < self.chunk.len() {
                let n = (ELEM - got).min(self.chunk.len() - self.at);
                w[got..got + n].copy_from_slice(&self.chunk[self.at..self.at + n]);
                self.at += n;
                got += n;
            } else if !self.next_chunk()? {
                return Err(DecodeError(format!(
                    "truncated: the bytes end after {}",
                    self.taken()
                )));
            }
        }
        Ok(u64::from_le_bytes(w))
    }

    /// Moves to the next chunk, handing the current one back; `false` at the end.
    fn next_chunk(&mut self) -> Result<bool, DecodeError> {
        self.before += self.chunk.len() as u64;
        self.at = 0;
        let done = std::mem::take(&mut self.chunk);
        if done.capacity() > 0 {
            // The pump may have ended; the chunk is then simply dropped.
            let _ = self.spare.try_send(done);
        }
        match self.full.recv() {
            Ok(Ok(chunk)) => {
                self.chunk = chunk;
                Ok(true)
            }
            Ok(Err(e)) => Err(DecodeError(format!("cannot read: {e}"))),
            Err(_) => Ok(false),
        }
    }

    /// Whether every byte has been taken (waits for the source's end).
    pub(super) fn at_end(&mut self) -> Result<bool, DecodeError> {
        loop {
            if self.at < self.chunk.len() {
                return Ok(false);
            }
            if !self.next_chunk()? {
                return Ok(true);
            }
        }
    }
}
