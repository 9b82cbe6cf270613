"""Style network families, one sub-package each.

- `arbitrary`: Ghiasi et al. (2017), any painting in one forward pass.
- `multi_style`: Dumoulin et al. (2017), many styles in one network.
- `fixed_style_network`: either of them with its style vector built in.

(Johnson's `TransformNet` still lives in `keras_style.transform_net`.)
"""
