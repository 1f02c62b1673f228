#!/usr/bin/env python3
"""Convert the musicnn checkpoints of the PyPI wheel (musicnn 0.1.0, ISC) to ONNX + safetensors.

Run by convert.sh (which makes the venv, downloads and checks the wheel); not meant to be run alone.

For each model (MSD_musicnn, MTT_musicnn):
  1. rebuild the TF1 graph with the wheel's own `musicnn.models.define_model` (is_training=False,
     placeholder `patches` [None, 187, 96]) and restore the wheel's checkpoint;
  2. map the TF variables (creation order: batch_normalization, conv2d, batch_normalization_1, ...)
     to timbral's tensor names, and CHECK the mapping against the graph's wiring (which op feeds
     which conv / batch norm) and the shapes;
  3. write <MODEL>.safetensors (raw weights, TF layouts, metadata model/bn_epsilon/source/tags);
  4. freeze the graph and write <MODEL>.onnx (opset 13; input `patches` [N,187,96], outputs
     `penultimate` [N,200] = bn_dense after batch norm, `tags` [N,50] = sigmoid(logits));
  5. verify on real log-mel patches (the synthetic tone of the fixtures, the clip.ogg fixture and,
     when given, patches of the development corpus): onnxruntime vs TF, and numpy_forward.py (the
     safetensors file only) vs TF; fails if a difference exceeds the tolerance.
Then writes LICENSE-musicnn.md and PROVENANCE.md next to the outputs.
"""
import argparse
import csv
import datetime
import hashlib
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import numpy_forward  # noqa: E402

MODELS = ("MSD_musicnn", "MTT_musicnn")
N_FRAMES, N_MELS = 187, 96
TOL = 1e-4  # fail above this max abs difference (observed ~1e-6)

# timbral tensor name -> (TF variable scope in creation order, kind). The checks below verify it.
LAYOUT = [
    ("input_bn", "batch_normalization", "bn"),
    ("timbral_74.conv", "conv2d", "conv"),
    ("timbral_74.bn", "batch_normalization_1", "bn"),
    ("timbral_77.conv", "conv2d_1", "conv"),
    ("timbral_77.bn", "batch_normalization_2", "bn"),
    ("temporal_128.conv", "conv2d_2", "conv"),
    ("temporal_128.bn", "batch_normalization_3", "bn"),
    ("temporal_64.conv", "conv2d_3", "conv"),
    ("temporal_64.bn", "batch_normalization_4", "bn"),
    ("temporal_32.conv", "conv2d_4", "conv"),
    ("temporal_32.bn", "batch_normalization_5", "bn"),
    ("midend_1.conv", "conv2d_5", "conv"),
    ("midend_1.bn", "batch_normalization_6", "bn"),
    ("midend_2.conv", "conv2d_6", "conv"),
    ("midend_2.bn", "batch_normalization_7", "bn"),
    ("midend_3.conv", "conv2d_7", "conv"),
    ("midend_3.bn", "batch_normalization_8", "bn"),
    ("backend.pool_bn", "batch_normalization_9", "bn"),
    ("backend.dense", "dense", "dense"),
    ("backend.dense_bn", "batch_normalization_10", "bn"),
    ("backend.logits", "dense_1", "dense"),
]
SUFFIXES = {
    "bn": [("gamma", "gamma"), ("beta", "beta"), ("mean", "moving_mean"), ("var", "moving_variance")],
    "conv": [("kernel", "kernel"), ("bias", "bias")],
    "dense": [("kernel", "kernel"), ("bias", "bias")],
}
SHAPES = {
    "input_bn": [1],
    "timbral_74.conv.kernel": [7, 38, 1, 204], "timbral_74.bn": [204],
    "timbral_77.conv.kernel": [7, 67, 1, 204], "timbral_77.bn": [204],
    "temporal_128.conv.kernel": [128, 1, 1, 51], "temporal_128.bn": [51],
    "temporal_64.conv.kernel": [64, 1, 1, 51], "temporal_64.bn": [51],
    "temporal_32.conv.kernel": [32, 1, 1, 51], "temporal_32.bn": [51],
    "midend_1.conv.kernel": [7, 561, 1, 64], "midend_1.bn": [64],
    "midend_2.conv.kernel": [7, 64, 1, 64], "midend_2.bn": [64],
    "midend_3.conv.kernel": [7, 64, 1, 64], "midend_3.bn": [64],
    "backend.pool_bn": [1506],
    "backend.dense.kernel": [1506, 200], "backend.dense.bias": [200], "backend.dense_bn": [200],
    "backend.logits.kernel": [200, 50], "backend.logits.bias": [50],
}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------- front end (fixed musicnn front end)
def logmel(y):
    """musicnn's front end with the NumPy-2 fix: float16 round trip, log10(10000 x + 1) in float32."""
    import librosa

    mel = librosa.feature.melspectrogram(y=y, sr=16000, hop_length=256, n_fft=512, n_mels=96).T
    return np.log10(10000 * mel.astype(np.float16).astype(np.float32) + 1).astype(np.float32)


