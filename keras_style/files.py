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
