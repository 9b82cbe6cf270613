"""Training style networks with perceptual losses through `model.fit`.

- `perceptual.py`: the training task behind `compile(style_image=...)`
  (loss network, Gram targets, compile options);
- `arbitrary.py`: the same for the arbitrary-style network (photo and
  painting pairs);
- `data.py`: folders of photos (and paintings) as training batches;
- `callbacks.py`, `backup_and_restore.py`: previews, backups, resuming;
- `run.py`: `train_style`, the whole run behind `keras-style train`.

Nothing is imported here: inference never loads training code.
"""
