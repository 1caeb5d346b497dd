//! Multi-scalar multiplication in G1 and G2 over blst, single-threaded.
//!
//! blst's `blst_p{1,2}s_mult_pippenger` takes Straus with shared doublings below 32 points and
//! Pippenger's buckets above. For the 64-bit random coefficients of a batch check, Straus's
//! tables (eight multiples of every point) cost more than they save from 12 points on, so those
//! sizes run Pippenger with a window fitted to them, tile by tile
//! (`blst_p{1,2}s_tile_pippenger`): about 20 % (G2) and 30 % (G1) less time for the sums of a
//! 31-signature batch check (see docs/benchmarks.md).

#![allow(unsafe_code)]

use blst::{blst_p1, blst_p1_affine, blst_p2, blst_p2_affine, limb_t};

/// The blst operations one multi-scalar multiplication needs, for G1 and G2 alike.
trait Group {
    type Affine;
    type Point: Default;
    /// `blst_p*s_mult_pippenger_scratch_sizeof`.
    const SCRATCH_SIZEOF: unsafe extern "C" fn(usize) -> usize;
    /// `blst_p*s_mult_pippenger`.
    const MULT: unsafe extern "C" fn(
        *mut Self::Point,
        *const *const Self::Affine,
        usize,
        *const *const u8,
        usize,
        *mut limb_t,
    );
    /// `blst_p*s_tile_pippenger`.
    const TILE: unsafe extern "C" fn(
        *mut Self::Point,
        *const *const Self::Affine,
        usize,
        *const *const u8,
        usize,
        *mut limb_t,
        usize,
        usize,
    );
    /// `blst_p*_double`.
    const DOUBLE: unsafe extern "C" fn(*mut Self::Point, *const Self::Point);
    /// `blst_p*_add_or_double`.
    const ADD: unsafe extern "C" fn(*mut Self::Point, *const Self::Point, *const Self::Point);
}

/// Implements [`Group`] for `$group` with blst's functions of one prefix (`p1` or `p2`).
macro_rules! blst_group {
    ($group:ident, $affine:ty, $point:ty, $scratch:path, $mult:path, $tile:path, $double:path, $add:path) => {
        struct $group;

        impl Group for $group {
            type Affine = $affine;
            type Point = $point;
            const SCRATCH_SIZEOF: unsafe extern "C" fn(usize) -> usize = $scratch;
            const MULT: unsafe extern "C" fn(
                *mut $point,
                *const *const $affine,
                usize,
                *const *const u8,
                usize,
                *mut limb_t,
            ) = $mult;
            const TILE: unsafe extern "C" fn(
                *mut $point,
                *const *const $affine,
                usize,
                *const *const u8,
                usize,
                *mut limb_t,
                usize,
                usize,
            ) = $tile;
            const DOUBLE: unsafe extern "C" fn(*mut $point, *const $point) = $double;
            const ADD: unsafe extern "C" fn(*mut $point, *const $point, *const $point) = $add;
        }
    };
}

blst_group!(
    G1,
    blst_p1_affine,
    blst_p1,
    blst::blst_p1s_mult_pippenger_scratch_sizeof,
    blst::blst_p1s_mult_pippenger,
    blst::blst_p1s_tile_pippenger,
    blst::blst_p1_double,
    blst::blst_p1_add_or_double
);
blst_group!(
    G2,
    blst_p2_affine,
    blst_p2,
    blst::blst_p2s_mult_pippenger_scratch_sizeof,
    blst::blst_p2s_mult_pippenger,
    blst::blst_p2s_tile_pippenger,
    blst::blst_p2_double,
    blst::blst_p2_add_or_double
);

/// The Pippenger window for `npoints` points of at most 64-bit scalars where it beats blst's
/// own choice (measured on G1 and G2), or `None` to leave the choice to blst.
fn fitted_window(npoints: usize, nbits: usize) -> Option<usize> {
    if nbits > 64 {
        return None;
    }
    match npoints {
        12..=15 => Some(3),
        16..=31 => Some(4),
        _ => None,
    }
}

/// The size of one Pippenger bucket (a point in X, Y, ZZ, ZZZ coordinates: four field
/// elements where a projective point has three), in limbs, rounded up; the larger of that and
/// what blst's scratch size for 32 points (a 4-bit window, 8 buckets) implies.
fn bucket_limbs<C: Group>() -> usize {
    let from_point = size_of::<C::Point>() / 3 * 4;
    // SAFETY: the sizeof query has no memory preconditions.
    let from_blst = unsafe { (C::SCRATCH_SIZEOF)(32) } >> 3;
    from_point.max(from_blst).div_ceil(size_of::<limb_t>())
}

