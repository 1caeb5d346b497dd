//! Signing one message with many keys: a table of multiples of the message's hash, so that
//! each signature is a constant-time table walk instead of a full scalar multiplication.
//!
//! From electra on, every attestation of a slot signs the same signing root, so a validator
//! client holding many keys signs one message many times in a row. With `H` the message's hash
//! and `k = Σ_j d_j · 16^j` the secret key in signed 4-bit digits `d_j ∈ [−7, 8]`, the table
//! holds `m · 16^(4i) · H` for `m = 1..=8` and 16 rows `i`; the signature `k · H` is four walks
//! over the rows (digits `4i + 3`, then `4i + 2`, ...) with the sum multiplied by 16 between
//! walks: 64 mixed additions and 12 doublings, against blst's endomorphism-based
//! multiplication (about 64 doublings and 100 additions with tables of its own).
//!
//! The secret key decides which entry of each row is taken and whether it is negated, so both
//! are done without secret-dependent branches or memory addresses: every entry of a row is read
//! and masked in, the negation is blst's constant-time conditional negation, and the addition
//! is blst's complete (add-or-double, infinity-aware) mixed addition, which is branch-free. The
//! table depends on the public message alone.

#![allow(unsafe_code)]

use std::hint::black_box;

use blst::{blst_fp, blst_fp2, blst_p2, blst_p2_affine, blst_scalar, limb_t};
use zeroize::Zeroizing;

/// Bits of the secret key per digit.
const DIGIT_BITS: usize = 4;
/// Digits of a scalar below the group order r < 2^255. The top digit takes bits 252..=255, at
/// most 7 (bit 255 is clear) plus the carry from below, so it never carries out.
const DIGITS: usize = 256 / DIGIT_BITS;
/// Table entries per row: the multiples `1..=8` (a digit's magnitude is at most 8).
const MULTIPLES: usize = 1 << (DIGIT_BITS - 1);
/// Digit positions that share a row: row `i` serves digits `4i..4i+4`, and a signature walks
/// the rows four times, multiplying the sum by 16 between walks (12 doublings). A row per
/// digit would save those doublings but cost four times the table, whose building dominates
/// when a message is signed a few dozen times (see docs/benchmarks.md).
const INTERLEAVE: usize = 4;
/// Rows of the table: row `i` holds the multiples of `16^(4i) · H`.
const ROWS: usize = DIGITS / INTERLEAVE;

/// `m · 2^(16i) · H` for every row `i` and `m = 1..=MULTIPLES`, in affine form.
pub(crate) struct Table {
    rows: Box<[[blst_p2_affine; MULTIPLES]]>,
}

impl Table {
    /// The table of `hash` (a point of G2, the hash of a public message).
    pub(crate) fn new(hash: &blst_p2) -> Self {
        let mut projective = Vec::with_capacity(ROWS * MULTIPLES);
        let mut base = *hash;
        for row in 0..ROWS {
            let mut multiple = base;
            projective.push(multiple);
            for _ in 1..MULTIPLES {
                // SAFETY: valid points; blst's complete addition accepts aliased output.
                unsafe { blst::blst_p2_add_or_double(&mut multiple, &multiple, &base) };
                projective.push(multiple);
            }
            if row + 1 < ROWS {
                for _ in 0..DIGIT_BITS * INTERLEAVE {
                    // SAFETY: a valid point; doubling accepts aliased output.
                    unsafe { blst::blst_p2_double(&mut base, &base) };
                }
            }
        }
        let mut affine = vec![blst_p2_affine::default(); projective.len()];
        // A null second entry tells blst that the points are one contiguous array.
        let points: [*const blst_p2; 2] = [projective.as_ptr(), std::ptr::null()];
        // SAFETY: `points` describes the contiguous `projective` array of `affine.len()` valid
        // points, and `affine` has room for as many outputs.
        unsafe { blst::blst_p2s_to_affine(affine.as_mut_ptr(), points.as_ptr(), affine.len()) };
        let rows = affine
            .chunks_exact(MULTIPLES)
            .map(|row| {
                let mut entries = [blst_p2_affine::default(); MULTIPLES];
                entries.copy_from_slice(row);
                entries
            })
            .collect();
        Self { rows }
    }

