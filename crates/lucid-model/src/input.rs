//! The input file: the values a model is run (and proved) on, in the EZKL-style JSON format.
//!
//! # Format
//!
//! ```json
//! {
//!   "input_data":   [[0.5, -1.0, 2.25], [true, false, true]],
//!   "input_shapes": [[1, 3], [3]],
//!   "output_data":  [[0.1, 0.9]]
//! }
//! ```
//!
//! - `input_data` (required): one **flat** list per graph input, in row-major (C) order. Values
//!   are JSON numbers or booleans (`true` = 1, `false` = 0). Integer inputs (token ids, indices) may
//!   be written as floats (`51.0`) as long as the value is integral. A list may be empty only
//!   if it is not used by the model (a model with no inputs may still carry `[[]]`).
//! - `input_shapes` (optional): one shape per list. It is a hint only: exporters often omit the
//!   batch dimension or list more shapes than the model has inputs, so a shape is used to fix a
//!   symbolic dimension only where its rank, its number of elements and the model's fixed
//!   dimensions all agree with the declared input; otherwise the declared shape is used with every
//!   symbolic dimension (the batch size) set to 1.
//! - There may be **more** lists than graph inputs (an exporter dropped an unused input). Lists
//!   are then matched to inputs by the number at the end of the input's name (`input2` takes
//!   list 2, `input` takes list 0), never by the inputs' order in the graph.
//! - Every other key (`output_data`, EZKL's reference outputs, and so on) is ignored.
//!
//! Parsing ([`InputFile::parse`]) checks the JSON and the value types; matching
//! ([`InputFile::assign`], [`InputFile::bind`]) checks the lists against the model's inputs.

use serde_json::Value;
use std::path::Path;
use thiserror::Error;

/// A parsed input file: one flat list of values per graph input and optional shape hints.
#[derive(Debug, Clone, PartialEq)]
pub struct InputFile {
    /// One flat row-major list per input; booleans are stored as 0.0 / 1.0.
    pub data: Vec<Vec<f64>>,
    /// For each list, whether every value was written as a JSON boolean (false for empty lists).
    pub boolean: Vec<bool>,
    /// The `input_shapes` hint, if present (one shape per list, possibly more or fewer).
    pub shapes: Option<Vec<Vec<usize>>>,
}

/// A model input as the matcher sees it: its name and its fixed shape.
#[derive(Debug, Clone, Copy)]
pub struct InputSpec<'a> {
    /// The input's name in the model.
    pub name: &'a str,
    /// Its shape once symbolic dimensions are fixed.
    pub shape: &'a [usize],
}

/// Why an input file could not be read or matched to a model.
#[derive(Debug, Error)]
pub enum InputError {
    /// The file could not be read.
    #[error("cannot read input file {path}: {source}")]
    Io {
        /// The path given.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The text is not JSON.
    #[error("input file is not valid JSON: {0}")]
    NotJson(String),
    /// The top level is not an object.
    #[error("input file must be a JSON object with an \"input_data\" key, got {got}")]
    NotObject {
        /// The JSON type found.
        got: &'static str,
    },
    /// `input_data` is absent.
    #[error("input file has no \"input_data\" key")]
    MissingInputData,
    /// `input_data` is not a list of lists.
    #[error("\"input_data\" must be a list of flat lists (one per input), got {got}")]
    BadInputData {
        /// What was found instead.
        got: String,
    },
    /// A value is neither a number nor a boolean.
    #[error("input_data[{list}][{index}] must be a number or a boolean, got {got}")]
    NotNumeric {
        /// The list.
        list: usize,
        /// The position in the list.
        index: usize,
        /// The JSON text of the value.
        got: String,
    },
    /// `input_shapes` is malformed.
    #[error("\"input_shapes\" must be a list of lists of non-negative integers, got {got}")]
    BadShapes {
        /// What was found.
        got: String,
    },
    /// Fewer lists than the model has inputs.
    #[error("the model has {expected} input(s) but input_data has {got} list(s)")]
    TooFewLists {
        /// Number of model inputs.
        expected: usize,
        /// Number of lists in the file.
        got: usize,
    },
    /// More lists than inputs, and the input names do not say which list is which.
    #[error(
        "input_data has {lists} lists for {inputs} model inputs and the input names ({names}) do \
         not number them unambiguously"
    )]
    AmbiguousLists {
        /// Number of lists.
        lists: usize,
        /// Number of model inputs.
        inputs: usize,
        /// The model's input names.
        names: String,
    },
    /// A list's length does not match its input's shape.
    #[error(
        "input '{name}' (list {list}) has shape {shape:?}: expected {expected} values, got {got}"
    )]
    WrongLength {
        /// The input's name.
        name: String,
        /// The list index in the file.
        list: usize,
        /// The input's shape.
        shape: Vec<usize>,
        /// Number of elements of the shape.
        expected: usize,
        /// Length of the list.
        got: usize,
    },
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 40 {
        format!(
            "{}…",
            &s[..s.char_indices().nth(40).map_or(s.len(), |(i, _)| i)]
        )
    } else {
        s
    }
}