def patches_of(lm):
    starts = range(0, lm.shape[0] - N_FRAMES + 1, N_FRAMES)
    return np.stack([lm[s : s + N_FRAMES] for s in starts]) if len(starts) else np.zeros((0, N_FRAMES, N_MELS), np.float32)


def tone():
    t = np.arange(56000, dtype=np.float64) / 16000.0
    return (0.5 * np.sin(2 * np.pi * 440 * t) + 0.25 * np.sin(2 * np.pi * (1000 * t + 500 * t * t))).astype(np.float32)


def verification_patches(clip, dev_audio, dev_files):
    import librosa

    named = [("tone", patches_of(logmel(tone()))[:1])]
    y, _ = librosa.load(clip, sr=16000)
    named.append(("clip.ogg", patches_of(logmel(y))[:1]))
    if dev_audio and os.path.exists(os.path.join(dev_audio, "METADATA.csv")):
        rows = list(csv.DictReader(open(os.path.join(dev_audio, "METADATA.csv"))))
        step = max(1, len(rows) // dev_files)
        for r in rows[::step][:dev_files]:
            y, _ = librosa.load(os.path.join(dev_audio, r["path"]), sr=16000, offset=30.0, duration=4.0)
            p = patches_of(logmel(y))
            if len(p):
                named.append((r["path"] + "@30s", p[:1]))
    names = [n for n, _ in named]
    return names, np.concatenate([p for _, p in named]).astype(np.float32)


# ---------------------------------------------------------------- TF graph
class TfModel:
    def __init__(self, musicnn_dir, model):
        import tensorflow as tf

        tf.compat.v1.disable_eager_execution()
        sys.path.insert(0, musicnn_dir)
        from musicnn import configuration as config
        from musicnn import models

        self.tf = tf
        self.labels = config.MSD_LABELS if model.startswith("MSD") else config.MTT_LABELS
        self.graph = tf.Graph()
        with self.graph.as_default():
            x = tf.compat.v1.placeholder(tf.float32, [None, N_FRAMES, N_MELS], name="patches")
            outs = models.define_model(x, False, model, len(self.labels))
            logits, penultimate = outs[0], outs[8]
            self.pen = tf.identity(penultimate, name="penultimate")
            self.tags = tf.identity(tf.nn.sigmoid(logits), name="tags")
            self.x = x
            self.variables = tf.compat.v1.global_variables()
            self.sess = tf.compat.v1.Session(graph=self.graph)
            tf.compat.v1.train.Saver().restore(self.sess, os.path.join(musicnn_dir, "musicnn", model) + "/")
        self.logits = logits

    def run(self, patches):
        return self.sess.run([self.pen, self.tags], {self.x: patches})

    def op(self, name):
        return self.graph.get_operation_by_name(name)

    def upstream(self, tensor):
        """The first op feeding `tensor` that is not a pure re-layout (Pad/ExpandDims/Transpose/...)."""
        op = tensor.op
        while op.type in ("Pad", "ExpandDims", "Squeeze", "Transpose", "Reshape", "Identity", "ConcatV2"):
            if op.type == "ConcatV2":
                return op
            op = op.inputs[0].op
        return op

    def check_structure(self):
        """Verify LAYOUT against the wiring: which op each conv / bn / dense reads. Returns bn eps."""
        g = self.op
        up = lambda name, i=0: self.upstream(g(name).inputs[i]).name  # noqa: E731
        bn_in = lambda scope: up(f"{scope}/FusedBatchNormV3")  # noqa: E731
        # input batch norm reads the placeholder (through ExpandDims)
        assert g("batch_normalization/FusedBatchNormV3").inputs[0].op.type == "ExpandDims"
        assert self.upstream(g("batch_normalization/FusedBatchNormV3").inputs[0]).name == "patches"
        # every conv block: conv -> bias -> relu -> its own bn
        for i, bn in [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 7), (7, 8)]:
            conv = "conv2d" if i == 0 else f"conv2d_{i}"
            scope = f"batch_normalization_{bn}"
            assert bn_in(scope) == f"{conv}/Relu", (scope, bn_in(scope))
        # timbral convs read the input bn through the time pad of 3; temporal convs read it directly
        for conv, kw in [("conv2d", 38), ("conv2d_1", 67)]:
            c = g(f"{conv}/Conv2D")
            assert c.inputs[0].op.type == "Pad" and up(f"{conv}/Conv2D") == "batch_normalization/FusedBatchNormV3"
            assert c.get_attr("padding") == b"VALID" and c.inputs[1].shape.as_list()[:2] == [7, kw]
        for conv, kh in [("conv2d_2", 128), ("conv2d_3", 64), ("conv2d_4", 32)]:
            c = g(f"{conv}/Conv2D")
            assert c.inputs[0].op.name == "batch_normalization/FusedBatchNormV3"
            assert c.get_attr("padding") == b"SAME" and c.inputs[1].shape.as_list()[:2] == [kh, 1]
        # front-end concat order: 74, 77, 128, 64, 32 (each through its bn and max pool)
        front = g("concat")
        order = [self.upstream(t.op.inputs[0].op.inputs[0]).name for t in front.inputs[:5]]
        assert order == [f"batch_normalization_{i}/FusedBatchNormV3" for i in (1, 2, 3, 4, 5)], order
        for t in front.inputs[:5]:
            assert t.op.type == "Squeeze" and t.op.inputs[0].op.type == "MaxPool"
        # mid-end: conv2d_5 reads the front-end concat, conv2d_6 the transposed bn_6, conv2d_7 the residual Add
        assert up("conv2d_5/Conv2D") == "concat"
        assert g("conv2d_6/Conv2D").inputs[0].op.inputs[0].op.inputs[0].op.name == "batch_normalization_6/FusedBatchNormV3"
        assert g("conv2d_7/Conv2D").inputs[0].op.inputs[0].op.name == "Add"
        add = g("Add")
        assert [t.op.name for t in add.inputs] == ["transpose_1", "transpose"]
        assert add.inputs[0].op.inputs[0].op.name == "batch_normalization_7/FusedBatchNormV3"
        add1 = g("Add_1")
        assert [t.op.name for t in add1.inputs] == ["transpose_2", "Add"]
        assert add1.inputs[0].op.inputs[0].op.name == "batch_normalization_8/FusedBatchNormV3"
        # mid-end concat [front, bn_conv1_t, res2, res3]; backend max/mean interleaved by concat axis 2
        mid = g("concat_1")
        assert [t.op.name for t in mid.inputs[:4]] == ["ExpandDims_1", "transpose", "Add", "Add_1"]
        pool = g("concat_2")
        assert pool.inputs[0].op.type == "Max" and pool.inputs[1].op.name == "moments/Squeeze"
        assert self.sess.run(pool.inputs[2]) == 2 and pool.outputs[0].shape.as_list() == [None, 753, 2]
        # backend: flatten -> bn_9 -> dense -> relu -> bn_10 (= penultimate) -> dense_1
        assert self.upstream(g("batch_normalization_9/batchnorm/mul_1").inputs[0]).name == "concat_2"
        assert up("dense/MatMul") == "batch_normalization_9/batchnorm/add_1"
        assert up("batch_normalization_10/batchnorm/mul_1") == "dense/Relu"
        assert up("dense_1/MatMul") == "batch_normalization_10/batchnorm/add_1"
        assert self.pen.op.inputs[0].op.name == "batch_normalization_10/batchnorm/add_1"
        # epsilon of every batch norm
        eps = set()
        for op in self.graph.get_operations():
            if op.type == "FusedBatchNormV3":
                eps.add(op.get_attr("epsilon"))
                assert op.get_attr("is_training") is False
            elif op.name.endswith("batchnorm/add/y"):
                eps.add(float(self.sess.run(op.outputs[0])))
        assert len(eps) == 1, eps
        return eps.pop()

    def weights(self):
        by_name = {v.name[:-2]: v for v in self.variables}
        out = {}
        used = set()
        for name, scope, kind in LAYOUT:
            for ours, theirs in SUFFIXES[kind]:
                v = by_name[f"{scope}/{theirs}"]
                used.add(v.name[:-2])
                out[f"{name}.{ours}"] = np.ascontiguousarray(self.sess.run(v), dtype="<f4")
        assert used == set(by_name), set(by_name) - used
        # creation order of the variables is the LAYOUT order
        order = [v.name.split("/")[0] for v in self.variables]
        order = [s for i, s in enumerate(order) if i == 0 or order[i - 1] != s]
        assert order == [scope for _, scope, _ in LAYOUT], order
        for key, arr in out.items():
            want = SHAPES.get(key) or SHAPES.get(key.rsplit(".", 1)[0])
            if want is None and key.endswith(".conv.bias"):
                want = [SHAPES[key.replace(".bias", ".kernel")][-1]]
            assert list(arr.shape) == want, (key, arr.shape, want)
        return out

    def frozen_graph_def(self):
        tf = self.tf
        return tf.compat.v1.graph_util.convert_variables_to_constants(
            self.sess, self.graph.as_graph_def(), ["penultimate", "tags"]
        )


