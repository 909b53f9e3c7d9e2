//! Completeness and soundness tests of the layer protocols: every operator's output is computed
//! by `lucid_model::int_eval` on a one-node graph, a random claim on its padded MLE is proved and
//! verified, and the operand claims are checked against the operands' true evaluations.

mod linear;
mod movement;

use lucid_core::field::EF;
use lucid_core::mle::EvalClaim;
use lucid_core::transcript::{StatementTranscript, Transcript};
use lucid_model::int_eval;
use lucid_model::quant::interval::Interval;
use lucid_model::quant::{QGraph, QKind, QNode, QOp, QuantConfig};
use lucid_model::tensor::Tensor;
use p3_field::PrimeCharacteristicRing;
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

use super::{LayerError, LayerProof, OperandClaim, index_operands, prove_node, verify_node};
use crate::layout::{PaddedShape, PaddedTensor};

pub(super) fn transcript() -> Transcript {
    StatementTranscript::new(b"layers-test").finish()
}

fn qnode(name: &str, op: QOp, inputs: Vec<usize>, shape: Vec<usize>) -> QNode {
    QNode {
        name: name.into(),
        source: 0,
        op,
        inputs,
        shape,
        kind: QKind::Int,
        scale: 0,
        range: Interval::new(-(1i128 << 62), 1i128 << 62),
    }
}

/// A one-node instance: the node, its operands and its output as computed by `int_eval`.
pub(super) struct Case {
    pub node: QNode,
    pub operands: Vec<Tensor<i64>>,
    pub output: Tensor<i64>,
}

/// Random operand values in `[-40, 40]`.
pub(super) fn rand_tensor(rng: &mut SmallRng, shape: &[usize]) -> Tensor<i64> {
    let n = shape.iter().product();
    Tensor::new(
        shape.to_vec(),
        (0..n).map(|_| rng.random_range(-40..=40)).collect(),
    )
    .expect("length matches")
}

/// Runs `op` on `operands` with the integer interpreter (output shape `out_shape`).
pub(super) fn case(op: QOp, operands: Vec<Tensor<i64>>, out_shape: &[usize]) -> Case {
    let mut nodes: Vec<QNode> = operands
        .iter()
        .enumerate()
        .map(|(i, t)| {
            qnode(
                &format!("c{i}"),
                QOp::Const(t.clone()),
                vec![],
                t.shape().to_vec(),
            )
        })
        .collect();
    let node = qnode("op", op, (0..operands.len()).collect(), out_shape.to_vec());
    nodes.push(node.clone());
    let g = QGraph {
        nodes,
        inputs: vec![],
        outputs: vec![],
        ir_map: vec![],
        config: QuantConfig::default(),
    };
    let w = int_eval::run(&g, &[]).expect("the integer interpreter runs the node");
    let output = w.tensors.last().expect("one node").clone();
    Case {
        node,
        operands,
        output,
    }
}

impl Case {
    fn padded(&self) -> Vec<PaddedTensor> {
        self.operands
            .iter()
            .map(|t| PaddedTensor::from_tensor(t.shape(), t))
            .collect()
    }

    pub fn consts(&self) -> Vec<Option<&Tensor<i64>>> {
        let idx = index_operands(&self.node.op);
        (0..self.operands.len())
            .map(|i| idx.contains(&i).then_some(&self.operands[i]))
            .collect()
    }

    pub fn shapes(&self) -> Vec<PaddedShape> {
        self.operands
            .iter()
            .map(|t| PaddedShape::new(t.shape()))
            .collect()
    }

    /// A random claim on the output (true value).
    pub fn claim(&self, rng: &mut SmallRng) -> EvalClaim {
        let out = PaddedTensor::from_tensor(self.output.shape(), &self.output);
        let point: Vec<EF> = (0..out.shape.num_vars()).map(|_| rng.random()).collect();
        let value = out.eval(&point);
        EvalClaim::new(point, value)
    }

