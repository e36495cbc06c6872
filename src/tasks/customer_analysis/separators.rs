//! The commas and newlines of a CSV block, in order, found 64 bytes at a time
//! with word-wide bit tricks: a bit per byte, then one bit per separator is
//! visited. Scanning field by field for the next comma cost more than the
//! numbers' parsing (task 1 at 30M rows, benches/results/intermediates.md).

const LOW_SEVEN: u64 = 0x7F7F_7F7F_7F7F_7F7F;
const ONES: u64 = 0x0101_0101_0101_0101;

/// 0x80 in each byte of `word` equal to `byte`, 0 elsewhere (exact: no
/// carries between bytes).
#[inline(always)]
pub(super) fn bytes_equal(word: u64, byte: u8) -> u64 {
    let x = word ^ (u64::from(byte) * ONES);
    !(((x & LOW_SEVEN).wrapping_add(LOW_SEVEN)) | x | LOW_SEVEN)
}

/// One bit per byte from the 0x80 flags of `bytes_equal`, byte 0 in bit 0.
#[inline(always)]
fn gather_flags(flags: u64) -> u64 {
    flags.wrapping_mul(0x0002_0408_1020_4081) >> 56
}

/// (separator masks, newline masks) of 64 bytes.
#[inline(always)]
fn masks(chunk: &[u8; 64]) -> (u64, u64) {
    let (mut separators, mut newlines) = (0u64, 0u64);
    for (k, word) in chunk.chunks_exact(8).enumerate() {
        let word = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        let newline = bytes_equal(word, b'\n');
        let comma = bytes_equal(word, b',');
        separators |= gather_flags(newline | comma) << (8 * k);
        newlines |= gather_flags(newline) << (8 * k);
    }
    (separators, newlines)
}

/// Positions of `,` and `\n` in `bytes`, each with whether it is a newline.
pub struct Separators<'a> {
    bytes: &'a [u8],
    /// Where the chunk of the current masks starts.
    base: usize,
    separators: u64,
    newlines: u64,
}

impl<'a> Separators<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        let mut found = Separators { bytes, base: 0, separators: 0, newlines: 0 };
        found.load(0);
        found
    }

    fn load(&mut self, base: usize) {
        self.base = base;
        let rest = &self.bytes[base.min(self.bytes.len())..];
        (self.separators, self.newlines) = match rest.first_chunk::<64>() {
            Some(chunk) => masks(chunk),
            None => masks(&padded(rest)),
        };
    }
}

impl Iterator for Separators<'_> {
    type Item = (usize, bool);

    #[inline(always)]
    fn next(&mut self) -> Option<(usize, bool)> {
        while self.separators == 0 {
            if self.base + 64 >= self.bytes.len() {
                return None;
            }
            self.load(self.base + 64);
        }
        let bit = self.separators.trailing_zeros();
        self.separators &= self.separators - 1;
        Some((self.base + bit as usize, (self.newlines >> bit) & 1 == 1))
    }
}

/// Every separator's position in `bytes`, in order, into `out` (cleared
/// first); returns how many of them are newlines. The parser's fast path
/// (`csv_scores::parse_regular`) indexes lines by these: with a fixed number
/// of fields, line `r`'s separators are entries `r * fields ..`.
pub fn positions(bytes: &[u8], out: &mut Vec<u32>) -> usize {
    out.clear();
    assert!(bytes.len() < u32::MAX as usize, "a block is at most a few lines longer than 8 MiB");
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("popcnt")
        && std::arch::is_x86_feature_detected!("bmi1")
    {
        // SAFETY: the CPU has these features, checked just above.
        return unsafe { positions_avx2(bytes, out) };
    }
    positions_with(bytes, out, masks)
}

/// `positions` with `masks` giving (separators, newlines) of 64 bytes.
#[inline(always)]
fn positions_with(bytes: &[u8], out: &mut Vec<u32>, masks: impl Fn(&[u8; 64]) -> (u64, u64)) -> usize {
    let mut newlines = 0;
    let mut chunks = bytes.chunks_exact(64);
    let mut base = 0;
    for chunk in chunks.by_ref() {
        let (separators, lines) = masks(chunk.try_into().expect("64 bytes"));
        push_bits(out, base, separators);
        newlines += lines.count_ones() as usize;
        base += 64;
    }
    let (separators, lines) = masks(&padded(chunks.remainder()));
    push_bits(out, base, separators);
    newlines + lines.count_ones() as usize
}

fn padded(rest: &[u8]) -> [u8; 64] {
    let mut padded = [0u8; 64];
    padded[..rest.len()].copy_from_slice(rest);
    padded
}

