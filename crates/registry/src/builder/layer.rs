//! One synthetic layer: a real tar holding `hello.txt` (naming the image, platform, build
//! and layer) and, when the requested size calls for it, a padding file of deterministic
//! incompressible bytes, wrapped in our own gzip so that the compressed size is the
//! requested one to the byte whenever it is at least the smallest such layer.
//!
//! Tar headers are fixed: ustar, mode 0644, uid and gid 0, no user or group names, mtime 0.
//! The padding bytes come from a SplitMix64 stream seeded with the hash of `hello.txt`, so
//! different images get different padding while the same description always gets the same.

use bytes::Bytes;
use pullsim_model::Digest;
use sha2::Digest as _;

use super::gzip::{
    self, BitWriter, EXTRA_MAX_BYTES, EXTRA_OVERHEAD_BYTES, FRAME_BYTES, STORED_BLOCK_MAX,
};

/// The largest layer the builder makes (2 GiB): layers are built in memory, and a
/// simulated registry needs sizes, not disk-filling blobs.
pub const LAYER_MAX_BYTES: u64 = 2 << 30;

/// The name of the text file every layer holds.
pub(crate) const HELLO_NAME: &str = "hello.txt";

/// The name of the padding file.
pub(crate) const PADDING_NAME: &str = "pullsim-padding.bin";

const BLOCK: usize = 512;

/// A built layer: its gzip bytes, their digest, and the digest of the tar inside
/// (the config's `diff_id`).
#[derive(Debug, Clone)]
pub(crate) struct Layer {
    pub(crate) blob: Bytes,
    pub(crate) digest: Digest,
    pub(crate) diff_id: Digest,
}

/// Builds the layer holding `hello` as `hello.txt`, as close to `target_bytes` compressed
/// bytes as possible: exactly that many unless the target is below the smallest layer
/// with this text (about 150 bytes) or within 5 bytes above it.
pub(crate) fn build_layer(hello: &str, target_bytes: u64) -> Layer {
    let target_bytes = target_bytes.min(LAYER_MAX_BYTES);
    let head = hello_entry(hello.as_bytes());
    let plan = plan(&head, target_bytes);
    let seed = seed_of(hello.as_bytes());
    encode(&head, plan, seed)
}

/// How to reach the target: the padding file's size (none when zero) and the FEXTRA bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Plan {
    padding_bytes: u64,
    extra_bytes: u64,
}

/// Chooses padding and extra bytes: without a padding file when the target is small,
/// otherwise a padding size that leaves a gap the FEXTRA field can fill exactly.
fn plan(head: &[u8], target: u64) -> Plan {
    let bare = size_without_padding(head);
    let bare_plan = |target: u64| {
        let gap = target.saturating_sub(bare);
        let extra_bytes = if (EXTRA_OVERHEAD_BYTES..=EXTRA_MAX_BYTES).contains(&gap) {
            gap
        } else {
            0
        };
        Plan {
            padding_bytes: 0,
            extra_bytes,
        }
    };
    if target < bare + 2 * BLOCK as u64 {
        return bare_plan(target);
    }
    // The size grows by one byte per padding byte (plus 5 per 64 KiB block), so a couple
    // of steps land the gap in the FEXTRA field's range; aim for a small gap of 64 bytes.
    let mut padding = target - bare - BLOCK as u64;
    for _ in 0..16 {
        let size = size_with_padding(head, padding);
        let gap = i128::from(target) - i128::from(size);
        if gap == 0 {
            return Plan {
                padding_bytes: padding,
                extra_bytes: 0,
            };
        }
        if (i128::from(EXTRA_OVERHEAD_BYTES)..=4096).contains(&gap) {
            return Plan {
                padding_bytes: padding,
                extra_bytes: gap as u64,
            };
        }
        let next = i128::from(padding) + gap - 64;
        padding = u64::try_from(next.max(1)).unwrap_or(1);
    }
    bare_plan(target)
}

/// The compressed size of a layer without a padding file and without FEXTRA.
fn size_without_padding(head: &[u8]) -> u64 {
    let mut bits = BitWriter::default();
    bits.fixed_block(&[head, &[0u8; 2 * BLOCK][..]].concat(), true);
    FRAME_BYTES + bits.len_bytes() as u64
}

/// The compressed size of a layer with `padding` bytes of padding file, without FEXTRA.
fn size_with_padding(head: &[u8], padding: u64) -> u64 {
    let (first, last) = skeleton(head, padding);
    let mut bits = BitWriter::default();
    bits.fixed_block(&first, false);
    bits.stored_blocks(&[], false);
    // The empty stored block above is 5 bytes (3 header bits, alignment, LEN and NLEN);
    // each real block of padding is the same 5 bytes plus its data.
    let blocks = padding.div_ceil(STORED_BLOCK_MAX as u64).max(1);
    let seg1_and_first_header = bits.len_bytes() as u64;
    let stored = padding + 5 * (blocks - 1);
    let mut tail = BitWriter::default();
    tail.fixed_block(&last, true);
    FRAME_BYTES + seg1_and_first_header + stored + tail.len_bytes() as u64
}

