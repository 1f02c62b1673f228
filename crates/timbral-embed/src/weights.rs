//! Named f32 tensors from a safetensors file (an 8-byte little-endian header length, a JSON
//! header of names, dtypes, shapes and byte offsets, then the data).

use std::collections::HashMap;

use crate::EmbedError;

/// One tensor: its shape and values in row-major order.
pub(crate) struct Tensor {
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

/// The tensors of one file and its string metadata.
pub(crate) struct Weights {
    tensors: HashMap<String, Tensor>,
    pub metadata: HashMap<String, String>,
}

fn invalid(why: impl Into<String>) -> EmbedError {
    EmbedError::InvalidModel(why.into())
}

impl Weights {
    pub(crate) fn parse(bytes: &[u8]) -> Result<Weights, EmbedError> {
        let header_len = bytes
            .get(..8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")) as usize)
            .ok_or_else(|| invalid("shorter than its 8-byte header length"))?;
        let data_start = 8usize.checked_add(header_len).filter(|end| *end <= bytes.len());
        let data_start = data_start.ok_or_else(|| invalid("header length past the end of the file"))?;
        let header: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&bytes[8..data_start])
            .map_err(|e| invalid(format!("header is not a JSON object: {e}")))?;
        let data = &bytes[data_start..];
        let mut tensors = HashMap::new();
        let mut metadata = HashMap::new();
        for (name, entry) in header {
            if name == "__metadata__" {
                for (key, value) in entry.as_object().into_iter().flatten() {
                    metadata.insert(key.clone(), value.as_str().unwrap_or_default().to_string());
                }
                continue;
            }
            let field = |key: &str| entry.get(key).ok_or_else(|| invalid(format!("tensor `{name}` has no `{key}`")));
            if field("dtype")?.as_str() != Some("F32") {
                return Err(invalid(format!("tensor `{name}` is not F32")));
            }
            let numbers = |key: &str| -> Result<Vec<usize>, EmbedError> {
                field(key)?
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|v| v.as_u64().map(|v| v as usize).ok_or_else(|| invalid(format!("tensor `{name}`: bad `{key}`"))))
                    .collect()
            };
            let shape = numbers("shape")?;
            let offsets = numbers("data_offsets")?;
            let [begin, end] = offsets[..] else {
                return Err(invalid(format!("tensor `{name}`: `data_offsets` needs two numbers")));
            };
            let raw = data
                .get(begin..end)
                .filter(|raw| raw.len() == 4 * shape.iter().product::<usize>())
                .ok_or_else(|| invalid(format!("tensor `{name}`: offsets do not fit its shape or the file")))?;
            let values = raw.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))).collect();
            tensors.insert(name, Tensor { shape, values });
        }
        Ok(Weights { tensors, metadata })
    }

    /// The tensor `name`, which must have `shape`.
    pub(crate) fn take(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>, EmbedError> {
        let tensor = self.tensors.remove(name).ok_or_else(|| invalid(format!("no tensor `{name}`")))?;
        if tensor.shape != shape {
            return Err(invalid(format!("tensor `{name}` has shape {:?}, expected {shape:?}", tensor.shape)));
        }
        Ok(tensor.values)
    }

    #[cfg(test)]
    pub(crate) fn shape(&self, name: &str) -> Option<Vec<usize>> {
        self.tensors.get(name).map(|t| t.shape.clone())
    }

    /// Names left untaken: a file with more tensors than the network is not the network.
    pub(crate) fn remaining(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.tensors.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}
