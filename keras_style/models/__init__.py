"""Style network families, one module or sub-package each.

- `transform_net`: Johnson et al. (2016), one network per style.
- `multi_style`: Dumoulin et al. (2017), many styles in one network.
- `arbitrary`: Ghiasi et al. (2017), any painting in one forward pass.
- `fixed_style_network`: a multi-style or arbitrary network with its style
  vector built in (photo in, photo out: trainable and exportable).
- `perceptual_mixin`: the `compile(style_image=...)` / `fit` hooks they share
  (the training code itself, `keras_style.training`, loads on `compile`).
"""