/// The tar bytes before and after the padding file's data: `hello.txt` and the padding
/// file's header; then the zero fill to a 512-byte boundary and the two end blocks.
fn skeleton(head: &[u8], padding: u64) -> (Vec<u8>, Vec<u8>) {
    let mut first = head.to_vec();
    first.extend_from_slice(&ustar_header(PADDING_NAME, padding));
    let fill = (BLOCK - (padding % BLOCK as u64) as usize) % BLOCK;
    (first, vec![0u8; fill + 2 * BLOCK])
}

/// Writes the layer that `plan` describes.
fn encode(head: &[u8], plan: Plan, seed: u64) -> Layer {
    let mut tar_hash = sha2::Sha256::new();
    let mut crc = crc32fast::Hasher::new();
    let mut tar_bytes: u64 = 0;
    let mut account = |bytes: &[u8]| {
        tar_hash.update(bytes);
        crc.update(bytes);
        tar_bytes += bytes.len() as u64;
    };
    let capacity = usize::try_from(plan.padding_bytes)
        .unwrap_or(0)
        .saturating_add(4 * BLOCK);
    let mut bits = BitWriter::with_capacity(capacity);
    if plan.padding_bytes == 0 {
        let tar = [head, &[0u8; 2 * BLOCK][..]].concat();
        account(&tar);
        bits.fixed_block(&tar, true);
    } else {
        let (first, last) = skeleton(head, plan.padding_bytes);
        account(&first);
        bits.fixed_block(&first, false);
        let mut padding = Padding::new(seed);
        let padding_len = usize::try_from(plan.padding_bytes).unwrap_or(0);
        bits.stored_blocks_filled(padding_len, |chunk| {
            padding.fill(chunk);
            account(chunk);
        });
        account(&last);
        bits.fixed_block(&last, true);
    }
    let mut out = gzip::header(plan.extra_bytes);
    out.reserve(bits.len_bytes() + 8);
    out.extend_from_slice(&bits.finish());
    out.extend_from_slice(&gzip::trailer(crc.finalize(), tar_bytes));
    let diff_id = sha256_digest(&tar_hash.finalize());
    let blob = Bytes::from(out);
    Layer {
        digest: Digest::sha256_of(&blob),
        diff_id,
        blob,
    }
}

/// The digest whose encoded part is the hex of `hash`.
fn sha256_digest(hash: &[u8]) -> Digest {
    let mut text = String::with_capacity(7 + 2 * hash.len());
    text.push_str("sha256:");
    for byte in hash {
        text.push_str(&format!("{byte:02x}"));
    }
    // Always well formed; the fallback keeps the builder free of panics all the same.
    Digest::parse(&text).unwrap_or_else(|_| Digest::sha256_of(hash))
}

/// `hello.txt`'s header and its data, zero-filled to a 512-byte boundary.
fn hello_entry(hello: &[u8]) -> Vec<u8> {
    let mut entry = ustar_header(HELLO_NAME, hello.len() as u64).to_vec();
    entry.extend_from_slice(hello);
    entry.resize(entry.len().next_multiple_of(BLOCK), 0);
    entry
}

/// A ustar header for a regular file with fixed metadata.
fn ustar_header(name: &str, size: u64) -> [u8; BLOCK] {
    let mut header = [0u8; BLOCK];
    let name = name.as_bytes();
    let name_len = name.len().min(100);
    header[..name_len].copy_from_slice(&name[..name_len]);
    octal(&mut header[100..108], 0o644);
    octal(&mut header[108..116], 0);
    octal(&mut header[116..124], 0);
    octal(&mut header[124..136], size);
    octal(&mut header[136..148], 0);
    header[148..156].fill(b' ');
    header[156] = b'0';
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    let sum: u64 = header.iter().map(|&b| u64::from(b)).sum();
    octal(&mut header[148..155], sum);
    header[155] = b' ';
    header
}

/// Writes `value` as zero-padded octal digits filling all but the last byte, then NUL.
fn octal(field: &mut [u8], value: u64) {
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    let text = text.as_bytes();
    let start = text.len().saturating_sub(digits);
    field[..digits].copy_from_slice(&text[start..]);
    field[digits] = 0;
}

/// The padding stream's seed: the first eight bytes of the SHA-256 of `hello.txt`.
fn seed_of(hello: &[u8]) -> u64 {
    let hash = sha2::Sha256::digest(hello);
    let mut seed = [0u8; 8];
    seed.copy_from_slice(&hash[..8]);
    u64::from_le_bytes(seed)
}

/// SplitMix64 as a byte stream (each 64-bit output contributes 8 little-endian bytes):
/// fast, portable, and incompressible enough that gzip cannot shrink it.
#[derive(Debug)]
struct Padding {
    state: u64,
    word: [u8; 8],
    used: usize,
}

