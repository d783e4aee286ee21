"""Images: ``python -m benchmarks images`` (issue 6). Does generative
augmentation help a small CNN?

Protocol (``shared/BENCHMARK.md``): for each dataset draw ``k`` labelled
images per class, fit each generator on those only, and train the same small
CNN (same steps, same seeds) on each arm's training set:

* ``none``: the real images;
* ``classic``: the real images under random affine + crop (the torchvision
  ``RandomAffine(10, (0.1, 0.1), (0.9, 1.1))`` + ``RandomCrop(pad=side/14)``
  recipe, re-implemented batched in torch so torchvision is not needed);
* ``image-vae`` / ``image-gan``: real + ``RATIO`` synthetic images per real one;
* ``classic+vae`` / ``classic+gan``: both.

Test sets: digits, every image not drawn; Fashion-MNIST, a fixed stratified
2,000 images of the official test split (the 60,000 training images are the
pool the k per class are drawn from). Each generator is fitted once per
(dataset, k, seed) with a fixed, stated step budget, and its samples feed
both its arms; TSTR (CNN on synthetic only) and DCR (pixel distance to the
closest training image) are recorded so that near-copies cannot pass as
wins.

Modules: ``config`` (``Config``, ``QUICK``), ``data`` (loaders, split),
``cnn`` (the CNN, classic transforms, metrics), ``cell`` (``run_cell``),
``grids`` (sample grids), ``render`` (the page block), ``main`` (the
command line).
"""
