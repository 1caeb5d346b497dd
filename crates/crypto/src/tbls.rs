//! Threshold BLS: Shamir sharing of a BLS secret key over the scalar field, and Lagrange
//! interpolation at x = 0 of secrets (in Fr), public keys (G1) and signatures (G2).
//!
//! A share's x-coordinate is its [`ShareIndex`] (Charon: operator position + 1; SSV: operator
//! id). Interpolation of points uses one multi-scalar multiplication, not one scalar
//! multiplication per share. When more shares than the threshold are given, the `threshold`
//! shares with the smallest indices are used; callers verify partial signatures first.

use std::collections::BTreeMap;

use crate::bls::{PublicKey, SecretKey, Signature};
use crate::field::Fr;
use crate::{msm, Error};

/// A share's x-coordinate: 1-based (Charon share index; for SSV, the operator id). Never 0.
pub type ShareIndex = u64;

/// Bit length of a scalar-field element (r < 2^255).
const SCALAR_BITS: usize = 255;

/// Splits `secret` into `total` shares at indices `1..=total`, any `threshold` of which
/// recover it.
pub fn split(
    secret: &SecretKey,
    total: u64,
    threshold: u64,
) -> Result<BTreeMap<ShareIndex, SecretKey>, Error> {
    let indices: Vec<ShareIndex> = (1..=total).collect();
    split_at(secret, &indices, threshold)
}

/// Splits `secret` into shares at the given x-coordinates (nonzero, distinct), any `threshold`
/// of which recover it. The polynomial's other coefficients are fresh random field elements.
pub fn split_at(
    secret: &SecretKey,
    indices: &[ShareIndex],
    threshold: u64,
) -> Result<BTreeMap<ShareIndex, SecretKey>, Error> {
    let count = indices.len() as u64;
    if threshold == 0 || threshold > count {
        return Err(Error::InvalidThreshold {
            threshold,
            shares: count,
        });
    }
    check_indices(indices.iter().copied())?;

    let mut rng = rand::rngs::OsRng;
    let mut coefficients = Vec::with_capacity(threshold as usize);
    coefficients.push(Fr::from_scalar(secret.as_blst_scalar()));
    for _ in 1..threshold {
        coefficients.push(Fr::random(&mut rng));
    }

    let mut shares = BTreeMap::new();
    for &index in indices {
        let x = Fr::from_u64(index);
        // Horner's rule from the highest coefficient down.
        let mut value = Fr::from_u64(0);
        for coefficient in coefficients.iter().rev() {
            value = value.mul(&x).add(coefficient);
        }
        let share =
            SecretKey::from_bytes(value.to_be_bytes().as_ref()).map_err(|_| Error::Degenerate {
                what: "share (the polynomial is zero at this index)",
            })?;
        shares.insert(index, share);
    }
    Ok(shares)
}

/// The public key of every share.
pub fn public_shares(shares: &BTreeMap<ShareIndex, SecretKey>) -> BTreeMap<ShareIndex, PublicKey> {
    shares
        .iter()
        .map(|(index, share)| (*index, share.public_key()))
        .collect()
}

/// Recovers the secret from at least `threshold` shares (Lagrange interpolation at 0 in Fr).
pub fn recover_secret(
    shares: &BTreeMap<ShareIndex, SecretKey>,
    threshold: u64,
) -> Result<SecretKey, Error> {
    let chosen = choose(shares, threshold)?;
    let indices: Vec<ShareIndex> = chosen.iter().map(|(index, _)| *index).collect();
    let coefficients = lagrange_at_zero(&indices)?;
    let mut secret = Fr::from_u64(0);
    for ((_, share), coefficient) in chosen.iter().zip(&coefficients) {
        secret = secret.add(&Fr::from_scalar(share.as_blst_scalar()).mul(coefficient));
    }
    SecretKey::from_bytes(secret.to_be_bytes().as_ref()).map_err(|_| Error::Degenerate {
        what: "secret (interpolated to zero)",
    })
}

