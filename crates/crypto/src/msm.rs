//! Multi-scalar multiplication in G1 and G2 through blst's `blst_p{1,2}s_mult_pippenger`
//! (Straus with shared doublings below 32 points, Pippenger above), single-threaded.

#![allow(unsafe_code)]

use blst::{blst_p1, blst_p1_affine, blst_p2, blst_p2_affine};

/// `Σ scalars[i] · points[i]` in G1, returned in affine form.
///
/// `scalars` holds `points.len()` little-endian scalars of `nbits.div_ceil(8)` bytes each.
pub(crate) fn g1(points: &[blst_p1_affine], scalars: &[u8], nbits: usize) -> blst_p1_affine {
    let nbytes = nbits.div_ceil(8);
    assert!(!points.is_empty(), "MSM over no points");
    assert_eq!(scalars.len(), nbytes * points.len(), "one scalar per point");
    // A null second entry tells blst that points and scalars are contiguous arrays.
    let point_ptrs: [*const blst_p1_affine; 2] = [points.as_ptr(), std::ptr::null()];
    let scalar_ptrs: [*const u8; 2] = [scalars.as_ptr(), std::ptr::null()];
    // SAFETY: sizeof query has no memory preconditions.
    let scratch_bytes = unsafe { blst::blst_p1s_mult_pippenger_scratch_sizeof(points.len()) };
    let mut scratch = vec![0u64; scratch_bytes.div_ceil(8)];
    let mut sum = blst_p1::default();
    let mut affine = blst_p1_affine::default();
    // SAFETY: `point_ptrs`/`scalar_ptrs` describe contiguous arrays of `points.len()` affine
    // points and `points.len() * nbytes` scalar bytes (checked above); scratch has the size blst
    // asked for; output pointers are valid and writable.
    unsafe {
        blst::blst_p1s_mult_pippenger(
            &mut sum,
            point_ptrs.as_ptr(),
            points.len(),
            scalar_ptrs.as_ptr(),
            nbits,
            scratch.as_mut_ptr(),
        );
        blst::blst_p1_to_affine(&mut affine, &sum);
    }
    affine
}

/// `Σ scalars[i] · points[i]` in G2, returned in affine form. Same layout as [`g1`].
pub(crate) fn g2(points: &[blst_p2_affine], scalars: &[u8], nbits: usize) -> blst_p2_affine {
    let nbytes = nbits.div_ceil(8);
    assert!(!points.is_empty(), "MSM over no points");
    assert_eq!(scalars.len(), nbytes * points.len(), "one scalar per point");
    let point_ptrs: [*const blst_p2_affine; 2] = [points.as_ptr(), std::ptr::null()];
    let scalar_ptrs: [*const u8; 2] = [scalars.as_ptr(), std::ptr::null()];
    // SAFETY: sizeof query has no memory preconditions.
    let scratch_bytes = unsafe { blst::blst_p2s_mult_pippenger_scratch_sizeof(points.len()) };
    let mut scratch = vec![0u64; scratch_bytes.div_ceil(8)];
    let mut sum = blst_p2::default();
    let mut affine = blst_p2_affine::default();
    // SAFETY: as in `g1`, with G2 types.
    unsafe {
        blst::blst_p2s_mult_pippenger(
            &mut sum,
            point_ptrs.as_ptr(),
            points.len(),
            scalar_ptrs.as_ptr(),
            nbits,
            scratch.as_mut_ptr(),
        );
        blst::blst_p2_to_affine(&mut affine, &sum);
    }
    affine
}

/// `Σ scalars[i] · points[i]` in G2 for small scalars (below `2^nbits`, `nbits` ≤ 128), by a
/// joint double-and-add: `nbits − 1` doublings and one addition per set bit. For the few-bit
/// integer Lagrange numerators of small share indices this is several times cheaper than
/// [`g2`], whose tables and buckets are built for wide scalars. Scalars are public (no
/// constant-time requirement).
pub(crate) fn g2_small(
    points: &[blst_p2_affine],
    scalars: &[u128],
    nbits: usize,
) -> blst_p2_affine {
    assert_eq!(points.len(), scalars.len(), "one scalar per point");
    assert!((1..=128).contains(&nbits), "scalars of 1 to 128 bits");
    assert!(
        nbits == 128 || scalars.iter().all(|s| s >> nbits == 0),
        "every scalar below 2^nbits"
    );
    let mut sum = blst_p2::default(); // the point at infinity
    for bit in (0..nbits).rev() {
        // SAFETY: `sum` is a valid blst_p2; blst's doubling accepts aliased input and output.
        unsafe { blst::blst_p2_double(&mut sum, &sum) };
        for (point, scalar) in points.iter().zip(scalars) {
            if scalar >> bit & 1 == 1 {
                // SAFETY: valid point references; blst's addition handles infinity, equal
                // points (doubling) and aliased input and output.
                unsafe { blst::blst_p2_add_or_double_affine(&mut sum, &sum, point) };
            }
        }
    }
    let mut affine = blst_p2_affine::default();
    // SAFETY: valid input and writable output.
    unsafe { blst::blst_p2_to_affine(&mut affine, &sum) };
    affine
}