def make_tf2onnx_deterministic():
    """tf2onnx's optimizers iterate over sets of graph nodes, which hash by object identity, so the
    optimized graph (node order, which duplicate constant survives: 67 or 68 nodes) changes from run
    to run. Hashing nodes by creation number instead makes the .onnx byte-reproducible (with
    PYTHONHASHSEED fixed, as convert.sh does)."""
    import itertools

    import tf2onnx.graph

    node = tf2onnx.graph.Node
    if getattr(node, "_timbral_deterministic", False):
        return
    counter = itertools.count()
    init = node.__init__

    def __init__(self, *a, **k):
        self._timbral_seq = next(counter)
        init(self, *a, **k)

    node.__init__ = __init__
    node.__hash__ = lambda self: self._timbral_seq
    node._timbral_deterministic = True


def to_onnx(graph_def, path):
    import onnx
    import tf2onnx

    make_tf2onnx_deterministic()

    model_proto, _ = tf2onnx.convert.from_graph_def(
        graph_def, input_names=["patches:0"], output_names=["penultimate:0", "tags:0"], opset=13
    )
    rename = {"patches:0": "patches", "penultimate:0": "penultimate", "tags:0": "tags"}
    g = model_proto.graph
    for node in g.node:
        node.input[:] = [rename.get(n, n) for n in node.input]
        node.output[:] = [rename.get(n, n) for n in node.output]
    for vi in list(g.input) + list(g.output):
        vi.name = rename.get(vi.name, vi.name)
        dims = vi.type.tensor_type.shape.dim
        if dims and not dims[0].HasField("dim_value"):
            dims[0].dim_param = "N"
    model_proto.producer_name = "timbral convert.py (tf2onnx)"
    onnx.checker.check_model(model_proto)
    onnx.save(model_proto, path)
    shapes = {vi.name: [d.dim_param or d.dim_value for d in vi.type.tensor_type.shape.dim] for vi in list(g.input) + list(g.output)}
    assert shapes == {"patches": ["N", 187, 96], "penultimate": ["N", 200], "tags": ["N", 50]}, shapes
    return model_proto.opset_import[0].version


