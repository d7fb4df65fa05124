"""Spark's executors import the model code from a zip (`make spark-package`, --py-files): the
lexicon files kept in the package must be read from inside it."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from tests.conftest import ROOT

CHECK = """
import sys
sys.path.insert(0, sys.argv[1])
from sentiment.ml import lexicon
from sentiment.ml.normalize import tokenize
assert lexicon.__file__.startswith(sys.argv[1]), lexicon.__file__
features = lexicon.LexiconFeatures()
row = features.transform([tokenize("so unreliable")])[0]
names = list(features.get_feature_names_out())
print(len(lexicon.hu_liu_lexicon()), row[names.index("huliu:compound")])
"""


def test_the_lexicons_are_read_from_the_executors_zip(tmp_path):
    # The files `make spark-package` puts in the zip (it archives the committed ones).
    package = tmp_path / "socialmetrics-ml.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.write(ROOT / "sentiment" / "__init__.py", "sentiment/__init__.py")
        for path in sorted((ROOT / "sentiment" / "ml").rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(ROOT).as_posix())

    # -I: the project folder is not on the path, so only the zip can provide `sentiment`.
    done = subprocess.run(
        [sys.executable, "-I", "-c", CHECK, str(package)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    size, compound = done.stdout.split()
    assert int(size) > 6_700
    assert float(compound) < 0
