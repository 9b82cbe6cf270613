"""Presets: folders holding a network's config, weights, metadata, model card
and checksums, and how a handle becomes one. Below every model.

- `preset_utils.py`: writing, verifying and loading a preset folder;
  `preset_mixin.py`: `save_to_preset` / `from_preset` / `from_preset_dir`;
- `table.py`: the published styles (one dict each); `registry.py`: entries
  checked and built from it, and handle validation;
- `download.py`: a handle to a local preset (embedded copy, caches, Hub);
  `hub.py`, `cache.py`: the Hub and the cache folders;
- `model_card.py`, `errors.py`;
- `embedded/`: the presets shipped inside the package.
"""