/// `Σ scalars[i] · points[i]` (projective). `scalars` holds `points.len()` little-endian
/// scalars of `nbits.div_ceil(8)` bytes each.
fn multiply<C: Group>(points: &[C::Affine], scalars: &[u8], nbits: usize) -> C::Point {
    let nbytes = nbits.div_ceil(8);
    assert!(!points.is_empty(), "MSM over no points");
    assert!(nbits > 0, "scalars of at least one bit");
    assert_eq!(scalars.len(), nbytes * points.len(), "one scalar per point");
    // A null second entry tells blst that points and scalars are contiguous arrays.
    let point_ptrs: [*const C::Affine; 2] = [points.as_ptr(), std::ptr::null()];
    let scalar_ptrs: [*const u8; 2] = [scalars.as_ptr(), std::ptr::null()];
    let mut sum = C::Point::default();
    let Some(window) = fitted_window(points.len(), nbits) else {
        // SAFETY: the sizeof query has no memory preconditions.
        let scratch_bytes = unsafe { (C::SCRATCH_SIZEOF)(points.len()) };
        let mut scratch = vec![0 as limb_t; scratch_bytes.div_ceil(size_of::<limb_t>())];
        // SAFETY: `point_ptrs`/`scalar_ptrs` describe contiguous arrays of `points.len()`
        // affine points and `points.len() * nbytes` scalar bytes (checked above); the scratch
        // has the size blst asked for; the output is valid and writable.
        unsafe {
            (C::MULT)(
                &mut sum,
                point_ptrs.as_ptr(),
                points.len(),
                scalar_ptrs.as_ptr(),
                nbits,
                scratch.as_mut_ptr(),
            );
        }
        return sum;
    };
    let mut scratch = vec![0 as limb_t; bucket_limbs::<C>() << (window - 1)];
    let mut tile = C::Point::default();
    // The top tile holds the `nbits % window` excess bits (blst's own order), then one full
    // window at a time: sum = sum · 2^window + tile.
    let mut bit0 = nbits - nbits % window;
    loop {
        // SAFETY: as above; the tile reads bits [bit0, bit0 + window) of every scalar (blst
        // clips the top one to `nbits`), uses at most 2^(window-1) buckets of scratch, and
        // writes a valid point; addition and doubling accept aliased input and output.
        unsafe {
            (C::TILE)(
                &mut tile,
                point_ptrs.as_ptr(),
                points.len(),
                scalar_ptrs.as_ptr(),
                nbits,
                scratch.as_mut_ptr(),
                bit0,
                window,
            );
            (C::ADD)(&mut sum, &sum, &tile);
        }
        if bit0 == 0 {
            break;
        }
        bit0 -= window;
        for _ in 0..window {
            // SAFETY: doubling a valid point in place.
            unsafe { (C::DOUBLE)(&mut sum, &sum) };
        }
    }
    sum
}

/// `Σ scalars[i] · points[i]` in G1, returned in affine form.
///
/// `scalars` holds `points.len()` little-endian scalars of `nbits.div_ceil(8)` bytes each.
pub(crate) fn g1(points: &[blst_p1_affine], scalars: &[u8], nbits: usize) -> blst_p1_affine {
    let sum = multiply::<G1>(points, scalars, nbits);
    let mut affine = blst_p1_affine::default();
    // SAFETY: valid input and writable output.
    unsafe { blst::blst_p1_to_affine(&mut affine, &sum) };
    affine
}