    /// `secret · H`, in affine form, in time independent of `secret` (a scalar below r).
    pub(crate) fn sign(&self, secret: &blst_scalar) -> blst_p2_affine {
        let digits = recode(secret);
        let mut sum = blst_p2::default(); // the point at infinity (Z = 0)
        for offset in (0..INTERLEAVE).rev() {
            if offset + 1 < INTERLEAVE {
                for _ in 0..DIGIT_BITS {
                    // SAFETY: a valid point; blst's doubling is branch-free and accepts
                    // aliased output.
                    unsafe { blst::blst_p2_double(&mut sum, &sum) };
                }
            }
            for (row_index, row) in self.rows.iter().enumerate() {
                let code = digits[row_index * INTERLEAVE + offset];
                let mut entry = select(row, code & MAGNITUDE_MASK);
                // SAFETY: in-place conditional negation of a valid field element; blst's
                // field routines accept aliased input and output and are constant-time in the
                // flag.
                unsafe { blst::blst_fp2_cneg(&mut entry.y, &entry.y, code >> NEGATIVE_SHIFT == 1) };
                // SAFETY: valid points; blst's mixed addition is complete (infinity on either
                // side, equal points), branch-free, and accepts aliased output.
                unsafe { blst::blst_p2_add_or_double_affine(&mut sum, &sum, &entry) };
            }
        }
        let mut signature = blst_p2_affine::default();
        // SAFETY: a valid point and a writable output; blst's conversion inverts Z in constant
        // time.
        unsafe { blst::blst_p2_to_affine(&mut signature, &sum) };
        // SAFETY: `sum` is a live, aligned local; the volatile write keeps the scrub of the
        // secret-dependent partial sum from being optimised away.
        unsafe { std::ptr::write_volatile(&mut sum, blst_p2::default()) };
        signature
    }
}

/// A digit's code: its magnitude in the low bits, 1 at [`NEGATIVE_SHIFT`] if negative.
const MAGNITUDE_MASK: u32 = 0xF;
const NEGATIVE_SHIFT: u32 = 4;

/// The secret's signed digits, lowest first, as codes (in a buffer zeroized on drop).
fn recode(secret: &blst_scalar) -> Zeroizing<[u32; DIGITS]> {
    let mut codes = Zeroizing::new([0u32; DIGITS]);
    let mut carry: u32 = 0;
    for (position, code) in codes.iter_mut().enumerate() {
        let byte = u32::from(secret.b[position / 2]);
        let nibble = (byte >> (4 * (position % 2))) & 0xF;
        let (magnitude, negative) = signed_digit(nibble, &mut carry);
        *code = magnitude | negative << NEGATIVE_SHIFT;
    }
    codes
}

/// The next signed digit of a scalar from its 4-bit `nibble` and the `carry` from the digit
/// below (updated): `(|d|, 1 if d < 0)` with `d = nibble + carry − 16·carry_out`, `d ∈ [−7, 8]`.
/// Branch-free.
fn signed_digit(nibble: u32, carry: &mut u32) -> (u32, u32) {
    let value = nibble + *carry; // 0..=16
    let carry_out = (8u32.wrapping_sub(value) >> 31) & 1; // 1 iff value > 8
    let digit = value.wrapping_sub(carry_out << DIGIT_BITS); // two's complement of d
    let negative = digit >> 31;
    let magnitude = (digit ^ 0u32.wrapping_sub(negative)).wrapping_add(negative);
    *carry = carry_out;
    (magnitude, negative)
}