/// Recovers the group public key from at least `threshold` public shares (Lagrange in G1, one
/// multi-scalar multiplication).
pub fn recover_public_key(
    shares: &BTreeMap<ShareIndex, PublicKey>,
    threshold: u64,
) -> Result<PublicKey, Error> {
    let chosen = choose(shares, threshold)?;
    let indices: Vec<ShareIndex> = chosen.iter().map(|(index, _)| *index).collect();
    let scalars = lagrange_scalars_le(&indices)?;
    let points: Vec<blst::blst_p1_affine> = chosen.iter().map(|(_, pk)| *pk.as_affine()).collect();
    PublicKey::from_affine(msm::g1(&points, &scalars, SCALAR_BITS)).map_err(|_| Error::Degenerate {
        what: "public key (the point at infinity)",
    })
}

/// Combines at least `threshold` partial signatures over the same message into the group
/// signature (Lagrange in G2). Partial signatures are not verified here.
///
/// For the small share indices of real clusters, the Lagrange coefficients are fractions of
/// small integers: `λ_i = a_i / d`. The combination is then `(Σ a_i·σ_i) · d⁻¹`, one
/// multi-scalar multiplication with few-bit scalars and, unless `d = 1` (as for shares 1, 2, 3),
/// one full-width multiplication, instead of a full-width multiplication per share. Other index
/// sets use the full-width coefficients; both give the same point.
pub fn combine_signatures(
    partials: &BTreeMap<ShareIndex, Signature>,
    threshold: u64,
) -> Result<Signature, Error> {
    let chosen = choose(partials, threshold)?;
    let indices: Vec<ShareIndex> = chosen.iter().map(|(index, _)| *index).collect();
    let points: Vec<blst::blst_p2_affine> =
        chosen.iter().map(|(_, sig)| *sig.as_affine()).collect();
    let combined = match IntegerLagrange::at_zero(&indices).and_then(|l| l.combine_g2(&points)) {
        Some(combined) => combined,
        None => msm::g2(&points, &lagrange_scalars_le(&indices)?, SCALAR_BITS),
    };
    Signature::from_affine(combined).map_err(|_| Error::Degenerate {
        what: "signature (the point at infinity)",
    })
}

/// Numerators up to this many bits are combined by a joint double-and-add
/// ([`msm::g2_small`]), wider ones by [`msm::g2`].
const SMALL_SCALAR_BITS: usize = 8;

/// Lagrange coefficients at 0 over the integers: `λ_i = numerators[i] / denominator`, with
/// `denominator > 0` the least common denominator.
#[derive(Debug, PartialEq, Eq)]
struct IntegerLagrange {
    numerators: Vec<i128>,
    denominator: u128,
}

impl IntegerLagrange {
    /// The coefficients for distinct nonzero `xs`, or `None` if there are none or an
    /// intermediate product overflows i128.
    fn at_zero(xs: &[ShareIndex]) -> Option<Self> {
        // λ_i = Π_{j≠i} x_j / Π_{j≠i} (x_j − x_i), each fraction kept in lowest terms.
        let mut fractions = Vec::with_capacity(xs.len());
        for (i, xi) in xs.iter().enumerate() {
            let xi = i128::from(*xi);
            let (mut numerator, mut denominator) = (1i128, 1i128);
            for (j, xj) in xs.iter().enumerate() {
                if i == j {
                    continue;
                }
                let xj = i128::from(*xj);
                numerator = numerator.checked_mul(xj)?;
                denominator = denominator.checked_mul(xj.checked_sub(xi)?)?;
                if denominator == 0 {
                    return None;
                }
                let divisor = gcd(numerator.unsigned_abs(), denominator.unsigned_abs());
                let divisor = i128::try_from(divisor).ok()?;
                numerator /= divisor;
                denominator /= divisor;
            }
            if denominator < 0 {
                numerator = numerator.checked_neg()?;
                denominator = denominator.checked_neg()?;
            }
            fractions.push((numerator, denominator.unsigned_abs()));
        }
        let denominator = fractions
            .iter()
            .try_fold(1u128, |lcm, (_, d)| (lcm / gcd(lcm, *d)).checked_mul(*d))?;
        let numerators = fractions
            .iter()
            .map(|(numerator, d)| numerator.checked_mul(i128::try_from(denominator / d).ok()?))
            .collect::<Option<Vec<i128>>>()?;
        (!numerators.is_empty()).then_some(Self {
            numerators,
            denominator,
        })
    }