/// Appends `base + i` for each bit `i` set in `mask`, lowest first. Eight
/// slots are written whatever the count (a line of the article's file has
/// nine separators, so most chunks have 8 to 12): a loop that stops at the
/// count mispredicts its exit at almost every chunk.
#[inline(always)]
fn push_bits(out: &mut Vec<u32>, base: usize, mut mask: u64) {
    let count = mask.count_ones() as usize;
    out.reserve(64);
    let start = out.len();
    let spare = out.spare_capacity_mut();
    let base = base as u32;
    for slot in &mut spare[..8] {
        // Past the last bit `trailing_zeros` is 64: a slot beyond `count`, left out below.
        slot.write(base + mask.trailing_zeros());
        mask &= mask.wrapping_sub(1);
    }
    for slot in spare[8..].iter_mut().take(count.saturating_sub(8)) {
        slot.write(base + mask.trailing_zeros());
        mask &= mask - 1;
    }
    // SAFETY: the first `count` spare slots were written just above.
    unsafe { out.set_len(start + count) };
}

/// `positions` 64 bytes at a time with AVX2 compares (a few instructions per
/// 64 bytes, against the word-wide tricks' two dozen).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt,bmi1")]
unsafe fn positions_avx2(bytes: &[u8], out: &mut Vec<u32>) -> usize {
    use std::arch::x86_64::*;
    let (newline, comma) = (_mm256_set1_epi8(b'\n' as i8), _mm256_set1_epi8(b',' as i8));
    let masks = |chunk: &[u8; 64]| {
        // SAFETY: two unaligned 32-byte loads inside the 64-byte chunk.
        let (low, high) = unsafe {
            (
                _mm256_loadu_si256(chunk.as_ptr().cast::<__m256i>()),
                _mm256_loadu_si256(chunk.as_ptr().add(32).cast::<__m256i>()),
            )
        };
        let bits = |v: __m256i, byte: __m256i| _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, byte)) as u32 as u64;
        let lines = bits(low, newline) | bits(high, newline) << 32;
        (lines | bits(low, comma) | bits(high, comma) << 32, lines)
    };
    // (A closure in a `target_feature` function has its features.)
    positions_with(bytes, out, masks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(bytes: &[u8]) -> Vec<(usize, bool)> {
        bytes.iter().enumerate().filter(|(_, &b)| b == b',' || b == b'\n').map(|(i, &b)| (i, b == b'\n')).collect()
    }

    #[test]
    fn finds_every_separator_in_order() {
        let mut text = Vec::new();
        for i in 0..500u32 {
            // Every byte value around the separators, and lengths across chunk edges.
            text.extend_from_slice(format!("{i},{}", "x".repeat((i % 70) as usize)).as_bytes());
            text.push([b'\n', b',', 0x2B, 0x2D, 0x0B, 0x8A, 0xAC, 0xFF][(i % 8) as usize]);
        }
        for end in [0, 1, 63, 64, 65, 127, 128, 129, text.len()] {
            assert_eq!(Separators::new(&text[..end]).collect::<Vec<_>>(), naive(&text[..end]), "first {end} bytes");
        }
    }

    #[test]
    fn positions_are_every_separator_and_count_the_newlines() {
        let mut text = Vec::new();
        for i in 0..700u32 {
            text.extend_from_slice(format!("{i},{}", "y".repeat((i % 90) as usize)).as_bytes());
            text.push([b'\n', b',', 0x2C ^ 0x80, 0x0A ^ 0x80, 0xFF][(i % 5) as usize]);
        }
        let mut out = vec![7];
        for end in [0, 1, 63, 64, 65, 128, 1000, text.len()] {
            let expected = naive(&text[..end]);
            let portable = |bytes: &[u8], out: &mut Vec<u32>| {
                out.clear();
                positions_with(bytes, out, masks)
            };
            for find in [positions, portable] {
                let newlines = find(&text[..end], &mut out);
                let found: Vec<usize> = out.iter().map(|&p| p as usize).collect();
                assert_eq!(found, expected.iter().map(|&(p, _)| p).collect::<Vec<_>>(), "first {end} bytes");
                assert_eq!(newlines, expected.iter().filter(|&&(_, nl)| nl).count());
            }
        }
    }

    #[test]
    fn flags_gather_into_one_bit_per_byte() {
        for bits in 0..=255u64 {
            let flags = (0..8).filter(|k| bits >> k & 1 == 1).fold(0u64, |f, k| f | 0x80 << (8 * k));
            assert_eq!(gather_flags(flags), bits);
        }
    }
}