impl InputFile {
    /// Reads and parses an input file.
    pub fn read(path: &Path) -> Result<Self, InputError> {
        let text = std::fs::read_to_string(path).map_err(|source| InputError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text)
    }

    /// Parses the JSON text of an input file.
    pub fn parse(text: &str) -> Result<Self, InputError> {
        let root: Value =
            serde_json::from_str(text).map_err(|e| InputError::NotJson(e.to_string()))?;
        let Value::Object(map) = &root else {
            return Err(InputError::NotObject {
                got: json_type(&root),
            });
        };
        let raw = map.get("input_data").ok_or(InputError::MissingInputData)?;
        let Value::Array(lists) = raw else {
            return Err(InputError::BadInputData {
                got: json_type(raw).to_string(),
            });
        };
        let mut data = Vec::with_capacity(lists.len());
        let mut boolean = Vec::with_capacity(lists.len());
        for (li, list) in lists.iter().enumerate() {
            let Value::Array(items) = list else {
                return Err(InputError::BadInputData {
                    got: format!("input_data[{li}] is {}", json_type(list)),
                });
            };
            let mut values = Vec::with_capacity(items.len());
            let mut all_bool = !items.is_empty();
            for (i, item) in items.iter().enumerate() {
                let v = match item {
                    Value::Bool(b) => f64::from(u8::from(*b)),
                    Value::Number(n) => {
                        all_bool = false;
                        n.as_f64().ok_or_else(|| InputError::NotNumeric {
                            list: li,
                            index: i,
                            got: short(item),
                        })?
                    }
                    _ => {
                        return Err(InputError::NotNumeric {
                            list: li,
                            index: i,
                            got: short(item),
                        });
                    }
                };
                values.push(v);
            }
            data.push(values);
            boolean.push(all_bool);
        }
        let shapes = match map.get("input_shapes") {
            None | Some(Value::Null) => None,
            Some(s) => Some(parse_shapes(s)?),
        };
        Ok(Self {
            data,
            boolean,
            shapes,
        })
    }

    /// Decides which list feeds each model input, given the inputs' names in model order.
    ///
    /// With as many lists as inputs the lists are taken in order. With more lists, each input
    /// takes the list numbered by the digits at the end of its name (no digits: list 0); this
    /// must give distinct, in-range lists, otherwise the file is ambiguous and refused.
    pub fn assign(&self, names: &[&str]) -> Result<Vec<usize>, InputError> {
        let lists = self.data.len();
        if lists < names.len() {
            return Err(InputError::TooFewLists {
                expected: names.len(),
                got: lists,
            });
        }
        if lists == names.len() {
            return Ok((0..lists).collect());
        }
        let ambiguous = || InputError::AmbiguousLists {
            lists,
            inputs: names.len(),
            names: names.join(", "),
        };
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            let digits: String = {
                let rev: String = name
                    .chars()
                    .rev()
                    .take_while(char::is_ascii_digit)
                    .collect();
                rev.chars().rev().collect()
            };
            let idx = if digits.is_empty() {
                0
            } else {
                digits.parse::<usize>().map_err(|_| ambiguous())?
            };
            if idx >= lists || out.contains(&idx) {
                return Err(ambiguous());
            }
            out.push(idx);
        }
        Ok(out)
    }

    /// The shape hint for list `list`, if the file has one.
    pub fn shape_hint(&self, list: usize) -> Option<&[usize]> {
        self.shapes
            .as_ref()
            .and_then(|s| s.get(list))
            .map(Vec::as_slice)
    }

    /// Matches the lists to the model's inputs (see [`InputFile::assign`]) and checks each
    /// list's length against its input's fixed shape. Returns one list per input, in model order.
    pub fn bind(&self, inputs: &[InputSpec<'_>]) -> Result<Vec<&[f64]>, InputError> {
        let names: Vec<&str> = inputs.iter().map(|i| i.name).collect();
        let lists = self.assign(&names)?;
        inputs
            .iter()
            .zip(lists)
            .map(|(spec, li)| {
                let expected: usize = spec.shape.iter().product();
                let got = self.data[li].len();
                if expected != got {
                    return Err(InputError::WrongLength {
                        name: spec.name.to_string(),
                        list: li,
                        shape: spec.shape.to_vec(),
                        expected,
                        got,
                    });
                }
                Ok(self.data[li].as_slice())
            })
            .collect()
    }
}

