"""Default settings of the methods, shared by the library and the CLI.

Plain constants and no imports, so the command line can show them in `--help`
without importing Keras. Library functions take their defaults from here, so
a default changed here changes both.
"""

# The smallest photo side the style networks accept (`keras_style.layers.padding`):
# reflection padding cannot mirror more pixels than an image has. Here, with
# no imports, so that inference without Keras can check it.
MIN_PHOTO_SIDE = 8

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

# Feed-forward training (Johnson et al. 2016): `keras_style.training.run.
# train_style` and `keras-style train`. The loss network, its taps and loss
# weights are per network: `keras_style.training.perceptual.DEFAULT_*`.
TRAIN_LOSS_NETWORK = "vgg19"
TRAIN_EPOCHS = 2
TRAIN_BATCH_SIZE = 4
TRAIN_IMAGE_SIZE = 256  # side of the square crops, pixels
TRAIN_LEARNING_RATE = 1e-3  # Adam, as in the paper
# A new style on a multi-style network (`--base`): only ~1000 scales and
# shifts train. Swept on wave over magenta26 (benchmarks/README.md): 0.1 gets
# in 100 steps what 0.01 got in 300; 0.3 is too noisy.
TRAIN_NEW_STYLE_LEARNING_RATE = 0.1
TRAIN_RESIDUAL_BLOCKS = 5
TRAIN_UPSAMPLING = "nearest"
TRAIN_PREVIEW_EVERY = 1000  # steps between preview grids; 0: none
TRAIN_CHECKPOINT_EVERY = 500  # steps between backups
TRAIN_VGG_WEIGHTS = "imagenet"
# Most pixels one training step may hold (batch x crop, or the style image):
# the VGG19 loss network and its gradients need ~3 kB per pixel.
TRAIN_MAX_STEP_PIXELS = 4 * 2**20

# Default taps per loss network. VGG16: Johnson et al. / pytorch/examples.
# VGG19: lengstrom/fast-style-transfer (the pretrained "wave" and others),
# i.e. Gatys et al.'s taps.
TRAIN_LAYERS = {
    "vgg16": {
        "content_layers": ("relu2_2",),
        "style_layers": ("relu1_2", "relu2_2", "relu3_3", "relu4_3"),
    },
    "vgg19": {
        "content_layers": ("relu4_2",),
        "style_layers": ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
    },
}

# Default loss weights per loss network.
#
# VGG16, derived from pytorch/examples fast_neural_style (content 1e5, style
# 1e10). Its VGG16 sees `(x / 255 - mean) / std`; ours sees the Caffe input
# `x - 255 * mean` (BGR) of the Keras ImageNet weights, i.e. the same picture
# scaled by s = 255 * std ≈ 255 * 0.226 ≈ 57.6. ReLU networks are positively
# homogeneous and both VGG16s were trained on their own input scale, so our
# activations are about s times theirs at every tap. Both codebases use
# mean-squared losses and Grams normalised by C·H·W, hence
#   content MSE scales by s² ≈ 3.3e3  ->  1e5  / 3.3e3 ≈ 30,
#   Gram scales by s², its MSE by s⁴ ≈ 1.1e7  ->  1e10 / 1.1e7 ≈ 900.
# TV is off by default, as in pytorch/examples. Not checked with real VGG16
# weights (none here).
#
# VGG19: lengstrom/fast-style-transfer's losses are ours term for term (its
# VGG19 takes the same Caffe input; content MSE, Grams normalised by C·H·W,
# style MSE summed over layers, TV as mean squared neighbour differences),
# with content 7.5, style 100, TV 200. But it trains 256 px crops against
# the full-size painting; ours trains smaller crops against a painting
# resized to twice the crop, and the style term weighs more there.
# Calibrated with the real ImageNet VGG19: fine-tuning the converted
# pretrained "wave" network for 60 steps (batch 2, 128 px crops) with our
# loss, content 7.5 pulls it away from the photo (relu4_2 distance on a
# held-out photo 0.686 -> 0.760), 15 still does (-> 0.727), while at 30 it
# stays where it is (0.682 -> 0.692) and its style holds. So 30 is the
# content weight at which the network we aim for is a fixed point of our
# loss. Trained from scratch for 2400 steps on 20 photos, a held-out portrait
# came out stylised and recognisable (relu4_2 distance 0.815, style moved
# 0.711), where 7.5 gave waves only (0.925); benchmarks/README.md,
# "Fast-training defaults".
TRAIN_LOSS_WEIGHTS = {
    "vgg16": {"content_weight": 30.0, "style_weight": 900.0, "tv_weight": 0.0},
    "vgg19": {"content_weight": 30.0, "style_weight": 100.0, "tv_weight": 200.0},
}

# The style image's longest side, as a multiple of the training crop size.
# The network paints the style's motifs at their pixel size: a 928 px wave
# against 128 px crops gave motifs larger than the crops, 4x (512 px) still
# stripes across the whole picture; 2x keeps several motifs per crop.
TRAIN_STYLE_SIZE_RATIO = 2

# The web app (`keras-style app`, `keras_style.app`): uploads over this many
# MB are refused by the page before any handler sees them.
APP_MAX_UPLOAD_MB = 25