    /// `Σ λ_i · points[i]` in G2 (`None` only if the denominator had no inverse, which a
    /// nonzero integer below 2^128 < r always has).
    fn combine_g2(&self, points: &[blst::blst_p2_affine]) -> Option<blst::blst_p2_affine> {
        // Bits of the widest numerator (at most 128, as they are i128), at least 1.
        let nbits = self
            .numerators
            .iter()
            .map(|n| 128 - n.unsigned_abs().leading_zeros())
            .max()
            .unwrap_or(0)
            .max(1) as usize;
        let signed_points: Vec<blst::blst_p2_affine> = self
            .numerators
            .iter()
            .zip(points)
            .map(|(numerator, point)| {
                if *numerator < 0 {
                    msm::g2_negate(point)
                } else {
                    *point
                }
            })
            .collect();
        let sum = if nbits <= SMALL_SCALAR_BITS {
            let scalars: Vec<u128> = self.numerators.iter().map(|n| n.unsigned_abs()).collect();
            msm::g2_small(&signed_points, &scalars, nbits)
        } else {
            let nbytes = nbits.div_ceil(8);
            let scalars: Vec<u8> = self
                .numerators
                .iter()
                .flat_map(|n| n.unsigned_abs().to_le_bytes().into_iter().take(nbytes))
                .collect();
            msm::g2(&signed_points, &scalars, nbits)
        };
        if self.denominator == 1 {
            return Some(sum);
        }
        let inverse = Fr::from_u128(self.denominator).inverse()?;
        Some(msm::g2_mul(
            &sum,
            inverse.to_le_bytes().as_ref(),
            SCALAR_BITS,
        ))
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The `threshold` entries with the smallest indices, after checking the threshold and indices.
fn choose<V>(
    map: &BTreeMap<ShareIndex, V>,
    threshold: u64,
) -> Result<Vec<(ShareIndex, &V)>, Error> {
    let available = map.len() as u64;
    if threshold == 0 {
        return Err(Error::InvalidThreshold {
            threshold,
            shares: available,
        });
    }
    if available < threshold {
        return Err(Error::NotEnoughShares {
            threshold,
            available,
        });
    }
    check_indices(map.keys().copied())?;
    Ok(map
        .iter()
        .take(threshold as usize)
        .map(|(index, value)| (*index, value))
        .collect())
}

fn check_indices(indices: impl Iterator<Item = ShareIndex>) -> Result<(), Error> {
    let mut seen = std::collections::BTreeSet::new();
    for index in indices {
        if index == 0 {
            return Err(Error::ZeroShareIndex);
        }
        if !seen.insert(index) {
            return Err(Error::DuplicateShareIndex { index });
        }
    }
    Ok(())
}

/// Lagrange basis polynomials at 0 for distinct nonzero `xs`:
/// `λ_i = Π_{j≠i} x_j / (x_j − x_i)`, with one field inversion for all denominators.
fn lagrange_at_zero(xs: &[ShareIndex]) -> Result<Vec<Fr>, Error> {
    check_indices(xs.iter().copied())?;
    let points: Vec<Fr> = xs.iter().map(|x| Fr::from_u64(*x)).collect();
    let mut numerators = Vec::with_capacity(xs.len());
    let mut denominators = Vec::with_capacity(xs.len());
    for (i, xi) in points.iter().enumerate() {
        let mut numerator = Fr::from_u64(1);
        let mut denominator = Fr::from_u64(1);
        for (j, xj) in points.iter().enumerate() {
            if i != j {
                numerator = numerator.mul(xj);
                denominator = denominator.mul(&xj.sub(xi));
            }
        }
        numerators.push(numerator);
        denominators.push(denominator);
    }
    let inverses = batch_invert(&denominators).ok_or(Error::Degenerate {
        what: "Lagrange denominator (zero)",
    })?;
    Ok(numerators
        .iter()
        .zip(&inverses)
        .map(|(numerator, inverse)| numerator.mul(inverse))
        .collect())
}

/// Lagrange coefficients at 0 as contiguous 32-byte little-endian scalars (MSM layout).
fn lagrange_scalars_le(xs: &[ShareIndex]) -> Result<Vec<u8>, Error> {
    let coefficients = lagrange_at_zero(xs)?;
    let mut out = Vec::with_capacity(coefficients.len() * 32);
    for coefficient in &coefficients {
        out.extend_from_slice(coefficient.to_le_bytes().as_ref());
    }
    Ok(out)
}

/// Montgomery's batch inversion: every element's inverse with a single field inversion.
/// `None` if any element is zero.
fn batch_invert(values: &[Fr]) -> Option<Vec<Fr>> {
    let mut prefix = Vec::with_capacity(values.len() + 1);
    prefix.push(Fr::from_u64(1));
    for value in values {
        let next = prefix.last()?.mul(value);
        prefix.push(next);
    }
    let mut running = prefix.last()?.inverse()?;
    let mut inverses: Vec<Fr> = Vec::with_capacity(values.len());
    for (value, before) in values.iter().zip(&prefix).rev() {
        inverses.push(running.mul(before));
        running = running.mul(value);
    }
    inverses.reverse();
    Some(inverses)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lagrange_coefficients_sum_to_one() {
        // Interpolating the constant polynomial 1 gives 1 at zero.
        for xs in [
            vec![1u64, 2, 3],
            vec![2, 5, 9, 11],
            vec![7],
            vec![1, 1000, u64::MAX],
        ] {
            let coefficients = lagrange_at_zero(&xs).unwrap();
            let sum = coefficients
                .iter()
                .fold(Fr::from_u64(0), |acc, c| acc.add(c));
            assert!(sum == Fr::from_u64(1), "{xs:?}");
        }
        // λ for {1, 2} is (2, -1).
        let c = lagrange_at_zero(&[1, 2]).unwrap();
        assert!(c[0] == Fr::from_u64(2));
        assert!(c[1] == Fr::from_u64(0).sub(&Fr::from_u64(1)));
    }

    #[test]
    fn batch_inversion_matches_single() {
        let values: Vec<Fr> = (1..6u64).map(Fr::from_u64).collect();
        let inverses = batch_invert(&values).unwrap();
        for (v, inv) in values.iter().zip(&inverses) {
            assert!(v.mul(inv) == Fr::from_u64(1));
        }
        assert!(batch_invert(&[Fr::from_u64(3), Fr::from_u64(0)]).is_none());
    }

    #[test]
    fn split_rejections() {
        let secret = SecretKey::random();
        assert!(matches!(
            split(&secret, 4, 0),
            Err(Error::InvalidThreshold { threshold: 0, .. })
        ));
        assert!(matches!(
            split(&secret, 4, 5),
            Err(Error::InvalidThreshold { threshold: 5, .. })
        ));
        assert!(matches!(
            split(&secret, 0, 1),
            Err(Error::InvalidThreshold { .. })
        ));
        assert_eq!(split(&secret, 4, 4).unwrap().len(), 4);
        assert_eq!(split(&secret, 4, 1).unwrap().len(), 4);
        assert!(matches!(
            split_at(&secret, &[1, 0, 3], 2),
            Err(Error::ZeroShareIndex)
        ));
        assert!(matches!(
            split_at(&secret, &[5, 9, 5], 2),
            Err(Error::DuplicateShareIndex { index: 5 })
        ));
        let shares = split_at(&secret, &[5, 9, 1_000_000], 2).unwrap();
        assert_eq!(
            shares.keys().copied().collect::<Vec<_>>(),
            vec![5, 9, 1_000_000]
        );
    }

    #[test]
    fn threshold_one_shares_equal_the_secret() {
        let secret = SecretKey::random();
        for share in split(&secret, 3, 1).unwrap().values() {
            assert_eq!(*share.to_bytes(), *secret.to_bytes());
        }
    }

    #[test]
    fn recovery_rejections() {
        let secret = SecretKey::random();
        let shares = split(&secret, 4, 3).unwrap();
        let two: BTreeMap<_, _> = shares
            .iter()
            .take(2)
            .map(|(i, s)| (*i, s.clone()))
            .collect();
        assert!(matches!(
            recover_secret(&two, 3),
            Err(Error::NotEnoughShares {
                threshold: 3,
                available: 2
            })
        ));
        assert!(matches!(
            recover_secret(&shares, 0),
            Err(Error::InvalidThreshold { .. })
        ));
        let mut with_zero = shares.clone();
        let first = with_zero.remove(&1).unwrap();
        with_zero.insert(0, first);
        assert!(matches!(
            recover_secret(&with_zero, 3),
            Err(Error::ZeroShareIndex)
        ));
        let publics = public_shares(&shares);
        let mut publics_zero = publics.clone();
        publics_zero.insert(0, publics[&1]);
        assert!(matches!(
            recover_public_key(&publics_zero, 3),
            Err(Error::ZeroShareIndex)
        ));
        let partials: BTreeMap<_, _> = shares.iter().map(|(i, s)| (*i, s.sign(b"m"))).collect();
        let two_partials: BTreeMap<_, _> = partials.iter().take(2).map(|(i, s)| (*i, *s)).collect();
        assert!(matches!(
            combine_signatures(&two_partials, 3),
            Err(Error::NotEnoughShares { .. })
        ));
        // One step inside the boundary: exactly threshold works.
        let three: BTreeMap<_, _> = partials.iter().take(3).map(|(i, s)| (*i, *s)).collect();
        assert!(combine_signatures(&three, 3)
            .unwrap()
            .verify(&secret.public_key(), b"m"));
    }

    #[test]
    fn inconsistent_partials_give_a_wrong_signature() {
        let secret = SecretKey::random();
        let shares = split(&secret, 4, 3).unwrap();
        let mut partials: BTreeMap<_, _> = shares.iter().map(|(i, s)| (*i, s.sign(b"m"))).collect();
        partials.insert(2, shares[&2].sign(b"other"));
        let combined = combine_signatures(&partials, 3).unwrap();
        assert!(!combined.verify(&secret.public_key(), b"m"));
    }

    #[test]
    fn integer_lagrange_coefficients_of_small_index_sets() {
        // Shares 1, 2, 3: λ = 3, −3, 1 with no denominator.
        assert_eq!(
            IntegerLagrange::at_zero(&[1, 2, 3]),
            Some(IntegerLagrange {
                numerators: vec![3, -3, 1],
                denominator: 1
            })
        );
        // Shares 1, 2, 4: λ = 8/3, −2, 1/3.
        assert_eq!(
            IntegerLagrange::at_zero(&[1, 2, 4]),
            Some(IntegerLagrange {
                numerators: vec![8, -6, 1],
                denominator: 3
            })
        );
        assert_eq!(
            IntegerLagrange::at_zero(&[7]),
            Some(IntegerLagrange {
                numerators: vec![1],
                denominator: 1
            })
        );
        // Products that overflow 128 bits take the full-width path.
        assert_eq!(
            IntegerLagrange::at_zero(&[u64::MAX - 2, u64::MAX - 1, u64::MAX]),
            None
        );
    }

    /// Every nonempty subset of shares 1..=n (n ≤ 10) and some large indices: the integer
    /// coefficients equal the field coefficients, and both combinations give the same point.
    #[test]
    fn integer_and_full_width_combinations_agree() {
        let mut sets: Vec<Vec<u64>> = (1u32..1 << 10).map(|mask| subset(10, mask)).collect();
        sets.push(vec![1, 5, 9, 13, 16]);
        sets.push((1..=16).collect());
        sets.push((1..=11).map(|i| i * 3).collect());
        sets.push(vec![1, 1 << 40, 1 << 41]);
        let mut integer_path = 0;
        for set in &sets {
            let field = lagrange_at_zero(set).unwrap();
            let Some(integer) = IntegerLagrange::at_zero(set) else {
                continue;
            };
            integer_path += 1;
            let inverse = Fr::from_u128(integer.denominator).inverse().unwrap();
            for (numerator, expected) in integer.numerators.iter().zip(&field) {
                let magnitude = Fr::from_u128(numerator.unsigned_abs());
                let value = if *numerator < 0 {
                    Fr::from_u64(0).sub(&magnitude)
                } else {
                    magnitude
                };
                assert_eq!(
                    *value.mul(&inverse).to_le_bytes(),
                    *expected.to_le_bytes(),
                    "{set:?}"
                );
            }
            // Combining in G2 (one subset of each size is enough for the costly part).
            if set.len() <= 3 || set.len() >= 10 || set.len() == 5 {
                let points: Vec<blst::blst_p2_affine> = set
                    .iter()
                    .map(|i| *SecretKey::random().sign(&i.to_le_bytes()).as_affine())
                    .collect();
                let full = msm::g2(&points, &lagrange_scalars_le(set).unwrap(), SCALAR_BITS);
                assert_eq!(integer.combine_g2(&points), Some(full), "{set:?}");
            }
        }
        assert!(
            integer_path >= 1023,
            "the small index sets take the integer path"
        );
    }

    fn subset(n: u64, mask: u32) -> Vec<u64> {
        (1..=n).filter(|i| mask & (1 << (i - 1)) != 0).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]

        #[test]
        fn any_threshold_subset_recovers(
            n in 1u64..=7,
            t_seed in any::<u64>(),
            mask in any::<u32>(),
            message in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let t = 1 + t_seed % n;
            let secret = SecretKey::random();
            let group_key = secret.public_key();
            let shares = split(&secret, n, t).unwrap();
            let publics = public_shares(&shares);

            // A subset of at least t indices, derived from the mask.
            let mut chosen = subset(n, mask);
            for i in 1..=n {
                if chosen.len() as u64 >= t { break; }
                if !chosen.contains(&i) { chosen.push(i); }
            }
            chosen.sort_unstable();
            let picked: BTreeMap<_, _> = chosen.iter().map(|i| (*i, shares[i].clone())).collect();
            prop_assert_eq!(*recover_secret(&picked, t).unwrap().to_bytes(), *secret.to_bytes());

            let picked_publics: BTreeMap<_, _> = chosen.iter().map(|i| (*i, publics[i])).collect();
            prop_assert_eq!(recover_public_key(&picked_publics, t).unwrap(), group_key);

            let partials: BTreeMap<_, _> =
                chosen.iter().map(|i| (*i, shares[i].sign(&message))).collect();
            for (i, partial) in &partials {
                prop_assert!(partial.verify(&publics[i], &message));
            }
            let combined = combine_signatures(&partials, t).unwrap();
            prop_assert_eq!(combined, secret.sign(&message));

            // Fewer than t shares: an error with the true threshold, and a different secret if
            // the caller under-states the threshold.
            if t > 1 {
                let fewer: BTreeMap<_, _> =
                    picked.iter().take(t as usize - 1).map(|(i, s)| (*i, s.clone())).collect();
                let not_enough = matches!(
                    recover_secret(&fewer, t),
                    Err(Error::NotEnoughShares { .. })
                );
                prop_assert!(not_enough);
                if let Ok(wrong) = recover_secret(&fewer, t - 1) {
                    prop_assert_ne!(*wrong.to_bytes(), *secret.to_bytes());
                }
                let fewer_partials: BTreeMap<_, _> =
                    partials.iter().take(t as usize - 1).map(|(i, s)| (*i, *s)).collect();
                if let Ok(wrong) = combine_signatures(&fewer_partials, t - 1) {
                    prop_assert!(!wrong.verify(&group_key, &message));
                }
            }
        }

        #[test]
        fn arbitrary_indices_recover(
            raw in proptest::collection::btree_set(1u64..u64::MAX, 2..6),
            t_seed in any::<u64>(),
        ) {
            let indices: Vec<u64> = raw.into_iter().collect();
            let t = 1 + t_seed % indices.len() as u64;
            let secret = SecretKey::random();
            let shares = split_at(&secret, &indices, t).unwrap();
            // The last t shares (largest indices).
            let tail: BTreeMap<_, _> =
                shares.iter().rev().take(t as usize).map(|(i, s)| (*i, s.clone())).collect();
            prop_assert_eq!(*recover_secret(&tail, t).unwrap().to_bytes(), *secret.to_bytes());
        }
    }
}
