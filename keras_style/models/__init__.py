"""Style network families, one sub-package each.

- `arbitrary`: Ghiasi et al. (2017), any painting in one forward pass.

(Johnson's `TransformNet` still lives in `keras_style.transform_net`.)
"""
