"""Model files on disk: written atomically, loaded only when their SHA-256 matches.

joblib files are pickles, and loading a pickle runs code. A file is therefore read once into
memory, hashed, compared with the checksum recorded when it was saved, and only then unpickled
from those same bytes, so that nothing can swap the file between the check and the load.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import sklearn
from sklearn.exceptions import InconsistentVersionWarning

MODEL_FILE = "sentiment_model.pkl"
VECTORIZER_FILE = "tfidf_vectorizer.pkl"
META_FILE = "meta.json"
# Inside a version's folder: the pair that was evaluated, when the served one was refitted on
# every annotated tweet (sentiment/services/training.py).
EVALUATION_FOLDER = "evaluation"


class ArtifactError(Exception):
    """A model folder that cannot be written, or files that must not be loaded."""


@dataclass(frozen=True)
class Checksums:
    model_sha256: str
    vectorizer_sha256: str


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def save_artifacts(
    directory: Path, vectorizer: Any, classifier: Any, meta: dict[str, Any]
) -> Checksums:
    """Write both pickles and a meta.json into `directory`, which must not exist yet.

    Everything is written and synced in a sibling `.partial` folder that is renamed into place
    last: a crash midway leaves no folder under the final name, and nothing half-written.
    """
    directory = Path(directory)
    if directory.exists():
        raise ArtifactError(f"model folder {directory} already exists")
    partial = directory.with_name(directory.name + f".partial-{os.getpid()}")
    try:
        directory.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        model_bytes = _dump(classifier)
        vectorizer_bytes = _dump(vectorizer)
        checksums = Checksums(sha256_bytes(model_bytes), sha256_bytes(vectorizer_bytes))
        meta = {**meta, "sklearn_version": sklearn.__version__, **checksums.__dict__}
        _write_synced(partial / MODEL_FILE, model_bytes)
        _write_synced(partial / VECTORIZER_FILE, vectorizer_bytes)
        _write_synced(partial / META_FILE, json.dumps(meta, indent=2, sort_keys=True).encode())
        _fsync_dir(partial)
        partial.rename(directory)
        _fsync_dir(directory.parent)
    except OSError as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise ArtifactError(
            f"cannot write the model to {directory}: {exc.strerror or exc}"
        ) from exc
    return checksums


def load_artifacts(directory: Path, checksums: Checksums) -> tuple[Any, Any]:
    """Load (vectorizer, classifier) from `directory` once both SHA-256 sums match."""
    vectorizer_bytes, model_bytes = _read_both(Path(directory), checksums)
    return (
        _unpickle(Path(directory) / VECTORIZER_FILE, vectorizer_bytes),
        _unpickle(Path(directory) / MODEL_FILE, model_bytes),
    )


def verify_artifacts(directory: Path, checksums: Checksums) -> None:
    """Raise ArtifactError unless both files are present and match their checksums."""
    _read_both(Path(directory), checksums)


def _read_both(directory: Path, checksums: Checksums) -> tuple[bytes, bytes]:
    # Both files are checked before either is unpickled.
    return (
        _read_verified(directory / VECTORIZER_FILE, checksums.vectorizer_sha256),
        _read_verified(directory / MODEL_FILE, checksums.model_sha256),
    )


def _read_verified(path: Path, expected: str) -> bytes:
    if not expected:
        raise ArtifactError(f"{path}: no checksum was recorded, refusing to load it")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ArtifactError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    actual = sha256_bytes(data)
    if actual != expected:
        raise ArtifactError(
            f"{path}: SHA-256 {actual[:12]}… does not match the recorded {expected[:12]}…; "
            "the file was changed after it was saved and will not be loaded"
        )
    return data


def _unpickle(path: Path, data: bytes) -> Any:
    with warnings.catch_warnings():
        # A version mismatch is reported by the caller, from the recorded version.
        warnings.simplefilter("ignore", category=InconsistentVersionWarning)
        try:
            return joblib.load(io.BytesIO(data))
        except Exception as exc:  # a pickle can fail in many ways; all mean "unusable"
            raise ArtifactError(f"{path}: cannot be loaded ({type(exc).__name__}: {exc})") from exc


def _dump(obj: Any) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(obj, buffer)
    return buffer.getvalue()


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
