//! Numbers in CSV fields as pandas and polars read them: integers, and
//! decimals correctly rounded. Fields of up to 8 characters (almost all of a
//! typical file) are read a word at a time, without a branch per character.

use super::separators;

/// A plain decimal of at most 8 characters after its sign ("202.07", "-3",
/// "5."), read without a branch per character: the length and the position
/// of the point vary from row to row, and each branch on them mispredicts.
struct ShortDecimal {
    negative: bool,
    /// The digits as one integer, the point left out.
    mantissa: u64,
    /// How many digits follow the point.
    scale: usize,
    has_point: bool,
}

const ZEROS: u64 = 0x3030_3030_3030_3030;
const HIGH_NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;

/// `text`'s first 8 bytes as a word, read from `block` (which holds `text`)
/// in one load when it extends far enough; bytes past `text`'s end are
/// whatever follows it, and masked off by `short_decimal`.
pub(super) fn first_word(block: &[u8], text: &[u8]) -> u64 {
    let at = (text.as_ptr() as usize).wrapping_sub(block.as_ptr() as usize);
    match block.get(at..at.wrapping_add(8)) {
        Some(eight) => u64::from_le_bytes(eight.try_into().expect("8 bytes")),
        _ => {
            let mut padded = [0u8; 8];
            let n = text.len().min(8);
            padded[..n].copy_from_slice(&text[..n]);
            u64::from_le_bytes(padded)
        }
    }
}

/// `word` holds `text`'s first 8 bytes (see `first_word`).
fn short_decimal(text: &[u8], word: u64) -> Option<ShortDecimal> {
    let (negative, signed) = match text.first()? {
        b'-' => (true, true),
        b'+' => (false, true),
        _ => (false, false),
    };
    let (word, len) = if signed { (word >> 8, text.len() - 1) } else { (word, text.len()) };
    if len == 0 || len > 8 - usize::from(signed) {
        return None;
    }
    let word = word & (u64::MAX >> (64 - 8 * len));
    let points = separators::bytes_equal(word, b'.');
    // (`count_ones` is a dozen instructions on baseline x86-64.)
    let (digits_word, digits, scale) = match (points != 0, points & points.wrapping_sub(1) != 0) {
        (false, _) => (word, len, 0),
        (true, false) => {
            let at = (points.trailing_zeros() / 8) as usize;
            let before = word & ((1u64 << (8 * at)) - 1);
            let after = word.checked_shr(8 * (at as u32 + 1)).unwrap_or(0);
            (before | (after << (8 * at)), len - 1, len - 1 - at)
        }
        _ => return None,
    };
    if digits == 0 {
        return None;
    }
    // Right-aligned behind '0's: the first digit ends up in the highest place.
    let shift = 8 * (8 - digits as u32);
    let aligned = (digits_word << shift) | (ZEROS & ((1u64 << shift) - 1));
    let all_digits =
        aligned & HIGH_NIBBLES == ZEROS && aligned.wrapping_add(0x0606_0606_0606_0606) & HIGH_NIBBLES == ZEROS;
    all_digits.then(|| ShortDecimal { negative, mantissa: eight_digits(aligned), scale, has_point: points != 0 })
}

/// The value of eight ASCII digits, the first in the lowest byte.
fn eight_digits(word: u64) -> u64 {
    let v = word - ZEROS;
    let v = v.wrapping_mul(10).wrapping_add(v >> 8);
    let hundreds = (v & 0x0000_00FF_0000_00FF).wrapping_mul(100 + (1_000_000 << 32));
    let units = ((v >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32));
    hundreds.wrapping_add(units) >> 32
}

pub(super) fn parse_int(text: &[u8]) -> Option<i64> {
    parse_int_from(text, first_word(text, text))
}

/// `parse_int` given `text`'s first word.
pub(super) fn parse_int_from(text: &[u8], word: u64) -> Option<i64> {
    if let Some(d) = short_decimal(text, word) {
        let value = d.mantissa as i64;
        return (!d.has_point).then_some(if d.negative { -value } else { value });
    }
    let (negative, digits) = match text.first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || digits.len() > 18 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = digits.iter().fold(0i64, |acc, &d| acc * 10 + i64::from(d - b'0'));
    Some(if negative { -value } else { value })
}

const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// A decimal number, correctly rounded. Plain decimals with at most 15
/// significant digits take the exact path (an integer and a power of ten, both
/// exact, divided once: IEEE division rounds correctly); others fast-float.
pub(super) fn parse_float(text: &[u8]) -> Option<f64> {
    parse_float_from(text, first_word(text, text))
}

/// `parse_float` given `text`'s first word.
pub(super) fn parse_float_from(text: &[u8], word: u64) -> Option<f64> {
    if let Some(d) = short_decimal(text, word) {
        let value = d.mantissa as f64 / POWERS_OF_TEN[d.scale];
        return Some(if d.negative { -value } else { value });
    }
    let (negative, body) = match text.first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let mut mantissa: u64 = 0;
    let mut digits = 0;
    let mut scale = 0;
    let mut seen_point = false;
    let mut simple = !body.is_empty() && body.len() <= 16;
    if simple {
        for &b in body {
            match b {
                b'0'..=b'9' => {
                    mantissa = mantissa * 10 + u64::from(b - b'0');
                    digits += 1;
                    scale += usize::from(seen_point);
                }
                b'.' if !seen_point => seen_point = true,
                _ => {
                    simple = false;
                    break;
                }
            }
        }
    }
    if simple && digits > 0 && digits <= 15 {
        let value = mantissa as f64 / POWERS_OF_TEN[scale];
        return Some(if negative { -value } else { value });
    }
    let (value, used) = fast_float2::parse_partial::<f64, _>(text).ok()?;
    (used == text.len()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_correctly_rounded() {
        for text in ["0.1", "3.3", "5247.86", "-0.5", "+2", "123456789012345", "1e3", "0.30000000000000004", ".5", "5."]
        {
            assert_eq!(parse_float(text.as_bytes()), text.parse::<f64>().ok(), "{text}");
        }
        for text in ["", "-", ".", "1.2.3", "12abc", "1,5"] {
            assert_eq!(parse_float(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn short_numbers_read_as_the_standard_library_reads_them() {
        // Every string of up to 9 characters over these, in a deterministic sample.
        let alphabet = b"0123456789.-+e:/ ";
        let mut state = 7u64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 10) as usize;
            let text: Vec<u8> = (0..len).map(|k| alphabet[((state >> (6 + 5 * k)) % 13) as usize]).collect();
            let as_str = std::str::from_utf8(&text).unwrap();
            let expected_float = as_str.parse::<f64>().ok().filter(|_| !as_str.contains(['e', 'E', 'i', 'n']));
            assert_eq!(parse_float(&text).filter(|_| !as_str.contains('e')), expected_float, "{as_str}");
            assert_eq!(parse_int(&text), as_str.parse::<i64>().ok(), "{as_str}");
        }
        assert_eq!(eight_digits(u64::from_le_bytes(*b"12345678")), 12_345_678);
    }

    #[test]
    fn integers() {
        assert_eq!(parse_int(b"-42"), Some(-42));
        assert_eq!(parse_int(b"4.0"), None);
        assert_eq!(parse_int(b"123456789012345678"), Some(123_456_789_012_345_678));
    }
}
