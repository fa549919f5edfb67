//! A tiny gzip writer of our own, so synthetic layers are byte-identical on every machine
//! and every version of every compression library.
//!
//! A general compressor's output depends on its version and backend (flate2's miniz_oxide
//! and zlib backends differ, and Cargo feature unification can switch one for the other),
//! which would change layer digests. This writer emits only two kinds of deflate block
//! (RFC 1951): fixed-Huffman blocks whose only matches are runs of one repeated byte
//! (enough to squeeze tar headers and zero fill), and stored blocks for the incompressible
//! padding, whose size is then known exactly. The gzip header (RFC 1952) has no name, a
//! zero MTIME, XFL 0 and OS 255 ("unknown"); an optional FEXTRA field of zeros lets a
//! layer reach a requested size to the byte.

/// The gzip header's OS byte: 255, "unknown", so nothing about the building machine leaks in.
const OS_UNKNOWN: u8 = 255;

/// The FEXTRA subfield id, `PS` for pullsim, as RFC 1952 2.3.1.1 asks subfields to carry.
const EXTRA_SUBFIELD_ID: [u8; 2] = *b"PS";

/// The smallest FEXTRA field: XLEN (2 bytes) and one subfield header (4 bytes).
pub(crate) const EXTRA_OVERHEAD_BYTES: u64 = 6;

/// The largest FEXTRA field: XLEN is 16 bits, and the subfield header sits inside it.
pub(crate) const EXTRA_MAX_BYTES: u64 = 2 + 65_535;

/// The gzip header without FEXTRA (10 bytes) plus the trailer (CRC32 and ISIZE, 8 bytes).
pub(crate) const FRAME_BYTES: u64 = 18;

/// The largest stored block (RFC 1951 3.2.4: LEN is 16 bits).
pub(crate) const STORED_BLOCK_MAX: usize = 65_535;

/// Deflate's bit order: values are packed from the least significant bit of each byte.
#[derive(Debug, Default)]
pub(crate) struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    count: u32,
}

impl BitWriter {
    /// An empty writer whose buffer can hold `capacity` bytes without growing.
    pub(crate) fn with_capacity(capacity: usize) -> BitWriter {
        BitWriter {
            out: Vec::with_capacity(capacity),
            acc: 0,
            count: 0,
        }
    }

    /// Appends the low `count` bits of `value`, least significant first.
    fn put(&mut self, value: u32, count: u32) {
        self.acc |= u64::from(value) << self.count;
        self.count += count;
        while self.count >= 8 {
            self.out.push((self.acc & 0xff) as u8);
            self.acc >>= 8;
            self.count -= 8;
        }
    }

    /// Appends a Huffman code, which deflate packs most significant bit first.
    fn put_code(&mut self, code: u32, length: u32) {
        let reversed = code.reverse_bits() >> (32 - length);
        self.put(reversed, length);
    }

    /// Pads with zero bits to the next byte boundary.
    fn align(&mut self) {
        if self.count > 0 {
            self.put(0, 8 - self.count);
        }
    }

    /// Bytes written so far, counting a partly filled byte as whole.
    pub(crate) fn len_bytes(&self) -> usize {
        self.out.len() + usize::from(self.count > 0)
    }

    /// Appends raw bytes; the writer must be byte-aligned.
    fn put_bytes(&mut self, bytes: &[u8]) {
        debug_assert_eq!(self.count, 0, "raw bytes need byte alignment");
        self.out.extend_from_slice(bytes);
    }

    /// The finished bytes (a partly filled last byte is padded with zeros).
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.align();
        self.out
    }

    /// A fixed-Huffman block (BTYPE 01) holding `data`, with runs of a repeated byte coded
    /// as matches at distance 1 and everything else as literals.
    pub(crate) fn fixed_block(&mut self, data: &[u8], last: bool) {
        self.put(u32::from(last), 1);
        self.put(1, 2);
        let mut i = 0;
        while i < data.len() {
            let run = if i > 0 {
                let previous = data[i - 1];
                data[i..]
                    .iter()
                    .take(258)
                    .take_while(|&&b| b == previous)
                    .count()
            } else {
                0
            };
            if run >= 3 {
                self.put_length(run);
                // Distance 1 is distance code 0: five zero bits, no extra bits.
                self.put_code(0, 5);
                i += run;
            } else {
                self.put_literal(data[i]);
                i += 1;
            }
        }
        self.put_code(0, 7); // end of block, symbol 256
    }

    /// Stored blocks (BTYPE 00) holding `data` verbatim, at most 65,535 bytes each; `last`
    /// marks the final one as the stream's end.
    pub(crate) fn stored_blocks(&mut self, data: &[u8], last: bool) {
        let mut chunks = data.chunks(STORED_BLOCK_MAX).peekable();
        if chunks.peek().is_none() {
            self.stored_block(&[], last);
        }
        while let Some(chunk) = chunks.next() {
            self.stored_block(chunk, last && chunks.peek().is_none());
        }
    }

    /// Non-final stored blocks holding `len` bytes that `fill` writes in place, chunk by
    /// chunk in order, so large padding is generated straight into the output buffer.
    pub(crate) fn stored_blocks_filled(&mut self, len: usize, mut fill: impl FnMut(&mut [u8])) {
        let mut remaining = len;
        loop {
            let chunk = remaining.min(STORED_BLOCK_MAX);
            self.put(0, 3);
            self.align();
            let chunk_len = u16::try_from(chunk).unwrap_or(u16::MAX);
            self.put_bytes(&chunk_len.to_le_bytes());
            self.put_bytes(&(!chunk_len).to_le_bytes());
            let start = self.out.len();
            self.out.resize(start + chunk, 0);
            fill(&mut self.out[start..]);
            remaining -= chunk;
            if remaining == 0 {
                break;
            }
        }
    }

    fn stored_block(&mut self, chunk: &[u8], last: bool) {
        self.put(u32::from(last), 1);
        self.put(0, 2);
        self.align();
        let len = u16::try_from(chunk.len()).unwrap_or(u16::MAX);
        self.put_bytes(&len.to_le_bytes());
        self.put_bytes(&(!len).to_le_bytes());
        self.put_bytes(chunk);
    }

    /// A literal byte in the fixed code (RFC 1951 3.2.6).
    fn put_literal(&mut self, byte: u8) {
        let byte = u32::from(byte);
        if byte < 144 {
            self.put_code(0x30 + byte, 8);
        } else {
            self.put_code(0x190 + (byte - 144), 9);
        }
    }

    /// A match length (3..=258) as its length symbol and extra bits in the fixed code.
    fn put_length(&mut self, length: usize) {
        let length = u32::try_from(length).unwrap_or(258).clamp(3, 258);
        let (symbol, base, extra_bits) = length_symbol(length);
        if symbol < 280 {
            self.put_code(symbol - 256, 7);
        } else {
            self.put_code(0xc0 + (symbol - 280), 8);
        }
        if extra_bits > 0 {
            self.put(length - base, extra_bits);
        }
    }
}

