//! Parsing and shape checking of explicit einsum expressions ([`super::Op::Einsum`]).

use super::error::OpError;

/// A parsed einsum expression: the axis labels of every operand and of the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EinsumSpec {
    /// Labels of each input operand (one ASCII letter per axis).
    pub inputs: Vec<Vec<u8>>,
    /// Labels of the output (each at most once, each present in some input).
    pub output: Vec<u8>,
}

impl EinsumSpec {
    /// Parses `"ab,bc->ac"` (spaces ignored; explicit `->` required; no ellipsis).
    pub fn parse(expr: &str) -> Result<Self, OpError> {
        let bad = |reason: String| OpError::Param { reason };
        let expr: String = expr.chars().filter(|c| !c.is_whitespace()).collect();
        let (lhs, rhs) = expr
            .split_once("->")
            .ok_or_else(|| bad(format!("einsum '{expr}' has no '->'")))?;
        let check = |s: &str| -> Result<Vec<u8>, OpError> {
            if let Some(c) = s.chars().find(|c| !c.is_ascii_alphabetic()) {
                return Err(bad(format!("einsum '{expr}': unsupported character '{c}'")));
            }
            Ok(s.bytes().collect())
        };
        let inputs = lhs.split(',').map(check).collect::<Result<Vec<_>, _>>()?;
        let output = check(rhs)?;
        for (i, &l) in output.iter().enumerate() {
            if output[..i].contains(&l) {
                return Err(bad(format!(
                    "einsum '{expr}': output label '{}' repeated",
                    l as char
                )));
            }
            if !inputs.iter().any(|op| op.contains(&l)) {
                return Err(bad(format!(
                    "einsum '{expr}': output label '{}' in no input",
                    l as char
                )));
            }
        }
        Ok(Self { inputs, output })
    }

    /// The size bound to each label (index = label byte), checking operand ranks and that all
    /// dims sharing a label agree.
    pub fn label_sizes(&self, shapes: &[&[usize]]) -> Result<[Option<usize>; 128], OpError> {
        if shapes.len() != self.inputs.len() {
            return Err(OpError::InputCount {
                expected: self.inputs.len().to_string(),
                got: shapes.len(),
            });
        }
        let mut sizes = [None; 128];
        for (i, (labels, shape)) in self.inputs.iter().zip(shapes).enumerate() {
            if labels.len() != shape.len() {
                return Err(OpError::Rank {
                    input: i,
                    expected: labels.len().to_string(),
                    got: shape.to_vec(),
                });
            }
            for (&l, &d) in labels.iter().zip(shape.iter()) {
                match sizes[l as usize] {
                    None => sizes[l as usize] = Some(d),
                    Some(prev) if prev == d => {}
                    Some(prev) => {
                        return Err(OpError::Shape {
                            reason: format!("einsum label '{}' has size {prev} and {d}", l as char),
                        });
                    }
                }
            }
        }
        Ok(sizes)
    }

    /// The output shape for the given operand shapes.
    pub fn output_shape(&self, shapes: &[&[usize]]) -> Result<Vec<usize>, OpError> {
        let sizes = self.label_sizes(shapes)?;
        self.output
            .iter()
            .map(|&l| {
                sizes[l as usize].ok_or_else(|| OpError::Param {
                    reason: format!("einsum output label '{}' unbound", l as char),
                })
            })
            .collect()
    }

    /// All distinct labels: output labels first, then summed labels in order of appearance.
    pub fn all_labels(&self) -> Vec<u8> {
        let mut all = self.output.clone();
        for op in &self.inputs {
            for &l in op {
                if !all.contains(&l) {
                    all.push(l);
                }
            }
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_shape() {
        let s = EinsumSpec::parse("bij, bjk -> bik").unwrap();
        assert_eq!(
            s.output_shape(&[&[2, 3, 4], &[2, 4, 5]]).unwrap(),
            vec![2, 3, 5]
        );
        assert!(s.output_shape(&[&[2, 3, 4], &[2, 3, 5]]).is_err());
        assert!(EinsumSpec::parse("ij,jk").is_err());
        assert!(EinsumSpec::parse("ij,jk->iz").is_err());
        assert!(EinsumSpec::parse("i...->i").is_err());
        assert_eq!(s.all_labels(), b"bikj".to_vec());
    }
}
