//! The element-wise product of two private tensors `Z = X ⊙ Y` (numpy broadcasting; `X ⊙ X`
//! for a square) in zero-knowledge mode: one relation of component 4, shared by the prover and
//! the verifier.
//!
//! With `X̂`, `Ŷ` the operands broadcast to `Z`'s padded layout (zero padding), a claim
//! `Z'(c0, r) = v` is the relation over `z ∈ {0,1}^{n_Z}`
//!
//! ```text
//! Z'(c0, r) = (1 − c0)·Σ_z eq(r, z)·X̂(z)·Ŷ(z) + c0·R_Z(r)
//! ```
//!
//! with the public `eq(r, ·)` and the blinded operands `[X̂ ; R̂_X]`, `[Ŷ ; R̂_Y]` (the masks
//! broadcast the same way), and a committed output mask `R_Z` (as a matrix product's). A square
//! names its one operand twice (`X̂·X̂`), so it reveals one operand value, not two equal ones.
//! Degree 4 with the selector, `n_Z + 1` variables.
//!
//! The relation ends in `X̂'(c*, z*) = e_X` (and `e_Y`) and `R_Z(z*)`. Broadcasting is
//! `X̂'(c, z) = f_X(z)·X'(c, p_X(z))` (`p_X` the kept coordinates, `f_X` the broadcast
//! dimensions' selectors, [`Broadcast::project`]), so each value becomes the claim
//! `X'(c*, p_X) = e_X / f_X` on the operand (rejected if `f_X = 0`, which an honest point hits
//! with probability `≤ n_Z/|EF|`).
//!
//! **Reveals** `e_X`, `e_Y` (one query each to `R_X`, `R_Y` at `c* ≠ 0`), `R_Z(z*)` (one query
//! to the committed mask) and the ZK sumcheck's messages: simulatable as every relation
//! (`lucid_core::sumcheck::zk_relation::simulate_relation`), from the statement alone.

use lucid_core::field::{EF, F};
use lucid_core::sumcheck::ProductTerm;
use lucid_core::sumcheck::zk_relation::{BlindedClaim, RelationShape};
use lucid_model::quant::{QGraph, QOp};
use p3_field::{Field, PrimeCharacteristicRing};

use crate::layout::{Broadcast, PaddedShape};

/// An element-wise product of two activations (neither a weight nor a constant).
#[derive(Clone, Debug)]
pub struct ZkProduct {
    /// The distinct operand nodes (one for a square) and their broadcasts to the output.
    operands: Vec<(usize, Broadcast)>,
    /// The output's padded variables.
    vars: usize,
}

impl ZkProduct {
    /// The product of node `id`, or why zero-knowledge mode cannot prove it this way.
    pub fn new(graph: &QGraph, id: usize) -> Result<Self, String> {
        let node = &graph.nodes[id];
        if !matches!(node.op, QOp::Mul) || node.inputs.len() != 2 {
            return Err("not a product of two operands".into());
        }
        if node
            .inputs
            .iter()
            .any(|&i| matches!(graph.nodes[i].op, QOp::Const(_)))
        {
            return Err("a product with a constant operand".into());
        }
        let mut operands = Vec::with_capacity(2);
        for &i in &node.inputs {
            if operands.iter().any(|(n, _)| *n == i) {
                continue;
            }
            let b =
                Broadcast::new(&graph.nodes[i].shape, &node.shape).map_err(|e| e.to_string())?;
            operands.push((i, b));
        }
        Ok(Self {
            operands,
            vars: PaddedShape::new(&node.shape).num_vars(),
        })
    }

    /// The distinct operand nodes, in relation order.
    pub fn operand_nodes(&self) -> Vec<usize> {
        self.operands.iter().map(|(n, _)| *n).collect()
    }

    /// The relation's sumcheck variables: `n_Z + 1`.
    pub fn sumcheck_vars(&self) -> usize {
        self.vars + 1
    }

    /// The relation's sumcheck degree (with the selector): 4.
    pub fn degree(&self) -> usize {
        self.shape(BlindedClaim::new(
            EF::ZERO,
            vec![EF::ZERO; self.vars],
            EF::ZERO,
        ))
        .degree()
    }

    /// The relation reducing `claim`: `Σ_z X̂(z)·Ŷ(z)·eq(r, z)` (`X̂·X̂·eq` for a square).
    pub fn shape(&self, claim: BlindedClaim) -> RelationShape {
        let k = self.operands.len();
        let factors = if k == 1 { vec![0, 0, 1] } else { vec![0, 1, 2] };
        RelationShape {
            claim,
            num_vars: self.vars,
            num_operands: k,
            num_public: 1,
            terms: vec![ProductTerm {
                coeff: EF::ONE,
                factors,
            }],
        }
    }

    /// Operand `k`'s blinded table `[X̂ ; R̂_X]` over `(c, z)`, from its padded values and mask.
    pub fn operand_table(&self, k: usize, values: &[F], mask: &[F]) -> Vec<EF> {
        let b = &self.operands[k].1;
        [b.expand(values), b.expand(mask)].concat()
    }

    /// The claims `X'(c*, p_X) = e_X / f_X` on the operands, from the relation's operand point
    /// `z*`, challenge `c*` and operand values.
    pub fn operand_claims(
        &self,
        c: EF,
        z: &[EF],
        evals: &[EF],
    ) -> Result<Vec<(usize, BlindedClaim)>, String> {
        if evals.len() != self.operands.len() {
            return Err(format!(
                "a product has {} operand values, got {}",
                self.operands.len(),
                evals.len()
            ));
        }
        self.operands
            .iter()
            .zip(evals)
            .map(|((n, b), &e)| {
                let (p, f) = b.project(z).map_err(|e| e.to_string())?;
                let inv = f
                    .try_inverse()
                    .ok_or("a broadcast selector vanishes at the relation's point")?;
                Ok((*n, BlindedClaim::new(c, p, e * inv)))
            })
            .collect()
    }
}