/// The length symbol, its base length and its count of extra bits (RFC 1951 3.2.5).
fn length_symbol(length: u32) -> (u32, u32, u32) {
    const TABLE: [(u32, u32); 29] = [
        (3, 0),
        (4, 0),
        (5, 0),
        (6, 0),
        (7, 0),
        (8, 0),
        (9, 0),
        (10, 0),
        (11, 1),
        (13, 1),
        (15, 1),
        (17, 1),
        (19, 2),
        (23, 2),
        (27, 2),
        (31, 2),
        (35, 3),
        (43, 3),
        (51, 3),
        (59, 3),
        (67, 4),
        (83, 4),
        (99, 4),
        (115, 4),
        (131, 5),
        (163, 5),
        (195, 5),
        (227, 5),
        (258, 0),
    ];
    if length == 258 {
        return (285, 258, 0);
    }
    let index = TABLE
        .iter()
        .rposition(|&(base, _)| base <= length)
        .unwrap_or(0);
    let (base, extra) = TABLE[index];
    (257 + index as u32, base, extra)
}

/// The gzip header: no name, MTIME 0, XFL 0, OS unknown, and an FEXTRA field of
/// `extra_bytes` in total (0, or from [`EXTRA_OVERHEAD_BYTES`] to [`EXTRA_MAX_BYTES`]).
pub(crate) fn header(extra_bytes: u64) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, OS_UNKNOWN];
    if extra_bytes >= EXTRA_OVERHEAD_BYTES {
        out[3] = 0x04; // FLG.FEXTRA
        let data_len = u16::try_from(extra_bytes - EXTRA_OVERHEAD_BYTES).unwrap_or(u16::MAX - 4);
        let xlen = data_len.saturating_add(4);
        out.extend_from_slice(&xlen.to_le_bytes());
        out.extend_from_slice(&EXTRA_SUBFIELD_ID);
        out.extend_from_slice(&data_len.to_le_bytes());
        out.resize(out.len() + usize::from(data_len), 0);
    }
    out
}

/// The gzip trailer: CRC32 and the uncompressed length modulo 2^32, little-endian.
pub(crate) fn trailer(crc: u32, uncompressed_bytes: u64) -> [u8; 8] {
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&crc.to_le_bytes());
    out[4..].copy_from_slice(&((uncompressed_bytes & 0xffff_ffff) as u32).to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .expect("valid gzip");
        out
    }

    fn gzip(parts: &[(&[u8], bool)], extra: u64) -> Vec<u8> {
        let mut bits = BitWriter::default();
        let mut all = Vec::new();
        let count = parts.len();
        for (index, &(data, stored)) in parts.iter().enumerate() {
            let last = index + 1 == count;
            if stored {
                bits.stored_blocks(data, last);
            } else {
                bits.fixed_block(data, last);
            }
            all.extend_from_slice(data);
        }
        let mut crc = crc32fast::Hasher::new();
        crc.update(&all);
        let mut out = header(extra);
        out.extend(bits.finish());
        out.extend_from_slice(&trailer(crc.finalize(), all.len() as u64));
        out
    }

    #[test]
    fn fixed_blocks_round_trip_through_flate2() {
        let mut data = b"hello from linux/arm64/v8\n".to_vec();
        data.extend(std::iter::repeat_n(0u8, 1500));
        data.extend((0..=255u8).cycle().take(700));
        data.extend(std::iter::repeat_n(b'x', 259));
        for extra in [0, 6, 100] {
            let gz = gzip(&[(&data, false)], extra);
            assert_eq!(gunzip(&gz), data, "extra {extra}");
        }
        // Runs of zeros shrink to a few bits each.
        assert!(gzip(&[(&[0u8; 4096], false)], 0).len() < 60);
    }

    #[test]
    fn mixed_fixed_and_stored_blocks_round_trip() {
        let head = vec![7u8; 900];
        let body: Vec<u8> = (0..200_000u32).map(|i| (i * 31 % 251) as u8).collect();
        let tail = vec![0u8; 1024];
        let gz = gzip(&[(&head, false), (&body, true), (&tail, false)], 0);
        let mut want = head.clone();
        want.extend(&body);
        want.extend(&tail);
        assert_eq!(gunzip(&gz), want);
    }

    #[test]
    fn every_match_length_encodes() {
        for length in 3..=258 {
            let data = vec![9u8; length + 1];
            assert_eq!(gunzip(&gzip(&[(&data, false)], 0)), data, "run {length}");
        }
    }
}
