//! ONNX import: loads a model with tract-onnx, fixes input shapes, folds constants and lowers
//! tract's typed graph into Lucid's IR. Also runs tract's float model as the accuracy reference.
