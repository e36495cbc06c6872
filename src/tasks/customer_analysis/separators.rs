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
            None => {
                let mut padded = [0u8; 64];
                padded[..rest.len()].copy_from_slice(rest);
                masks(&padded)
            }
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
    fn flags_gather_into_one_bit_per_byte() {
        for bits in 0..=255u64 {
            let flags = (0..8).filter(|k| bits >> k & 1 == 1).fold(0u64, |f, k| f | 0x80 << (8 * k));
            assert_eq!(gather_flags(flags), bits);
        }
    }
}
