"""A compiled cache of what the law layer builds on every start, so `sharemap law rule` starts fast.

Parsing the 47 provision files and validating them with pydantic takes 0.1–0.3 s, more than the rest
of a ruling. `compiled(name, inputs, build)` keeps the built object as a pickle under
$SHAREMAP_HOME/cache/law/, keyed by a hash of the input files, of the source of the modules whose
classes it holds and of the Python and pydantic versions. Any change to those, an unreadable or
corrupt file, or a folder that cannot be written falls back to `build()`: the cache can make a run
faster, never different. The file is written atomically (temporary name, then renamed), readable by
its owner only, and is read back only when its header carries the expected key. Deleting the
folder is always safe; SHAREMAP_LAW_CACHE=0 turns the cache off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from sharemap.settings import PACKAGE_DIR, cache_dir

T = TypeVar("T")

FORMAT = b"sharemap-law-cache-1\n"
# the modules whose classes a cached object holds: a change to any of them changes the key
CODE = tuple(
    PACKAGE_DIR / rel
    for rel in (
        "kb/data/jurisdictions.csv",
        "kb/jurisdictions.py",
        "kb/model.py",
        "law/cache.py",
        "law/coverage.py",
        "law/engine.py",
        "law/labels.py",
        "law/load.py",
        "law/model.py",
        "law/vocab.py",
    )
)


def cache_key(name: str, inputs: Iterable[Path]) -> bytes:
    """A digest of everything the built object depends on: inputs, code and versions."""
    import pydantic.version

    digest = hashlib.blake2b(digest_size=20)
    digest.update(f"{name}\0{sys.version}\0{pydantic.version.VERSION}\0".encode())
    for path in (*CODE, *inputs):
        digest.update(f"{path.name}\0".encode())
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest().encode()


def cache_file(name: str) -> Path:
    return cache_dir() / "law" / f"{name}.pickle"


def _read(path: Path, key: bytes) -> object | None:
    """The cached object if the file exists and carries `key`, else None."""
    try:
        with path.open("rb") as fh:
            if fh.readline() != FORMAT or fh.readline().rstrip(b"\n") != key:
                return None
            return pickle.load(fh)
    except Exception:  # a broken cache only means building afresh
        return None


def _write(path: Path, key: bytes, value: object) -> None:
    """Write the cache whole or not at all; a folder that cannot be written is not an error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(FORMAT + key + b"\n")
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except Exception:  # the cache is an optimisation: never an error of its own
        pass


def compiled(name: str, inputs: Iterable[Path], build: Callable[[], T]) -> T:
    """`build()`, or the object a previous run built from the same inputs and code (unless the
    setting SHAREMAP_LAW_CACHE is 0)."""
    if os.environ.get("SHAREMAP_LAW_CACHE", "").strip() == "0":
        return build()
    try:
        key = cache_key(name, sorted(inputs))
    except OSError:
        return build()  # an input that cannot be read: let build() report it
    path = cache_file(name)
    found = _read(path, key)
    if found is not None:
        return found  # type: ignore[return-value]
    value = build()
    _write(path, key, value)
    return value