/// `row[magnitude − 1]`, or the point at infinity for magnitude 0, reading every entry.
fn select(row: &[blst_p2_affine; MULTIPLES], magnitude: u32) -> blst_p2_affine {
    let mut selected = blst_p2_affine::default();
    for (index, entry) in row.iter().enumerate() {
        // (index + 1) ^ magnitude is below 16; minus one wraps (top bit set) only if it is 0.
        let equal = ((index as u32 + 1) ^ magnitude).wrapping_sub(1) >> 31;
        let mask = (0 as limb_t).wrapping_sub(black_box(limb_t::from(equal)));
        assign_fp2(&mut selected.x, &entry.x, mask);
        assign_fp2(&mut selected.y, &entry.y, mask);
    }
    selected
}

/// `target = source` where `mask` is all ones; unchanged where it is zero.
fn assign_fp2(target: &mut blst_fp2, source: &blst_fp2, mask: limb_t) {
    for (target, source) in target.fp.iter_mut().zip(&source.fp) {
        assign_fp(target, source, mask);
    }
}

fn assign_fp(target: &mut blst_fp, source: &blst_fp, mask: limb_t) {
    for (target, source) in target.l.iter_mut().zip(&source.l) {
        *target ^= (*target ^ *source) & mask;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bls::SecretKey;
    use crate::hashed;

    /// blst's own signing of a hashed message.
    fn reference(hash: &blst_p2, secret: &blst_scalar) -> blst_p2_affine {
        let mut signature = blst_p2::default();
        let mut affine = blst_p2_affine::default();
        // SAFETY: valid inputs, writable outputs.
        unsafe {
            blst::blst_sign_pk_in_g1(&mut signature, hash, secret);
            blst::blst_p2_to_affine(&mut affine, &signature);
        }
        affine
    }

    #[test]
    fn digits_recompose_the_nibbles() {
        // Every (nibble, carry) pair: d + 16·carry_out = nibble + carry, d ∈ [−7, 8].
        for nibble in 0..16u32 {
            for carry_in in 0..2u32 {
                let mut carry = carry_in;
                let (magnitude, negative) = signed_digit(nibble, &mut carry);
                let digit = if negative == 1 {
                    -(magnitude as i64)
                } else {
                    magnitude as i64
                };
                assert!((-7..=8).contains(&digit), "{nibble} {carry_in}: {digit}");
                assert_eq!(
                    digit + 16 * i64::from(carry),
                    i64::from(nibble + carry_in),
                    "{nibble} {carry_in}"
                );
                assert!(negative == 0 || magnitude > 0);
            }
        }
    }

    #[test]
    fn table_signatures_equal_blst_signatures() {
        let hash = hashed::hash_to_g2(b"one signing root for many keys..").projective;
        let table = Table::new(&hash);
        // Edge scalars: 1, 8 and 9 (a digit that carries), 255, alternating nibbles, r − 1 (the
        // largest scalar), and random keys.
        let mut keys: Vec<SecretKey> = [
            format!("{}01", "00".repeat(31)),
            format!("{}08", "00".repeat(31)),
            format!("{}09", "00".repeat(31)),
            format!("{}ff", "00".repeat(31)),
            "0f".repeat(32),
            "70".to_owned() + &"f0".repeat(15) + &"00".repeat(16),
            "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000000".to_owned(),
            // Every nibble 8 (the largest digit without a carry), every nibble 9 (carries all
            // the way up).
            "70".to_owned() + &"88".repeat(31),
            "69".to_owned() + &"99".repeat(31),
        ]
        .iter()
        .map(|hex| SecretKey::from_hex(hex).expect("a valid scalar"))
        .collect();
        keys.extend((0..24).map(|_| SecretKey::random()));
        for key in &keys {
            let secret = key.as_blst_scalar();
            assert_eq!(table.sign(secret), reference(&hash, secret));
        }
    }

    #[test]
    fn selection_takes_exactly_the_entry_asked_for() {
        let hash = hashed::hash_to_g2(b"selection").projective;
        let table = Table::new(&hash);
        let row = &table.rows[3];
        assert_eq!(select(row, 0), blst_p2_affine::default());
        for magnitude in 1..=MULTIPLES as u32 {
            assert_eq!(select(row, magnitude), row[magnitude as usize - 1]);
        }
    }
}
