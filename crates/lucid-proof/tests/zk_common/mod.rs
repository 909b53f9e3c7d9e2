//! Helpers shared by the zero-knowledge test suites (`zk`, `zk_conv`, `zk_bytes`, …): model
//! builders and seeded inputs ([`models`]), checks of tampered proofs, wrong witnesses and
//! revealed values ([`checks`]), a panic-catching verifier, walking a proof's JSON encoding (to tamper with every
//! field or to scan every revealed number) and the χ² statistic of the indistinguishability
//! tests.

#![allow(dead_code)]

use std::panic::{AssertUnwindSafe, catch_unwind};

use lucid_core::field::{EF, F};
use lucid_proof::VerifyingKey;
use lucid_proof::zk::{self, ZkProof};
use p3_field::{BasedVectorSpace, PrimeField64};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::Value as Json;

pub mod checks;
pub mod models;

/// Deterministic pseudo-random values in `[−scale, scale]` (xorshift).
pub fn rand_vec(n: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(1);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) as f32 * scale
        })
        .collect()
}

/// The prover's randomness, seeded (tests are deterministic).
pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// Whether `proof` verifies against `vk`; a verifier panic fails the test, naming `what`.
pub fn verifies(vk: &VerifyingKey, proof: &ZkProof, what: &str) -> bool {
    match catch_unwind(AssertUnwindSafe(|| zk::verify(vk, proof, None))) {
        Ok(r) => r.is_ok(),
        Err(_) => panic!("verifier panicked on {what}"),
    }
}

/// The paths (keys and indices) of every number in a JSON value.
pub fn numeric_paths(v: &Json, path: &mut Vec<Json>, out: &mut Vec<Vec<Json>>) {
    match v {
        Json::Number(_) => out.push(path.clone()),
        Json::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Json::from(i));
                numeric_paths(item, path, out);
                path.pop();
            }
        }
        Json::Object(map) => {
            for (k, item) in map {
                path.push(Json::from(k.clone()));
                numeric_paths(item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// The value at a path of [`numeric_paths`].
pub fn at<'a>(v: &'a mut Json, path: &[Json]) -> &'a mut Json {
    path.iter().fold(v, |v, s| match s {
        Json::String(k) => &mut v[k.as_str()],
        Json::Number(i) => &mut v[i.as_u64().expect("index") as usize],
        _ => unreachable!("paths hold keys and indices"),
    })
}

/// Every unsigned number in a JSON value.
pub fn all_numbers(v: &Json, out: &mut Vec<u64>) {
    match v {
        Json::Number(n) => out.extend(n.as_u64()),
        Json::Array(items) => items.iter().for_each(|i| all_numbers(i, out)),
        Json::Object(map) => map.values().for_each(|i| all_numbers(i, out)),
        _ => {}
    }
}

/// The first base-field coordinate of an extension-field element (as it appears in the JSON
/// encoding).
pub fn first_limb(e: EF) -> u64 {
    <EF as BasedVectorSpace<F>>::as_basis_coefficients_slice(&e)[0].as_canonical_u64()
}

/// Chi-square statistic of a 2 × k contingency table.
pub fn chi_square(a: &[u64], b: &[u64]) -> f64 {
    let (na, nb) = (a.iter().sum::<u64>() as f64, b.iter().sum::<u64>() as f64);
    let mut chi = 0.0;
    for (&x, &y) in a.iter().zip(b) {
        let col = (x + y) as f64;
        if col == 0.0 {
            continue;
        }
        for (obs, n) in [(x as f64, na), (y as f64, nb)] {
            let exp = col * n / (na + nb);
            chi += (obs - exp).powi(2) / exp;
        }
    }
    chi
}