/// `scalar · point` in G2 (`scalar`: little-endian, `nbits` bits; blst's endomorphism-based
/// multiplication for full-width scalars), returned in affine form.
pub(crate) fn g2_mul(point: &blst_p2_affine, scalar: &[u8], nbits: usize) -> blst_p2_affine {
    assert_eq!(
        scalar.len(),
        nbits.div_ceil(8),
        "scalar length matches nbits"
    );
    let mut projective = blst_p2::default();
    let mut product = blst_p2::default();
    let mut affine = blst_p2_affine::default();
    // SAFETY: every pointer references a valid, writable (for outputs) blst value, and `scalar`
    // holds the `nbits.div_ceil(8)` bytes blst reads (checked above).
    unsafe {
        blst::blst_p2_from_affine(&mut projective, point);
        blst::blst_p2_mult(&mut product, &projective, scalar.as_ptr(), nbits);
        blst::blst_p2_to_affine(&mut affine, &product);
    }
    affine
}

/// `−point` in G2 (the point at infinity stays itself).
pub(crate) fn g2_negate(point: &blst_p2_affine) -> blst_p2_affine {
    if g2_is_infinity(point) {
        return *point;
    }
    let mut negated = *point;
    // SAFETY: both pointers reference valid blst_fp2 values (in-place negation of y is allowed
    // by blst, whose field routines accept aliased input and output).
    unsafe { blst::blst_fp2_cneg(&mut negated.y, &point.y, true) };
    negated
}

/// Whether a G1 affine point is the point at infinity.
pub(crate) fn g1_is_infinity(point: &blst_p1_affine) -> bool {
    // SAFETY: `point` is a valid reference.
    unsafe { blst::blst_p1_affine_is_inf(point) }
}

/// Whether a G2 affine point is the point at infinity.
pub(crate) fn g2_is_infinity(point: &blst_p2_affine) -> bool {
    // SAFETY: `point` is a valid reference.
    unsafe { blst::blst_p2_affine_is_inf(point) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bls::SecretKey;

    fn points(n: u32) -> Vec<blst_p2_affine> {
        let key = SecretKey::from_bytes(&[9; 32]).expect("key");
        (0..n)
            .map(|i| *key.sign(&i.to_le_bytes()).as_affine())
            .collect()
    }

    fn wide(scalars: &[u128]) -> Vec<u8> {
        scalars.iter().flat_map(|s| s.to_le_bytes()).collect()
    }

    #[test]
    fn small_scalar_combination_equals_the_general_one() {
        let pts = points(5);
        for scalars in [
            [1u128, 2, 3, 4, 5],
            [0, 0, 7, 0, 1],
            [255, 254, 128, 1, 0],
            [3, 3, 3, 3, 3],
            [u128::MAX, 1, 0, 1 << 100, 12345],
        ] {
            let nbits = scalars
                .iter()
                .map(|s| 128 - s.leading_zeros() as usize)
                .max()
                .unwrap()
                .max(1);
            assert_eq!(
                g2_small(&pts, &scalars, nbits),
                g2(&pts, &wide(&scalars), 128),
                "{scalars:?}"
            );
        }
    }

    #[test]
    fn small_scalar_combination_handles_doubling_and_cancellation() {
        let pts = points(1);
        // The same point twice is a doubling inside the addition.
        assert_eq!(
            g2_small(&[pts[0], pts[0]], &[1, 1], 1),
            g2(&pts, &wide(&[2]), 128)
        );
        // A point plus its negation is the point at infinity.
        let cancelled = g2_small(&[pts[0], g2_negate(&pts[0])], &[6, 6], 3);
        assert!(g2_is_infinity(&cancelled));
        // All scalars zero: infinity.
        assert!(g2_is_infinity(&g2_small(&pts, &[0], 4)));
    }
}