fn parse_shapes(v: &Value) -> Result<Vec<Vec<usize>>, InputError> {
    let bad = || InputError::BadShapes { got: short(v) };
    let Value::Array(shapes) = v else {
        return Err(bad());
    };
    shapes
        .iter()
        .map(|s| {
            let Value::Array(dims) = s else {
                return Err(bad());
            };
            dims.iter()
                .map(|d| {
                    d.as_u64()
                        .and_then(|d| usize::try_from(d).ok())
                        .ok_or_else(bad)
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_numbers_booleans_and_shapes() {
        let f = InputFile::parse(
            r#"{"input_data": [[1, 2.5, -3], [true, false]], "input_shapes": [[3], [2]],
               "output_data": [[0]]}"#,
        )
        .expect("valid file");
        assert_eq!(f.data, vec![vec![1.0, 2.5, -3.0], vec![1.0, 0.0]]);
        assert_eq!(f.boolean, vec![false, true]);
        assert_eq!(f.shapes, Some(vec![vec![3], vec![2]]));
        assert_eq!(f.shape_hint(1), Some(&[2usize][..]));
        assert_eq!(f.shape_hint(2), None);
    }

    #[test]
    fn rejects_malformed_files() {
        assert!(matches!(
            InputFile::parse("{not json"),
            Err(InputError::NotJson(_))
        ));
        assert!(matches!(
            InputFile::parse("[1, 2]"),
            Err(InputError::NotObject { .. })
        ));
        assert!(matches!(
            InputFile::parse(r#"{"x": 1}"#),
            Err(InputError::MissingInputData)
        ));
        assert!(matches!(
            InputFile::parse(r#"{"input_data": 3}"#),
            Err(InputError::BadInputData { .. })
        ));
        assert!(matches!(
            InputFile::parse(r#"{"input_data": [1, 2]}"#),
            Err(InputError::BadInputData { .. })
        ));
        let e = InputFile::parse(r#"{"input_data": [[1, "a"]]}"#).expect_err("string value");
        assert!(
            matches!(
                e,
                InputError::NotNumeric {
                    list: 0,
                    index: 1,
                    ..
                }
            ),
            "{e}"
        );
        assert!(matches!(
            InputFile::parse(r#"{"input_data": [[1, [2]]]}"#),
            Err(InputError::NotNumeric { .. })
        ));
        assert!(matches!(
            InputFile::parse(r#"{"input_data": [[1]], "input_shapes": [[-1]]}"#),
            Err(InputError::BadShapes { .. })
        ));
    }

    #[test]
    fn binds_by_count_and_checks_lengths() {
        let f = InputFile::parse(r#"{"input_data": [[1, 2], [3]]}"#).expect("valid");
        let ok = f
            .bind(&[
                InputSpec {
                    name: "a",
                    shape: &[1, 2],
                },
                InputSpec {
                    name: "b",
                    shape: &[],
                },
            ])
            .expect("lengths agree");
        assert_eq!(ok, vec![&[1.0, 2.0][..], &[3.0][..]]);
        let e = f
            .bind(&[
                InputSpec {
                    name: "a",
                    shape: &[3],
                },
                InputSpec {
                    name: "b",
                    shape: &[1],
                },
            ])
            .expect_err("wrong length");
        match e {
            InputError::WrongLength {
                name,
                expected: 3,
                got: 2,
                ..
            } => assert_eq!(name, "a"),
            other => panic!("unexpected {other}"),
        }
        let e = f
            .bind(
                &[InputSpec {
                    name: "a",
                    shape: &[2],
                }; 3],
            )
            .expect_err("too few");
        assert!(matches!(
            e,
            InputError::TooFewLists {
                expected: 3,
                got: 2
            }
        ));
    }

    #[test]
    fn empty_list_is_an_error_only_when_used() {
        let f = InputFile::parse(r#"{"input_data": [[]]}"#).expect("valid");
        assert_eq!(f.bind(&[]).expect("no inputs").len(), 0);
        let e = f
            .bind(&[InputSpec {
                name: "x",
                shape: &[2],
            }])
            .expect_err("empty list");
        assert!(matches!(
            e,
            InputError::WrongLength {
                expected: 2,
                got: 0,
                ..
            }
        ));
    }

    #[test]
    fn extra_lists_are_matched_by_name_number() {
        let f = InputFile::parse(r#"{"input_data": [[0], [1], [2], [3]]}"#).expect("valid");
        assert_eq!(
            f.assign(&["input2", "input3"]).expect("numbered"),
            vec![2, 3]
        );
        assert_eq!(
            f.assign(&["input", "input3"]).expect("numbered"),
            vec![0, 3]
        );
        assert!(matches!(
            f.assign(&["x", "y"]),
            Err(InputError::AmbiguousLists { .. })
        ));
        assert!(matches!(
            f.assign(&["input7"]),
            Err(InputError::AmbiguousLists { .. })
        ));
        let spec = [InputSpec {
            name: "input3",
            shape: &[1],
        }];
        assert_eq!(f.bind(&spec).expect("bound"), vec![&[3.0][..]]);
    }
}
