#!/usr/bin/env python3
"""musicnn (MSD_musicnn / MTT_musicnn) forward pass in pure NumPy, from the safetensors file only.

This is the specification the Rust network (crates/timbral-embed) implements, and the check that
convert.py's TF-variable -> tensor-name mapping is right: convert.py runs it on real patches and
compares with TensorFlow. It reads the safetensors file with its own ~15-line reader (8-byte LE
header length, JSON header, little-endian f32 data), like the Rust side does.

    python3 numpy_forward.py MODEL.safetensors PATCHES.npy     # prints penultimate/tags shapes

Layouts are TensorFlow's: conv kernels HWIO = [kh (time), kw (freq), in, out]; dense [in, out].
Every conv block is conv -> +bias -> ReLU -> batch norm (relu BEFORE bn). Batch norm at inference:
y = (x - mean) / sqrt(var + eps) * gamma + beta, eps from the file's metadata (0.001).

Network, for patches x [N, 187, 96] (time, mel):
  x = bn(x, input_bn)                                  (one scalar gamma/beta/mean/var)
  timbral_74: pad time 3+3, conv [7,38] valid -> [N,187,59,204] -> relu -> bn -> max over freq
  timbral_77: pad time 3+3, conv [7,67] valid -> [N,187,30,204] -> relu -> bn -> max over freq
  temporal_K (K = 128, 64, 32): TF 'same' pad of the time axis, before (K-1)//2, after K-1-before,
    conv [K,1] -> [N,187,96,51] -> relu -> bn -> max over freq
  front = concat(t74, t77, s128, s64, s32) -> [N,187,561]
  midend_1: pad time 3+3, conv [7,561] (full width) -> [N,187,64] -> relu -> bn           = m1
  midend_2: same on m1 (width 64) -> relu -> bn, + m1                                      = m2
  midend_3: same on m2 -> relu -> bn, + m2                                                 = m3
  mid = concat(front, m1, m2, m3) -> [N,187,753]
  pool = INTERLEAVED [max_t mid[:, :, 0], mean_t mid[:, :, 0], max_t mid[:, :, 1], ...] -> [N,1506]
    (TF concatenates the [N,753,1] max and mean on axis 2 and flattens [N,753,2]: element 2c is
    the max over time of channel c, element 2c+1 its mean)
  pool = bn(pool, backend.pool_bn); h = relu(pool @ dense.kernel + dense.bias)
  penultimate = bn(h, backend.dense_bn)                                                  [N,200]
  tags = sigmoid(penultimate @ logits.kernel + logits.bias)                               [N,50]
"""
import json
import os
import struct
import sys

import numpy as np

N_FRAMES = 187
N_MELS = 96


def read_safetensors(path):
    """(tensors as float32 arrays, __metadata__ dict) of a safetensors file (F32 tensors only)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        if info["dtype"] != "F32":
            raise ValueError(f"{name}: dtype {info['dtype']}, expected F32")
        lo, hi = info["data_offsets"]
        arr = np.frombuffer(data[base + lo : base + hi], dtype="<f4").reshape(info["shape"])
        tensors[name] = arr.astype(np.float32)
    return tensors, meta


def write_safetensors(path, tensors, metadata):
    """Write float32 `tensors` (name -> array) and string `metadata` as a safetensors file,
    byte-reproducibly: tensors in sorted name order, JSON header with sorted keys, padded with
    spaces to a multiple of 8 bytes (as the format allows); data little-endian f32, contiguous."""
    header = {"__metadata__": {k: str(v) for k, v in sorted(metadata.items())}}
    blobs, offset = [], 0
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name], dtype="<f4")
        blob = arr.tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    h = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for blob in blobs:
            f.write(blob)
    os.chmod(path, 0o644)


class Musicnn:
    def __init__(self, path, dtype=np.float64):
        w, meta = read_safetensors(path)
        self.meta = meta
        self.eps = float(meta["bn_epsilon"])
        self.dtype = dtype
        self.w = {k: v.astype(dtype) for k, v in w.items()}

    def bn(self, x, prefix):
        w = self.w
        g, b, m, v = (w[f"{prefix}.{s}"] for s in ("gamma", "beta", "mean", "var"))
        return (x - m) / np.sqrt(v + self.eps) * g + b

    def conv_block(self, x, prefix, pad_before, pad_after):
        """x [T, F] (one patch) -> relu(conv valid over time-padded x) -> bn: [T', F', out]."""
        k = self.w[f"{prefix}.conv.kernel"]  # [kh, kw, 1, out]
        kh, kw, _, out = k.shape
        xp = np.pad(x, ((pad_before, pad_after), (0, 0)))
        win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw))  # [T', F', kh, kw]
        y = np.tensordot(win, k[:, :, 0, :], axes=([2, 3], [0, 1])) + self.w[f"{prefix}.conv.bias"]
        y = np.maximum(y, 0)
        return self.bn(y, f"{prefix}.bn")

    def forward_one(self, patch):
        x = self.bn(np.asarray(patch, self.dtype), "input_bn")  # [187, 96]
        front = []
        for name in ("timbral_74", "timbral_77"):
            front.append(self.conv_block(x, name, 3, 3).max(axis=1))  # [187, 204]
        for k in (128, 64, 32):
            before = (k - 1) // 2
            front.append(self.conv_block(x, f"temporal_{k}", before, k - 1 - before).max(axis=1))  # [187, 51]
        front = np.concatenate(front, axis=1)  # [187, 561]
        m1 = self.conv_block(front, "midend_1", 3, 3)[:, 0, :]  # [187, 64]
        m2 = self.conv_block(m1, "midend_2", 3, 3)[:, 0, :] + m1
        m3 = self.conv_block(m2, "midend_3", 3, 3)[:, 0, :] + m2
        mid = np.concatenate([front, m1, m2, m3], axis=1)  # [187, 753]
        pool = np.stack([mid.max(axis=0), mid.mean(axis=0)], axis=1).reshape(-1)  # interleaved [1506]
        pool = self.bn(pool, "backend.pool_bn")
        h = np.maximum(pool @ self.w["backend.dense.kernel"] + self.w["backend.dense.bias"], 0)
        pen = self.bn(h, "backend.dense_bn")
        logits = pen @ self.w["backend.logits.kernel"] + self.w["backend.logits.bias"]
        return pen, 1.0 / (1.0 + np.exp(-logits))

    def forward(self, patches):
        """patches [N, 187, 96] -> (penultimate [N, 200], tags [N, 50])."""
        outs = [self.forward_one(p) for p in patches]
        return np.stack([o[0] for o in outs]), np.stack([o[1] for o in outs])


def ort_run(path, patches):
    """`penultimate` and `tags` of an ONNX model on `patches`, onnxruntime on one thread."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    return s.run(["penultimate", "tags"], {"patches": patches})


if __name__ == "__main__":
    net = Musicnn(sys.argv[1])
    pen, tags = net.forward(np.load(sys.argv[2]))
    print("penultimate", pen.shape, "tags", tags.shape)

