//! A proof's serde (JSON) form as a tree of numeric leaves and arrays, grouped into classes (one
//! per proof field), so tests can change every field without depending on the proof's layout.

use std::collections::BTreeMap;

use lucid_proof::{Proof, VerifyingKey, Visibility};
use serde_json::Value as Json;

use super::{Model, fixture, proof_bytes, verifies};

#[derive(Clone, Debug)]
pub enum Seg {
    Key(String),
    Index(usize),
}

pub fn walk(v: &Json, path: &mut Vec<Seg>, leaves: &mut Vec<Vec<Seg>>, arrays: &mut Vec<Vec<Seg>>) {
    match v {
        Json::Number(_) => leaves.push(path.clone()),
        Json::Array(items) => {
            arrays.push(path.clone());
            for (i, item) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                walk(item, path, leaves, arrays);
                path.pop();
            }
        }
        Json::Object(map) => {
            for (k, item) in map {
                path.push(Seg::Key(k.clone()));
                walk(item, path, leaves, arrays);
                path.pop();
            }
        }
        _ => {}
    }
}

/// The path with array indices erased, except under `layers` where the node proof's position
/// is kept (each layer proof is its own class).
pub fn pattern(path: &[Seg]) -> String {
    let mut out = Vec::new();
    for (i, s) in path.iter().enumerate() {
        out.push(match s {
            Seg::Key(k) => k.clone(),
            Seg::Index(j) if i == 1 && matches!(&path[0], Seg::Key(k) if k == "layers") => {
                j.to_string()
            }
            Seg::Index(_) => "*".to_string(),
        });
    }
    out.join("/")
}

pub fn at<'a>(v: &'a mut Json, path: &[Seg]) -> &'a mut Json {
    path.iter().fold(v, |v, s| match s {
        Seg::Key(k) => &mut v[k.as_str()],
        Seg::Index(i) => &mut v[*i],
    })
}

/// First, middle and last representative of each class.
pub fn representatives(paths: Vec<Vec<Seg>>) -> BTreeMap<String, Vec<Vec<Seg>>> {
    let mut all: BTreeMap<String, Vec<Vec<Seg>>> = BTreeMap::new();
    for p in paths {
        all.entry(pattern(&p)).or_default().push(p);
    }
    all.into_iter()
        .map(|(k, v)| {
            let mut picks = vec![v[0].clone()];
            if v.len() > 2 {
                picks.push(v[v.len() / 2].clone());
            }
            if v.len() > 1 {
                picks.push(v[v.len() - 1].clone());
            }
            (k, picks)
        })
        .collect()
}

/// Parses a mutated JSON proof; if it parses to a different proof, it must not verify.
/// Returns whether it parsed to a different proof.
pub fn json_rejected(vk: &VerifyingKey, original: &[u8], json: Json, what: &str) -> bool {
    let Ok(proof) = serde_json::from_value::<Proof>(json) else {
        return false;
    };
    if proof_bytes(&proof) == original {
        return false;
    }
    assert!(
        !verifies(vk, &proof, what),
        "mutated proof verified: {what}"
    );
    true
}

pub fn every_field_is_bound(model: Model, vis: Visibility) {
    let f = fixture(model, vis);
    let original = proof_bytes(&f.proof);
    let json = serde_json::to_value(&f.proof).expect("serialize");
    let (mut leaves, mut arrays) = (Vec::new(), Vec::new());
    walk(&json, &mut Vec::new(), &mut leaves, &mut arrays);
    let classes = representatives(leaves);
    let mut bound_classes = 0;
    let mut unparsed = Vec::new();
    for (class, paths) in &classes {
        let mut any = false;
        for path in paths {
            let x = at(&mut json.clone(), path).clone();
            let candidates: Vec<Json> = if let Some(u) = x.as_u64() {
                vec![
                    Json::from(u ^ 1),
                    Json::from(u.wrapping_add(1)),
                    Json::from(u.saturating_sub(1)),
                ]
            } else if let Some(i) = x.as_i64() {
                vec![Json::from(i + 1), Json::from(i - 1)]
            } else {
                Vec::new()
            };
            for y in candidates.into_iter().filter(|y| *y != x) {
                let mut m = json.clone();
                *at(&mut m, path) = y;
                any |= json_rejected(
                    &f.pk.vk,
                    &original,
                    m,
                    &format!("{model:?} {vis:?} {class}"),
                );
            }
        }
        if any {
            bound_classes += 1;
        } else {
            unparsed.push(class.clone());
        }
    }
    eprintln!(
        "{model:?} {vis:?}: {} leaf classes, {bound_classes} changed and rejected; never parsed: {unparsed:?}",
        classes.len()
    );
    // Every class of numbers must have at least one change that parses (and is rejected), except
    // those whose every change is refused by the parser (none expected beyond shapes/tags).
    assert!(
        bound_classes * 10 >= classes.len() * 9,
        "too few classes reachable: {unparsed:?}"
    );

    // Arrays: emptied, shortened, lengthened.
    for (class, paths) in representatives(arrays) {
        for path in paths {
            let items = at(&mut json.clone(), &path)
                .as_array()
                .expect("array")
                .clone();
            let mut variants = vec![Json::Array(Vec::new())];
            if let Some(last) = items.last() {
                let mut longer = items.clone();
                longer.push(last.clone());
                variants.push(Json::Array(longer));
                let mut shorter = items.clone();
                shorter.pop();
                variants.push(Json::Array(shorter));
            }
            for v in variants {
                let mut m = json.clone();
                *at(&mut m, &path) = v;
                json_rejected(&f.pk.vk, &original, m, &format!("resize {class}"));
            }
        }
    }
    // Optional parts dropped.
    for key in ["witness", "lookups", "witness_opening", "weights_opening"] {
        if !json[key].is_null() {
            let mut m = json.clone();
            m[key] = Json::Null;
            assert!(json_rejected(&f.pk.vk, &original, m, key), "dropping {key}");
        }
    }
    // Batching proofs dropped.
    for (i, l) in json["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .enumerate()
    {
        if !l["batch"].is_null() {
            let mut m = json.clone();
            m["layers"][i]["batch"] = Json::Null;
            assert!(json_rejected(&f.pk.vk, &original, m, "drop batch"));
        }
    }
}
