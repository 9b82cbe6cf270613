"""Publishing a preset directory to a Hugging Face Hub model repo."""

import dataclasses
import json
import pathlib

from keras_style.presets.preset_utils import CONFIG_FILE, sha256_file
from keras_style.presets.registry import PRESET_FILES, REQUIRED_FILES, parse_hub_handle


@dataclasses.dataclass(frozen=True)
class Published:
    """Result of `upload`: what to pin in the registry.

    Attributes:
        repo_id: `owner/repo`.
        revision: sha of the commit that holds the preset.
        sha256: `{file name: sha256}` of the uploaded files.
    """

    repo_id: str
    revision: str
    sha256: dict


def upload(
    preset_dir, handle, *, token=None, endpoint=None, private=False, commit_message=None
):
    """Publishes a preset directory to a Hub model repo.

    Creates the repo if needed and commits the preset files (`config.json`,
    `model.weights.h5`, `metadata.json`, `README.md` as model card).

    Args:
        preset_dir: a preset directory (see `TransformNet.save_to_preset`).
        handle: `"hf://owner/repo"` (no revision).
        token: Hub token (default: huggingface_hub's, e.g. `$HF_TOKEN`).
        endpoint: Hub URL (default: huggingface_hub's).
        private: create the repo as private.
        commit_message: defaults to "Upload keras-style preset".

    Returns:
        `Published(repo_id, revision, sha256)`: the new commit sha and the
        sha256 of every uploaded file, ready to pin in the registry.

    Example:

    >>> keras_style.zoo.upload("presets/wave", "hf://me/wave")
    Published(repo_id='me/wave', revision='3f2a...', sha256={...})
    """
    from huggingface_hub import HfApi

    preset_dir = pathlib.Path(preset_dir)
    repo_id, revision = parse_hub_handle(handle)
    if revision is not None:
        raise ValueError(
            f"Uploads go to the main branch; drop '@{revision}'. Received: handle={handle!r}"
        )
    missing = [n for n in REQUIRED_FILES if not (preset_dir / n).is_file()]
    if missing:
        raise FileNotFoundError(
            f"Not a preset directory: missing {missing}. Received: preset_dir={str(preset_dir)!r}"
        )
    try:
        config = json.loads((preset_dir / CONFIG_FILE).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(
            f"{CONFIG_FILE} is not valid JSON ({e}). Received: preset_dir={str(preset_dir)!r}"
        ) from None
    files = [n for n in PRESET_FILES if (preset_dir / n).is_file()]
    api = HfApi(endpoint=endpoint, token=token)
    api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
    info = api.upload_folder(
        repo_id=repo_id,
        folder_path=preset_dir,
        allow_patterns=files,
        commit_message=commit_message
        or f"Upload keras-style preset ({config.get('class_name')})",
    )
    sha = {n: sha256_file(preset_dir / n) for n in files}
    return Published(repo_id, info.oid, sha)