def write_safetensors(tensors, meta, path):
    from safetensors.numpy import load_file

    numpy_forward.write_safetensors(path, tensors, meta)
    # read back by the reference implementation (safetensors) and by numpy_forward's own reader
    ref = load_file(path)
    back, back_meta = numpy_forward.read_safetensors(path)
    assert back_meta == meta and set(back) == set(tensors) == set(ref)
    for k in tensors:
        assert np.array_equal(back[k], tensors[k]) and np.array_equal(ref[k], tensors[k]), k


# ---------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--musicnn-dir", required=True, help="the unpacked wheel (holds musicnn/ and musicnn-0.1.0.dist-info/)")
    ap.add_argument("--wheel", required=True)
    ap.add_argument("--out-dir", default=HERE)
    ap.add_argument("--clip", required=True, help="crates/timbral-ingest/tests/fixtures/clip.ogg")
    ap.add_argument("--dev-audio", default="", help="development corpus (METADATA.csv) for extra verification patches")
    ap.add_argument("--dev-files", type=int, default=8)
    ap.add_argument("--models", nargs="+", default=list(MODELS))
    args = ap.parse_args()

    import librosa
    import onnx
    import onnxruntime
    import safetensors
    import soundfile
    import tensorflow as tf
    import tf2onnx

    wheel_name = os.path.basename(args.wheel)
    wheel_sha = sha256(args.wheel)
    versions = {
        "python": sys.version.split()[0],
        "tensorflow-cpu": tf.__version__,
        "tf2onnx": tf2onnx.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "numpy": np.__version__,
        "safetensors": safetensors.__version__,
        "librosa": librosa.__version__,
        "soundfile": soundfile.__version__,
    }
    print("versions:", json.dumps(versions))
    names, patches = verification_patches(args.clip, args.dev_audio, args.dev_files)
    print(f"verification patches: {len(patches)} ({', '.join(names)})")

    results = {}
    for model in args.models:
        print(f"== {model}")
        m = TfModel(args.musicnn_dir, model)
        eps = m.check_structure()
        print(f"graph structure checked; batch norm epsilon (every bn) = {eps!r}")
        weights = m.weights()
        meta = {
            "model": model,
            "bn_epsilon": "0.001",
            "source": f"PyPI musicnn 0.1.0 wheel {wheel_name} sha256 {wheel_sha}, checkpoint musicnn/{model}/ (ISC licence, see LICENSE-musicnn.md)",
            "tags": "\n".join(m.labels),
        }
        assert abs(eps - 0.001) < 1e-9
        st_path = os.path.join(args.out_dir, f"{model}.safetensors")
        write_safetensors(weights, meta, st_path)
        onnx_path = os.path.join(args.out_dir, f"{model}.onnx")
        opset = to_onnx(m.frozen_graph_def(), onnx_path)

        pen_tf, tags_tf = m.run(patches)
        pen_ort, tags_ort = numpy_forward.ort_run(onnx_path, patches)
        pen_ort1, tags_ort1 = numpy_forward.ort_run(onnx_path, patches[:1])  # batch 1 agrees with the batch
        net = numpy_forward.Musicnn(st_path)
        pen_np, tags_np = net.forward(patches)
        d = {
            "onnx_vs_tf_penultimate": float(np.abs(pen_ort - pen_tf).max()),
            "onnx_vs_tf_tags": float(np.abs(tags_ort - tags_tf).max()),
            "onnx_batch1_vs_batch": float(max(np.abs(pen_ort1 - pen_ort[:1]).max(), np.abs(tags_ort1 - tags_ort[:1]).max())),
            "numpy_vs_tf_penultimate": float(np.abs(pen_np - pen_tf).max()),
            "numpy_vs_tf_tags": float(np.abs(tags_np - tags_tf).max()),
            "penultimate_abs_max": float(np.abs(pen_tf).max()),
        }
        for k, v in d.items():
            print(f"  {k} = {v:.3g}")
        for i, n in enumerate(names):
            top = np.argsort(-tags_tf[i])[:3]
            print(f"  top tags {n}: " + ", ".join(f"{m.labels[j]} {tags_tf[i][j]:.2f}" for j in top))
        bad = {k: v for k, v in d.items() if k != "penultimate_abs_max" and v > TOL}
        if bad:
            sys.exit(f"verification FAILED for {model}: {bad}")
        results[model] = {"diffs": d, "opset": opset, "eps": eps, "n_params": int(sum(a.size for a in weights.values())),
                          "files": {p: sha256(os.path.join(args.out_dir, p)) for p in (f"{model}.onnx", f"{model}.safetensors")},
                          "sizes": {p: os.path.getsize(os.path.join(args.out_dir, p)) for p in (f"{model}.onnx", f"{model}.safetensors")}}
        m.sess.close()

    write_license(args.musicnn_dir, args.out_dir, wheel_name, wheel_sha)
    write_provenance(args.out_dir, wheel_name, wheel_sha, versions, results, names)
    print("wrote", ", ".join(sorted(f for r in results.values() for f in r["files"])), "LICENSE-musicnn.md PROVENANCE.md")