    pub fn prove(&self, claim: &EvalClaim) -> Result<(LayerProof, Vec<OperandClaim>), LayerError> {
        let padded = self.padded();
        let refs: Vec<&PaddedTensor> = padded.iter().collect();
        prove_node(&self.node, &refs, &self.consts(), claim, &mut transcript())
    }

    pub fn verify(
        &self,
        claim: &EvalClaim,
        proof: &LayerProof,
    ) -> Result<Vec<OperandClaim>, LayerError> {
        verify_node(
            &self.node,
            &self.shapes(),
            &self.consts(),
            claim,
            proof,
            &mut transcript(),
        )
    }

    /// Whether every operand claim is true.
    pub fn claims_hold(&self, claims: &[OperandClaim]) -> bool {
        let padded = self.padded();
        claims
            .iter()
            .all(|c| padded[c.operand].eval(&c.claim.point) == c.claim.value)
    }

    /// Completeness and soundness checks on this case.
    pub fn check(&self, seed: u64) {
        let mut rng = SmallRng::seed_from_u64(seed);
        let claim = self.claim(&mut rng);
        let (proof, pc) = self.prove(&claim).expect("the prover runs");
        let vc = self
            .verify(&claim, &proof)
            .expect("an honest proof verifies");
        assert_eq!(pc, vc, "prover and verifier agree on the operand claims");
        assert!(self.claims_hold(&vc), "operand claims are true");
        let idx = index_operands(&self.node.op);
        assert!(vc.iter().all(|c| !idx.contains(&c.operand)));

        // A wrong output claim: proved as well as the prover can, or checked against the honest
        // proof, it is rejected or leaves a false operand claim.
        let mut bad = claim.clone();
        bad.value += EF::ONE;
        let (bad_proof, _) = self.prove(&bad).expect("the prover runs");
        for p in [&bad_proof, &proof] {
            match self.verify(&bad, p) {
                Err(_) => {}
                Ok(c) => assert!(!self.claims_hold(&c), "a false claim was accepted"),
            }
        }

        // Every changed proof element is rejected.
        let n = ef_slots(&mut proof.clone()).len();
        for i in 0..n {
            let mut t = proof.clone();
            *ef_slots(&mut t)[i] += EF::ONE;
            match self.verify(&claim, &t) {
                Err(_) => {}
                Ok(c) => assert!(
                    !self.claims_hold(&c),
                    "tampered element {i} of {} accepted with true claims",
                    proof.kind()
                ),
            }
        }
        // A prover using a wrong data operand (one entry changed) for the true output claim is
        // rejected or leaves a claim that is false on the true operand. (Free reductions send
        // nothing, so there is nothing a wrong operand could change.)
        if proof != LayerProof::Free {
            let idx = index_operands(&self.node.op);
            for k in (0..self.operands.len()).filter(|k| !idx.contains(k)) {
                if self.operands[k].is_empty() {
                    continue;
                }
                let mut bad_ops = self.padded();
                let at = bad_ops[k]
                    .shape
                    .padded_offset(&vec![0; bad_ops[k].shape.rank()]);
                bad_ops[k].evals[at] += lucid_core::field::F::ONE;
                let refs: Vec<&PaddedTensor> = bad_ops.iter().collect();
                let Ok((p, _)) =
                    prove_node(&self.node, &refs, &self.consts(), &claim, &mut transcript())
                else {
                    continue;
                };
                match self.verify(&claim, &p) {
                    Err(_) => {}
                    Ok(c) => assert!(!self.claims_hold(&c), "a wrong operand {k} went unnoticed"),
                }
            }
        }
        // Every proof with a missing or extra part is rejected with an error.
        for (i, t) in truncations(&proof).iter().enumerate() {
            assert!(
                self.verify(&claim, t).is_err(),
                "structural change {i} of a {} proof accepted",
                proof.kind()
            );
        }
        // Proofs survive serialization, and their element count is what they carry.
        let bytes = postcard::to_allocvec(&proof).expect("serializes");
        let back: LayerProof = postcard::from_bytes(&bytes).expect("deserializes");
        assert_eq!(back, proof);
        assert_eq!(proof.num_elements(), n);
        // A proof of another kind is rejected (free nodes have no other proof shape to check).
        let other = match proof {
            LayerProof::Evals(_) => LayerProof::Free,
            _ => LayerProof::Evals(vec![EF::ZERO; 2]),
        };
        if proof != LayerProof::Free {
            assert!(self.verify(&claim, &other).is_err());
        }
    }
}