/// `Σ scalars[i] · points[i]` in G2, returned in affine form. Same layout as [`g1`].
pub(crate) fn g2(points: &[blst_p2_affine], scalars: &[u8], nbits: usize) -> blst_p2_affine {
    let sum = multiply::<G2>(points, scalars, nbits);
    let mut affine = blst_p2_affine::default();
    // SAFETY: valid input and writable output.
    unsafe { blst::blst_p2_to_affine(&mut affine, &sum) };
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

    fn g1_points(n: u32) -> Vec<blst_p1_affine> {
        (0..n)
            .map(|i| {
                let mut bytes = [7u8; 32];
                bytes[..4].copy_from_slice(&i.to_le_bytes());
                *SecretKey::from_bytes(&bytes)
                    .expect("key")
                    .public_key()
                    .as_affine()
            })
            .collect()
    }

    /// `Σ scalars[i] · points[i]` one multiplication at a time (blst's single-point paths).
    fn g1_reference(points: &[blst_p1_affine], scalars: &[u8], nbits: usize) -> blst_p1_affine {
        let nbytes = nbits.div_ceil(8);
        let mut sum = blst_p1::default();
        for (point, scalar) in points.iter().zip(scalars.chunks_exact(nbytes)) {
            let mut projective = blst_p1::default();
            // SAFETY: valid points; `scalar` holds the bytes of `nbits` bits.
            unsafe {
                blst::blst_p1_from_affine(&mut projective, point);
                blst::blst_p1_mult(&mut projective, &projective, scalar.as_ptr(), nbits);
                blst::blst_p1_add_or_double(&mut sum, &sum, &projective);
            }
        }
        let mut affine = blst_p1_affine::default();
        // SAFETY: valid input and writable output.
        unsafe { blst::blst_p1_to_affine(&mut affine, &sum) };
        affine
    }

    fn g2_reference(points: &[blst_p2_affine], scalars: &[u8], nbits: usize) -> blst_p2_affine {
        let nbytes = nbits.div_ceil(8);
        let mut sum = blst_p2::default();
        for (point, scalar) in points.iter().zip(scalars.chunks_exact(nbytes)) {
            let product = g2_mul(point, scalar, nbits);
            // SAFETY: valid points; addition accepts aliased input and output.
            unsafe { blst::blst_p2_add_or_double_affine(&mut sum, &sum, &product) };
        }
        let mut affine = blst_p2_affine::default();
        // SAFETY: valid input and writable output.
        unsafe { blst::blst_p2_to_affine(&mut affine, &sum) };
        affine
    }

    /// Deterministic scalar bytes with the bits above `nbits` cleared (blst reads only
    /// `nbits`, and the reference multiplies by exactly those).
    fn scalars(n: usize, nbits: usize, salt: u8) -> Vec<u8> {
        let nbytes = nbits.div_ceil(8);
        let mut bytes: Vec<u8> = (0..n * nbytes)
            .map(|i| (i as u8).wrapping_mul(151).wrapping_add(salt) ^ 0xa5)
            .collect();
        if !nbits.is_multiple_of(8) {
            for chunk in bytes.chunks_exact_mut(nbytes) {
                chunk[nbytes - 1] &= (1u8 << (nbits % 8)) - 1;
            }
        }
        bytes
    }

    /// Every size on both sides of the fitted windows' range (12..=31 points of at most 64
    /// bits), with scalar widths that leave no, some and all bits in the top tile.
    #[test]
    fn fitted_windows_equal_one_multiplication_at_a_time() {
        let g1_all = g1_points(40);
        let g2_all = points(40);
        for n in [1usize, 2, 8, 11, 12, 15, 16, 17, 24, 31, 32, 33, 40] {
            for nbits in [1usize, 3, 8, 9, 63, 64, 65, 255] {
                let s = scalars(n, nbits, n as u8);
                assert_eq!(
                    g1(&g1_all[..n], &s, nbits),
                    g1_reference(&g1_all[..n], &s, nbits),
                    "G1, {n} points, {nbits} bits"
                );
                assert_eq!(
                    g2(&g2_all[..n], &s, nbits),
                    g2_reference(&g2_all[..n], &s, nbits),
                    "G2, {n} points, {nbits} bits"
                );
            }
        }
        assert_eq!(fitted_window(12, 64), Some(3));
        assert_eq!(fitted_window(31, 64), Some(4));
        assert_eq!(fitted_window(11, 64), None);
        assert_eq!(fitted_window(32, 64), None);
        assert_eq!(fitted_window(16, 65), None);
    }

    /// Cancellation and zero scalars through the fitted path give the point at infinity.
    #[test]
    fn fitted_windows_handle_cancellation_and_zero() {
        let base = points(1)[0];
        let mut pts = vec![base; 8];
        pts.extend(std::iter::repeat_n(g2_negate(&base), 8));
        let s: Vec<u8> = std::iter::repeat_n(0x1234_5678_9abc_def0u64.to_le_bytes(), 16)
            .flatten()
            .collect();
        assert!(g2_is_infinity(&g2(&pts, &s, 64)));
        assert!(g1_is_infinity(&g1(&g1_points(12), &[0u8; 96], 64)));
    }

    /// The bucket size taken from the point type agrees with blst's own scratch size.
    #[test]
    fn bucket_size_agrees_with_blst() {
        // SAFETY: sizeof queries have no memory preconditions.
        let (g1_blst, g2_blst) = unsafe {
            (
                blst::blst_p1s_mult_pippenger_scratch_sizeof(32) >> 3,
                blst::blst_p2s_mult_pippenger_scratch_sizeof(32) >> 3,
            )
        };
        assert_eq!(bucket_limbs::<G1>() * size_of::<limb_t>(), g1_blst);
        assert_eq!(bucket_limbs::<G2>() * size_of::<limb_t>(), g2_blst);
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