def write_license(musicnn_dir, out_dir, wheel_name, wheel_sha):
    with open(os.path.join(musicnn_dir, "musicnn-0.1.0.dist-info", "LICENSE.md")) as f:
        text = f.read()
    header = f"""# Licence of the musicnn weights

The files `MSD_musicnn.onnx`, `MSD_musicnn.safetensors`, `MTT_musicnn.onnx` and
`MTT_musicnn.safetensors` in this folder are conversions (no retraining, values unchanged) of the
`MSD_musicnn` and `MTT_musicnn` checkpoints shipped in the PyPI wheel `{wheel_name}`
(musicnn 0.1.0 by Jordi Pons, Music Technology Group, Universitat Pompeu Fabra; sha256
`{wheel_sha}`), made by `convert.sh` in this folder (see PROVENANCE.md).

The wheel declares the ISC licence (`License: ISC` in its METADATA). Its licence file,
`musicnn-0.1.0.dist-info/LICENSE.md`, follows verbatim between the rules.

Reference: J. Pons and X. Serra, "musicnn: pre-trained convolutional neural networks for music
audio tagging", Late-breaking/demo session, ISMIR 2019.

---

"""
    with open(os.path.join(out_dir, "LICENSE-musicnn.md"), "w") as f:
        f.write(header + text + ("" if text.endswith("\n") else "\n") + "\n---\n")


