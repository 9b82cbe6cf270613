"""Where a distributed run reads and writes: a local folder or any URI that
pyarrow's file systems open (`s3://`, `gs://`, `hdfs://`, `file://`).

Workers see inputs and outputs through these helpers only, so the same code
serves a laptop folder and a bucket. Every output appears whole or not at
all: on a local disk it is renamed into place from a hidden `.part` file, and
an object store publishes an object only once its upload completes.
"""

import contextlib
import os
import pathlib
import posixpath
import re
import shutil
import tempfile

# The hidden partial files of `save_image` and the video writer
# (`.NAME.XXXXXXXX.part`, `.STEM.XXXXXXXX.part.EXT`): a worker killed while
# writing leaves one, which the run sweeps once no worker writes any more.
PARTIAL_NAME = re.compile(r"\..+\.[A-Za-z0-9_]{8}\.part(\.[A-Za-z0-9]+)?")


class Location:
    """A folder on a pyarrow file system: `Location("s3://bucket/photos")`.

    Pickles as its URI, so workers on other machines reopen it with their
    own credentials.
    """

    def __init__(self, uri):
        from pyarrow import fs as pafs

        self.uri = str(uri)
        if "://" in self.uri:
            self.fs, root = pafs.FileSystem.from_uri(self.uri)
        else:
            # Absolute: a worker's working directory is not the driver's.
            self.uri = root = str(pathlib.Path(self.uri).resolve())
            self.fs = pafs.LocalFileSystem()
        self.root = root.rstrip("/") or "/"
        self.is_local = isinstance(self.fs, pafs.LocalFileSystem)

    def __reduce__(self):
        return (Location, (self.uri,))

    def __repr__(self):
        return f"Location({self.uri!r})"

    def path(self, relative):
        """The file system path of `relative` (a `/`-separated name)."""
        return posixpath.join(self.root, relative)

    def is_dir(self):
        from pyarrow import fs as pafs

        return self.fs.get_file_info(self.root).type == pafs.FileType.Directory

    def contains(self, other):
        """Whether `other` is this folder or lies inside it (same file system)."""
        if type(self.fs) is not type(other.fs):
            return False
        return other.root == self.root or other.root.startswith(self.root + "/")

    def files(self, exclude=None):
        """Sorted relative names of the files under this folder, recursively,
        leaving out the folder `exclude` (a `Location`) and hidden names."""
        from pyarrow import fs as pafs

        infos = self.fs.get_file_info(pafs.FileSelector(self.root, recursive=True))
        skip = None
        if exclude is not None and self.contains(exclude) and exclude.root != self.root:
            skip = exclude.root + "/"
        names = []
        for info in infos:
            if info.type != pafs.FileType.File:
                continue
            if skip and info.path.startswith(skip):
                continue
            relative = posixpath.relpath(info.path, self.root)
            if any(part.startswith(".") for part in relative.split("/")):
                continue
            names.append(relative)
        return sorted(names)

    def exists(self, relative):
        from pyarrow import fs as pafs

        info = self.fs.get_file_info(self.path(relative))
        return info.type == pafs.FileType.File

    def read_text(self, relative):
        with self.fs.open_input_stream(self.path(relative)) as f:
            return f.read().decode("utf-8")

    def open(self, relative):
        """A seekable binary file for reading (only the bytes read travel)."""
        return self.fs.open_input_file(self.path(relative))

    def write_text(self, relative, text):
        """Writes a small file whole: renamed into place on a local disk, one
        upload elsewhere."""
        target = self.path(relative)
        self.fs.create_dir(posixpath.dirname(target), recursive=True)
        if self.is_local:
            partial = f"{target}.{os.getpid()}.tmp"
            pathlib.Path(partial).write_text(text, "utf-8")
            os.replace(partial, target)
            return
        with self.fs.open_output_stream(target) as f:
            f.write(text.encode("utf-8"))

    @contextlib.contextmanager
    def local_input(self, relative):
        """A local path holding the file `relative` (the file itself when
        local; a downloaded temporary copy otherwise)."""
        if self.is_local:
            yield pathlib.Path(self.path(relative))
            return
        suffix = posixpath.splitext(relative)[1]
        with tempfile.TemporaryDirectory(prefix="keras-style-") as tmp:
            local = pathlib.Path(tmp) / f"input{suffix}"
            with (
                self.fs.open_input_stream(self.path(relative)) as src,
                open(local, "wb") as dst,
            ):
                shutil.copyfileobj(src, dst)
            yield local

    @contextlib.contextmanager
    def output(self, relative, suffix=""):
        """A local path to write the output `relative` to.

        On a local disk it is the destination itself: the package's image
        and video writers write a hidden partial file next to it and rename
        it into place. Elsewhere it is a temporary file, uploaded on a clean
        exit (an object store publishes an object only once complete).
        """
        target = self.path(relative)
        if self.is_local:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            yield pathlib.Path(target)
            return
        with tempfile.TemporaryDirectory(prefix="keras-style-") as tmp:
            local = pathlib.Path(tmp) / f"output{suffix}"
            yield local
            self.fs.create_dir(posixpath.dirname(target), recursive=True)
            with open(local, "rb") as src, self.fs.open_output_stream(target) as dst:
                shutil.copyfileobj(src, dst)

    def sweep_partial(self):
        """Deletes the partial files (`.NAME.XXXX.part[.EXT]`) that killed
        workers left behind; call it only when no worker writes here.
        Returns how many it deleted."""
        if not self.is_local or not self.is_dir():
            return 0
        count = 0
        for path in pathlib.Path(self.root).rglob(".*.part*"):
            if path.is_file() and PARTIAL_NAME.fullmatch(path.name):
                path.unlink(missing_ok=True)
                count += 1
        return count
