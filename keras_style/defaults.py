"""Default settings of the methods, shared by the library and the CLI.

Plain constants and no imports, so the command line can show them in `--help`
without importing Keras. Library functions take their defaults from here, so
a default changed here changes both.
"""

# Gatys et al. optimization: `keras_style.optimize.stylize_optimize`.
GATYS_SIZE = 512  # longest side of the output, pixels
GATYS_ITERATIONS = 500  # per scale
GATYS_OPTIMIZER = "lbfgs"
GATYS_LEARNING_RATE = 10.0  # Adam, in pixel units (0..255)
GATYS_CONTENT_WEIGHT = 5.0
GATYS_STYLE_WEIGHT = 100.0
# TV 300 halves the magenta/green speckles of TV 100 with real VGG19 weights,
# at no measurable cost in style or content (benchmarks/README.md).
GATYS_TV_WEIGHT = 300.0
GATYS_CONTENT_LAYERS = ("relu4_2",)
GATYS_STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
GATYS_INIT = "content"
GATYS_STYLE_SCALE = 1.0
GATYS_POOLING = "max"
# Reflection padding (px) around the image before VGG19, cropped off the
# features again: with VGG's own zero padding on the image's outer rows, the
# result got a coloured fringe 1-2 px wide. 16 px is one relu5_1 cell, so
# every tap is cropped back exactly.
GATYS_BORDER = 16
# Largest image (output at any scale, or resized style) the optimization may
# work on: VGG19 activations and their gradients take ~3 kB per pixel, so
# 2048x2048 already needs ~12 GB.
GATYS_MAX_PIXELS = 2048 * 2048

# Feed-forward training (Johnson et al. 2016): `keras_style.training_run.
# train_style` and `keras-style train`. The loss network, its taps and loss
# weights are per network: `keras_style.training.DEFAULT_*`.
TRAIN_LOSS_NETWORK = "vgg19"
TRAIN_EPOCHS = 2
TRAIN_BATCH_SIZE = 4
TRAIN_IMAGE_SIZE = 256  # side of the square crops, pixels
TRAIN_LEARNING_RATE = 1e-3  # Adam, as in the paper
TRAIN_RESIDUAL_BLOCKS = 5
TRAIN_UPSAMPLING = "nearest"
TRAIN_PREVIEW_EVERY = 1000  # steps between preview grids; 0: none
TRAIN_CHECKPOINT_EVERY = 500  # steps between backups
TRAIN_VGG_WEIGHTS = "imagenet"
# Most pixels one training step may hold (batch x crop, or the style image):
# the VGG19 loss network and its gradients need ~3 kB per pixel.
TRAIN_MAX_STEP_PIXELS = 4 * 2**20