def write_provenance(out_dir, wheel_name, wheel_sha, versions, results, names):
    L = []
    L.append("# Provenance of the musicnn weights\n")
    L.append("Produced by one command, from the repository root:\n")
    L.append("    crates/timbral-embed/model/convert.sh\n")
    L.append(f"(which runs `convert.py`; last run {datetime.date.today().isoformat()}). With the pinned versions of "
             "convert.sh, a re-run reproduces every file below byte for byte: the safetensors writer sorts "
             "names, and convert.py makes tf2onnx's optimizer deterministic (it hashes graph nodes by object "
             "identity otherwise; PYTHONHASHSEED=0 does the rest).\n")
    L.append("## Source\n")
    L.append(f"- PyPI package `musicnn` version 0.1.0, wheel `{wheel_name}`, fetched by "
             "`pip download musicnn==0.1.0 --no-deps --only-binary=:all:`")
    L.append(f"- wheel sha256 `{wheel_sha}` (convert.sh refuses any other)")
    L.append("- licence: ISC (the wheel's METADATA and `musicnn-0.1.0.dist-info/LICENSE.md`, copied in "
             "`LICENSE-musicnn.md`)")
    L.append("- checkpoints `musicnn/MSD_musicnn/` and `musicnn/MTT_musicnn/` of the wheel (TF1 checkpoints "
             "with the empty prefix: `.index`, `.data-00000-of-00001`), graph rebuilt with the wheel's own "
             "`musicnn.models.define_model(x, is_training=False, model, 50)`\n")
    L.append("Essentia also redistributes musicnn weights (`msd-musicnn-1.pb` and others), but under a "
             "non-commercial licence (CC BY-NC-ND 4.0). timbral's weights come **only** from the PyPI wheel (ISC); "
             "do not replace them with Essentia's files.\n")
    L.append("## Tools\n")
    L.append("| package | version |\n|---|---|")
    for k, v in versions.items():
        L.append(f"| {k} | {v} |")
    L.append("")
    L.append("## Files\n")
    L.append("| file | bytes | sha256 |\n|---|---|---|")
    for model, r in results.items():
        for f, h in r["files"].items():
            L.append(f"| `{f}` | {r['sizes'][f]} | `{h}` |")
    L.append("")
    L.append("ONNX: opset 13, input `patches` float32 [N, 187, 96] (log-mel patches, time x mel), outputs "
             "`penultimate` [N, 200] (the model's `penultimate` = `bn_dense`, the 200-unit dense layer after "
             "ReLU and batch norm) and `tags` [N, 50] (sigmoid of the logits).\n")
    L.append("safetensors: float32 little-endian, TF layouts (conv kernels HWIO = [kh (time), kw (mel/channels), "
             "in, out]; dense kernels [in, out]); `__metadata__`: `model`, `bn_epsilon` (0.001, read from every "
             "batch-norm op of the graph), `source` (wheel and sha256), `tags` (the 50 labels of "
             "`musicnn/configuration.py`, `MSD_LABELS` / `MTT_LABELS`, in order, joined by newlines).\n")
    L.append("## Tensor names\n")
    L.append("TF variables are `tf.compat.v1.layers` defaults, numbered in creation order; convert.py checks "
             "the mapping against the graph's wiring (which op each conv / batch norm reads) and shapes, then "
             "numerically (`numpy_forward.py`, which reads only the safetensors file, against TensorFlow).\n")
    L.append("| timbral tensor | TF variable | shape |\n|---|---|---|")
    first = next(iter(results))
    for name, scope, kind in LAYOUT:
        for ours, theirs in SUFFIXES[kind]:
            key = f"{name}.{ours}"
            want = SHAPES.get(key) or SHAPES.get(name)
            if want is None:
                want = [SHAPES[f"{name}.kernel"][-1]]
            L.append(f"| `{key}` | `{scope}/{theirs}` | {want} |")
    L.append("")
    L.append("Graph details the Rust network must reproduce (see `numpy_forward.py`): relu before batch norm in "
             "every conv block; timbral convs: time pad 3+3 then 'valid'; temporal convs: TF 'same' "
             "(before (k-1)//2, after k-1-before along time, no freq pad); max pool over the whole frequency "
             "axis; mid-end convs span all channels, transposed, residual adds on conv2 and conv3; backend "
             "pool of the 753-channel concat [front 561, bn_conv1 64, res2 64, res3 64] is **interleaved**: "
             "the [N,753,1] max and mean over time are concatenated on axis 2 and flattened, so element 2c is "
             "max_t of channel c and 2c+1 its mean.\n")
    L.append("## Verification (last run)\n")
    L.append(f"Patches: {', '.join(names)} (tone and clip: patch 0; `@30s`: patch 0 of 4 s read from 30 s "
             "with librosa.load(offset=30, duration=4)), through the fixed front end of "
             "`../tests/fixtures/README.md`.\n")
    L.append("| model | params | onnx vs TF penultimate | onnx vs TF tags | numpy vs TF penultimate | numpy vs TF tags |\n|---|---|---|---|---|---|")
    for model, r in results.items():
        d = r["diffs"]
        L.append(f"| {model} | {r['n_params']} | {d['onnx_vs_tf_penultimate']:.2g} | {d['onnx_vs_tf_tags']:.2g} | "
                 f"{d['numpy_vs_tf_penultimate']:.2g} | {d['numpy_vs_tf_tags']:.2g} |")
    L.append("")
    with open(os.path.join(out_dir, "PROVENANCE.md"), "w") as f:
        f.write("\n".join(L))


if __name__ == "__main__":
    main()
