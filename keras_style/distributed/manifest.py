"""What a distributed run has already written, and with which settings.

A rerun must skip the work done before and redo nothing, even after a crash.
Workers record each finished batch in a small JSON file of its own (no two
workers ever write one file, which object stores could not merge):

    OUTPUT/.keras-style/runs/<fingerprint>/<batch id>.json   {"written": [...]}
    OUTPUT/.keras-style/runs/<fingerprint>/settings.json     what the run used

The fingerprint hashes every setting that changes the pixels (the preset's
weights, the style, the paintings, strength, colours, sizes, precision,
video options), so outputs of other settings are never taken as done; the
runtime and the batch size are left out, as they change no pixel beyond
one level (every runtime matches Keras within one). A
batch killed before its record is written is simply redone: outputs are
written atomically, so redoing one replaces it whole.
"""

import hashlib
import json
import posixpath
import uuid

MANIFEST_DIR = ".keras-style/runs"


def fingerprint(settings):
    """A short stable hash of a JSON-serializable settings dict."""
    text = json.dumps(settings, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _run_dir(key):
    return posixpath.join(MANIFEST_DIR, key)


def start(output, key, settings):
    """Records the settings of run `key` in `output` (a `Location`), once."""
    name = posixpath.join(_run_dir(key), "settings.json")
    if not output.exists(name):
        output.write_text(name, json.dumps(settings, indent=1, sort_keys=True))


def done(output, key):
    """The relative output names that run `key` recorded and that exist."""
    from pyarrow import fs as pafs

    folder = output.path(_run_dir(key))
    info = output.fs.get_file_info(folder)
    if info.type != pafs.FileType.Directory:
        return set()
    written = set()
    for entry in output.fs.get_file_info(pafs.FileSelector(folder)):
        name = posixpath.basename(entry.path)
        if name == "settings.json" or not name.endswith(".json"):
            continue
        try:
            record = json.loads(output.read_text(posixpath.join(_run_dir(key), name)))
            written.update(str(p) for p in record["written"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a torn record: its batch is redone
    existing = set(output.files())
    return written & existing


def record(output, key, written):
    """Records one finished batch's outputs (relative names) for run `key`."""
    if written:
        output.write_text(
            posixpath.join(_run_dir(key), f"{uuid.uuid4().hex}.json"),
            json.dumps({"written": sorted(written)}),
        )
