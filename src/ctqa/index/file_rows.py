"""The sentence vectors of a saved index, read row range by row range from the file.

A question reads the vectors of its candidates' sentences only (a few hundred rows of the
``(n_sentences, 384)`` float32 matrix). A memory map of ``sentences.npy`` would do that too, but
the kernel maps the already cached pages around every page read ("fault-around"), so over a
hundred questions at 100k passages some 186 of its 460 MB became resident memory of the process.
``FileRows`` reads the rows asked for with ``os.pread`` into a fresh array: nothing of the file
stays mapped.
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path
from typing import Any

import numpy as np

FLOAT32 = np.dtype("<f4")


class FileRows:
    """A read-only 2-D float32 ``.npy`` file that answers ``rows[a:b]`` (and ``rows[i]``) with
    an ``np.ndarray`` read from disk; ``np.asarray(rows)`` reads it whole.

    Raises:
        ValueError: the file is not a C-ordered 2-D little-endian float32 ``.npy``, or its size
            is not that of its header's shape (truncated).
    """

    ndim = 2
    dtype = FLOAT32

    def __init__(self, path: Path) -> None:
        with path.open("rb") as stream:
            version = np.lib.format.read_magic(stream)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran_order, dtype = read_header(stream)
            self._offset = stream.tell()
        if len(shape) != 2 or fortran_order or np.dtype(dtype) != FLOAT32:
            raise ValueError(f"{path.name} holds a {np.dtype(dtype)} array of shape {shape}, not rows of float32")
        self.shape: tuple[int, int] = (int(shape[0]), int(shape[1]))
        self._row_bytes = self.shape[1] * FLOAT32.itemsize
        expected = self._offset + self.shape[0] * self._row_bytes
        size = path.stat().st_size
        if size != expected:
            raise ValueError(f"{path.name} is {size} bytes, its header says {expected}")
        self.path = path
        self._fd = os.open(path, os.O_RDONLY)
        # the file stays readable after a rebuild removes its folder, until this is collected
        weakref.finalize(self, os.close, self._fd)

    def __len__(self) -> int:
        return self.shape[0]

    def _read(self, first: int, stop: int) -> np.ndarray:
        count = max(0, stop - first)
        data = os.pread(self._fd, count * self._row_bytes, self._offset + first * self._row_bytes)
        if len(data) != count * self._row_bytes:
            raise OSError(f"{self.path} was cut short while it was read")
        return np.frombuffer(data, dtype=FLOAT32).reshape(count, self.shape[1])

    def __getitem__(self, key: Any) -> np.ndarray:
        if isinstance(key, slice) and key.step in (None, 1):
            first, stop, _ = key.indices(len(self))
            return self._read(first, stop)
        if isinstance(key, (int, np.integer)):
            row = int(key) + (len(self) if int(key) < 0 else 0)
            if not 0 <= row < len(self):
                raise IndexError(f"row {key} of {len(self)}")
            return self._read(row, row + 1)[0]
        return np.asarray(self)[key]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        rows = self._read(0, len(self))
        return rows if dtype is None else rows.astype(dtype)