impl Padding {
    fn new(seed: u64) -> Padding {
        Padding {
            state: seed,
            word: [0; 8],
            used: 8,
        }
    }

    fn next_word(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn fill(&mut self, buf: &mut [u8]) {
        let mut start = 0;
        while self.used < 8 && start < buf.len() {
            buf[start] = self.word[self.used];
            self.used += 1;
            start += 1;
        }
        let mut words = buf[start..].chunks_exact_mut(8);
        for chunk in &mut words {
            chunk.copy_from_slice(&self.next_word().to_le_bytes());
        }
        let rest = words.into_remainder();
        if !rest.is_empty() {
            self.word = self.next_word().to_le_bytes();
            rest.copy_from_slice(&self.word[..rest.len()]);
            self.used = rest.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    /// The files inside a layer, as (path, contents), read back with the tar and flate2 crates.
    fn unpack(blob: &[u8]) -> (Vec<(String, Vec<u8>)>, Vec<u8>) {
        let mut tar = Vec::new();
        flate2::read::GzDecoder::new(blob)
            .read_to_end(&mut tar)
            .expect("valid gzip");
        let mut archive = tar::Archive::new(tar.as_slice());
        let mut files = Vec::new();
        for entry in archive.entries().expect("valid tar") {
            let mut entry = entry.expect("valid entry");
            let header = entry.header();
            assert_eq!(header.mtime().unwrap(), 0);
            assert_eq!(header.uid().unwrap(), 0);
            assert_eq!(header.gid().unwrap(), 0);
            assert_eq!(header.mode().unwrap(), 0o644);
            let path = entry.path().unwrap().display().to_string();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            files.push((path, data));
        }
        (files, tar)
    }

    fn check(rows: &[(u64, Option<u64>)]) {
        let hello = "hello from linux/arm64/v8\nimage: demo/multi:v1\nbuild: 1\nlayer: 1 of 1\n";
        for &(target, want_exact) in rows {
            let layer = build_layer(hello, target);
            if let Some(want) = want_exact {
                assert_eq!(layer.blob.len() as u64, want, "target {target}");
            }
            assert_eq!(layer.digest, Digest::sha256_of(&layer.blob));
            let (files, tar) = unpack(&layer.blob);
            assert_eq!(layer.diff_id, Digest::sha256_of(&tar), "target {target}");
            assert_eq!(files[0].0, "hello.txt");
            assert_eq!(files[0].1, hello.as_bytes());
        }
    }

    #[test]
    fn layers_hit_the_requested_compressed_size() {
        let bare = size_without_padding(&hello_entry(
            b"hello from linux/arm64/v8\nimage: demo/multi:v1\nbuild: 1\nlayer: 1 of 1\n",
        ));
        check(&[
            (0, Some(bare)),
            (bare + 3, Some(bare)),
            (bare + 6, Some(bare + 6)),
            (500, Some(500)),
            (1000, Some(1000)),
            (1500, Some(1500)),
            (4096, Some(4096)),
            (65_535 + 700, Some(65_535 + 700)),
            (1 << 20, Some(1 << 20)),
            (3 << 20, Some(3 << 20)),
        ]);
    }

    #[test]
    fn every_size_in_a_range_is_exact() {
        let hello = "hello from linux/amd64\n";
        let bare = size_without_padding(&hello_entry(hello.as_bytes()));
        for target in (bare + 6)..(bare + 3000) {
            let head = hello_entry(hello.as_bytes());
            let plan = plan(&head, target);
            let layer = encode(&head, plan, 1);
            assert_eq!(layer.blob.len() as u64, target, "plan {plan:?}");
        }
    }

    #[test]
    fn padding_is_incompressible_and_deterministic() {
        let a = build_layer("hello from linux/amd64\n", 256 << 10);
        let b = build_layer("hello from linux/amd64\n", 256 << 10);
        assert_eq!(a.digest, b.digest);
        let (files, _) = unpack(&a.blob);
        let padding = &files[1].1;
        assert_eq!(files[1].0, PADDING_NAME);
        let mut squeezed = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut squeezed, padding).unwrap();
        let squeezed = squeezed.finish().unwrap();
        assert!(
            squeezed.len() * 100 > padding.len() * 99,
            "padding compressed to {}",
            squeezed.len()
        );
        let other = build_layer("hello from linux/arm64/v8\n", 256 << 10);
        assert_ne!(other.digest, a.digest);
    }

    #[test]
    fn ustar_headers_carry_fixed_fields_and_a_valid_checksum() {
        let header = ustar_header("hello.txt", 26);
        let parsed = tar::Header::from_byte_slice(&header);
        assert_eq!(parsed.path().unwrap().display().to_string(), "hello.txt");
        assert_eq!(parsed.size().unwrap(), 26);
        assert_eq!(parsed.cksum().unwrap(), {
            let mut copy = header;
            copy[148..156].fill(b' ');
            copy.iter().map(|&b| u32::from(b)).sum::<u32>()
        });
    }
}
