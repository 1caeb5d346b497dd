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
