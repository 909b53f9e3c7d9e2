//! Lucid's model IR (a graph of typed tensor operators), quantization to signed fixed point,
//! the exact integer interpreter whose run is the prover's witness, and the accuracy report.