/// Mutable references to every field element of a proof.
pub(super) fn ef_slots(p: &mut LayerProof) -> Vec<&mut EF> {
    let mut out: Vec<&mut EF> = Vec::new();
    match p {
        LayerProof::Free => {}
        LayerProof::Evals(e) => out.extend(e.iter_mut()),
        LayerProof::MatMul(p) | LayerProof::Mul(p) => {
            out.extend(p.sumcheck.round_polys.iter_mut().flatten());
            out.extend(p.evals.iter_mut());
        }
        LayerProof::Conv(p) => {
            out.extend(p.bias.iter_mut());
            out.extend(p.channels.round_polys.iter_mut().flatten());
            out.push(&mut p.w_eval);
            out.push(&mut p.u_eval);
            out.extend(p.positions.round_polys.iter_mut().flatten());
            out.push(&mut p.x_eval);
        }
        LayerProof::IndexMap(p) => {
            out.extend(p.shares.iter_mut());
            out.extend(
                p.sumchecks
                    .iter_mut()
                    .flat_map(|s| s.round_polys.iter_mut().flatten()),
            );
            out.extend(p.evals.iter_mut());
        }
    }
    out
}

/// Proofs with one part missing or added (never valid).
pub(super) fn truncations(p: &LayerProof) -> Vec<LayerProof> {
    let mut out = Vec::new();
    match p {
        LayerProof::Free => {}
        LayerProof::Evals(e) => {
            out.push(LayerProof::Evals(e[..e.len() - 1].to_vec()));
            let mut longer = e.clone();
            longer.push(EF::ZERO);
            out.push(LayerProof::Evals(longer));
        }
        LayerProof::MatMul(x) | LayerProof::Mul(x) => {
            let wrap = |y| match p {
                LayerProof::MatMul(_) => LayerProof::MatMul(y),
                _ => LayerProof::Mul(y),
            };
            let mut y = x.clone();
            y.evals.pop();
            out.push(wrap(y));
            let mut y = x.clone();
            y.sumcheck.round_polys.push(vec![EF::ZERO; 3]);
            out.push(wrap(y));
            if !x.sumcheck.round_polys.is_empty() {
                let mut y = x.clone();
                y.sumcheck.round_polys.pop();
                out.push(wrap(y));
                let mut y = x.clone();
                y.sumcheck.round_polys[0].pop();
                out.push(wrap(y));
            }
        }
        LayerProof::Conv(x) => {
            let mut y = x.clone();
            y.bias = if x.bias.is_some() {
                None
            } else {
                Some(EF::ZERO)
            };
            out.push(LayerProof::Conv(y));
            let mut y = x.clone();
            if y.channels.round_polys.pop().is_some() {
                out.push(LayerProof::Conv(y));
            }
            let mut y = x.clone();
            if y.positions.round_polys.pop().is_some() {
                out.push(LayerProof::Conv(y));
            }
            let mut y = x.clone();
            y.positions.round_polys.push(vec![EF::ZERO; 3]);
            out.push(LayerProof::Conv(y));
        }
        LayerProof::IndexMap(x) => {
            let mut y = x.clone();
            y.shares.pop();
            out.push(LayerProof::IndexMap(y));
            let mut y = x.clone();
            y.sumchecks.pop();
            out.push(LayerProof::IndexMap(y));
            let mut y = x.clone();
            y.evals.pop();
            out.push(LayerProof::IndexMap(y));
            let mut y = x.clone();
            y.evals.push(EF::ZERO);
            out.push(LayerProof::IndexMap(y));
        }
    }
    out
}
