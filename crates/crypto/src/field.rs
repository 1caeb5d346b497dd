//! Arithmetic in the BLS12-381 scalar field Fr (integers modulo the group order r), over blst's
//! Montgomery-form `blst_fr`. Used for Shamir sharing and Lagrange coefficients.
//!
//! Values may be secret (polynomial coefficients, shares), so [`Fr`] zeroizes its limbs on drop.

#![allow(unsafe_code)]

use blst::{blst_fr, blst_scalar};
use zeroize::{Zeroize, Zeroizing};

/// An element of Fr. Zeroized on drop.
#[derive(Clone)]
pub(crate) struct Fr(blst_fr);

impl Drop for Fr {
    fn drop(&mut self) {
        self.0.l.zeroize();
    }
}

impl Fr {
    /// The field element equal to `value`.
    pub(crate) fn from_u64(value: u64) -> Self {
        let limbs = [value, 0, 0, 0];
        let mut out = blst_fr::default();
        // SAFETY: `out` is a valid, writable blst_fr and `limbs` points to four u64 limbs,
        // which is what blst_fr_from_uint64 reads.
        unsafe { blst::blst_fr_from_uint64(&mut out, limbs.as_ptr()) };
        Self(out)
    }

    /// The field element equal to `value`.
    pub(crate) fn from_u128(value: u128) -> Self {
        let limbs = [value as u64, (value >> 64) as u64, 0, 0];
        let mut out = blst_fr::default();
        // SAFETY: as in `from_u64`: four u64 limbs, all below 2^128 < r.
        unsafe { blst::blst_fr_from_uint64(&mut out, limbs.as_ptr()) };
        Self(out)
    }

    /// The field element for a canonical scalar (already reduced modulo r).
    pub(crate) fn from_scalar(scalar: &blst_scalar) -> Self {
        let mut out = blst_fr::default();
        // SAFETY: both pointers reference valid, properly aligned blst values.
        unsafe { blst::blst_fr_from_scalar(&mut out, scalar) };
        Self(out)
    }

    /// A uniformly random element: 64 random bytes reduced modulo r (bias below 2^-250).
    pub(crate) fn random<R: rand::RngCore + rand::CryptoRng>(rng: &mut R) -> Self {
        let mut wide = Zeroizing::new([0u8; 64]);
        rng.fill_bytes(wide.as_mut());
        let mut scalar = Zeroizing::new(blst_scalar::default());
        // SAFETY: `scalar` is writable and `wide` holds exactly the 64 bytes passed as length.
        unsafe { blst::blst_scalar_from_be_bytes(&mut *scalar, wide.as_ptr(), wide.len()) };
        let out = Self::from_scalar(&scalar);
        scalar.b.zeroize();
        out
    }

    /// `self + other`.
    pub(crate) fn add(&self, other: &Self) -> Self {
        let mut out = blst_fr::default();
        // SAFETY: all pointers reference valid blst_fr values; blst allows any aliasing here.
        unsafe { blst::blst_fr_add(&mut out, &self.0, &other.0) };
        Self(out)
    }

    /// `self - other`.
    pub(crate) fn sub(&self, other: &Self) -> Self {
        let mut out = blst_fr::default();
        // SAFETY: as in `add`.
        unsafe { blst::blst_fr_sub(&mut out, &self.0, &other.0) };
        Self(out)
    }

    /// `self * other`.
    pub(crate) fn mul(&self, other: &Self) -> Self {
        let mut out = blst_fr::default();
        // SAFETY: as in `add`.
        unsafe { blst::blst_fr_mul(&mut out, &self.0, &other.0) };
        Self(out)
    }

    /// The multiplicative inverse, or `None` for zero. Runs blst's constant-time inversion.
    pub(crate) fn inverse(&self) -> Option<Self> {
        if self.is_zero() {
            return None;
        }
        let mut out = blst_fr::default();
        // SAFETY: both pointers reference valid blst_fr values.
        unsafe { blst::blst_fr_inverse(&mut out, &self.0) };
        Some(Self(out))
    }

    /// Whether this is the zero element (Montgomery form of zero is zero).
    pub(crate) fn is_zero(&self) -> bool {
        self.0.l.iter().fold(0u64, |acc, limb| acc | limb) == 0
    }

    /// The canonical little-endian 32-byte encoding (blst's scalar layout, as MSM expects).
    pub(crate) fn to_le_bytes(&self) -> Zeroizing<[u8; 32]> {
        let mut scalar = blst_scalar::default();
        // SAFETY: both pointers reference valid blst values.
        unsafe { blst::blst_scalar_from_fr(&mut scalar, &self.0) };
        let out = Zeroizing::new(scalar.b);
        scalar.b.zeroize();
        out
    }

    /// The canonical big-endian 32-byte encoding (the EIP-2335 / Charon secret key layout).
    pub(crate) fn to_be_bytes(&self) -> Zeroizing<[u8; 32]> {
        let mut out = self.to_le_bytes();
        out.reverse();
        out
    }
}

impl PartialEq for Fr {
    fn eq(&self, other: &Self) -> bool {
        self.sub(other).is_zero()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_identities() {
        let mut rng = rand::thread_rng();
        let a = Fr::random(&mut rng);
        let b = Fr::random(&mut rng);
        assert!(a.add(&b).sub(&b) == a);
        assert!(a.mul(&a.inverse().unwrap()) == Fr::from_u64(1));
        assert!(Fr::from_u64(0).inverse().is_none());
        assert!(Fr::from_u64(6) == Fr::from_u64(2).mul(&Fr::from_u64(3)));
        // 0 - 1 = r - 1, whose big-endian encoding starts with r's top byte 0x73.
        let minus_one = Fr::from_u64(0).sub(&Fr::from_u64(1));
        assert_eq!(
            hex::encode(*minus_one.to_be_bytes()),
            "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000000"
        );
        let mut le = *Fr::from_u64(0x0102).to_le_bytes();
        assert_eq!(&le[..3], &[2, 1, 0]);
        le.reverse();
        assert_eq!(le, *Fr::from_u64(0x0102).to_be_bytes());
    }
}
