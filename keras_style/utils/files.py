"""Atomic writes shared by image saving, presets and the zoo cache.

Everything the library writes is assembled under a temporary name and renamed
into place, so an interrupted run never leaves a half-written file or preset.
"""

import os
import shutil


def current_umask():
    """The process umask, read without changing it where the OS allows.

    `os.umask` can only be read by setting it, which is process-wide and racy
    with threads; Linux exposes it in /proc instead.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path, text):
    """Writes `text` to `path` through a temporary sibling and a rename, so
    readers see the old file or the new one, never a partial one.

    Example:

    >>> write_text_atomic("settings.json", "{}")
    """
    path = os.fspath(path)
    tmp = os.path.join(
        os.path.dirname(path), f".{os.path.basename(path)}.{os.getpid()}.tmp"
    )
    try:
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def publish_directory(built, destination):
    """Moves a finished temporary directory to `destination`, atomically.

    `tempfile.mkdtemp` folders are private (0700); the result gets the mode of
    a plain `mkdir` so shared caches stay readable. An existing destination is
    swapped out by renames (same file system), never copied.

    Args:
        built: the finished directory, a sibling of `destination`.
        destination: where it should end up.
    """
    os.chmod(built, 0o777 & ~current_umask())
    if not os.path.exists(destination):
        os.replace(built, destination)
        return
    old = os.path.join(
        os.path.dirname(destination), f".{os.path.basename(destination)}.old"
    )
    shutil.rmtree(old, ignore_errors=True)
    os.replace(destination, old)
    os.replace(built, destination)
    shutil.rmtree(old, ignore_errors=True)
