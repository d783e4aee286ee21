"""BaseAugmenter: the whole estimator contract, once, for every model.

A model is its parameters plus a (codec, engine) pair, and optionally a
curator (:meth:`BaseAugmenter._make_parts`): the codec turns the user's
data into tensors and back, the engine trains and samples on tensors, the
curator keeps the best of over-generated samples. This class runs ``fit``,
``sample``, ``fit_resample``, ``sample_to_file``, ``save`` and ``load`` for
all of them, and it alone knows devices, seeds and chunking. Model classes
register themselves here when they are defined (``__init_subclass__``), so
the file format never imports a model.
"""
from __future__ import annotations

from typing import ClassVar, NamedTuple

import numpy as np
import scipy.sparse
import torch
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import validate_parameter_constraints
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted

from ..engines.base import TrainingSet
from ..nets.noise import RowNoise, sub_seed
from .containers import append_labels, concat
from .curation import curate
from .files import SampleWriter
from .modelfile import register, save_model
from .plan import new_rows_per_class, plan_labels
from .semi import training_labels
from .tags import sampler_tags
from .validation import (
    check_positive, check_y_fit, check_y_semi, label_vector, resolve_device, seed_from,
    unlabelled_mask,
)

FIT_STREAM, SAMPLE_STREAM = 0, 1
CURATION_STREAM = 2  # a key of the seeds of curation rounds (see _unit)


class Parts(NamedTuple):
    """What a model is made of besides its parameters."""

    codec: object
    engine: object
    curator: object = None


class _Run(NamedTuple):
    """One sampling request, validated."""

    plan: object  # LabelPlan: the class index of every row
    condition: object  # codec's position for ``conditions``, or None
    seed: int
    temperature: float
    options: dict
    unit: int  # rows per engine call
    curator: object  # or None
    report: dict


class BaseAugmenter(BaseEstimator):
    """The scikit-learn / imbalanced-learn contract of every generator.

    A model class sets ``_parameter_constraints``, ``_codec_class`` (for
    what is known before a fit: tags, input preparation) and implements
    ``_make_parts()``; optionally ``_sampling_options(options)`` for
    model-specific keyword arguments of ``sample``, and ``_check_params()``
    for rules that span parameters.
    """

    #: Whether ``fit(X, y)`` takes rows marked unlabelled in ``y`` (-1 for
    #: numeric labels, None/NaN for string labels). Read by AugmentedClassifier.
    accepts_unlabelled: ClassVar[bool] = False
    _codec_class: ClassVar[type]
    # parameters a curating model reads when sample(curate=True) runs
    # (see core/curation.py); empty for a model without a curator
    _curation_params: ClassVar[tuple] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "_make_parts" in vars(cls):
            register(cls)

    def _make_parts(self) -> Parts:
        raise NotImplementedError

    def _check_params(self) -> None:
        """Hook: rules that span several parameters (after the constraints)."""

    def _sampling_options(self, options: dict) -> dict:
        """Hook: validate model-specific keyword arguments of ``sample``
        (by default ``curate`` alone, for models that curate)."""
        options = dict(options)
        curate = options.pop("curate", None) if self._curation_params else None
        if options:
            raise TypeError(
                f"{type(self).__name__}.sample() got unexpected keyword argument(s) "
                f"{sorted(options)}."
            )
        return self._curation_options(curate)

    def _curation_options(self, curate) -> dict:
        """Whether this call curates (``curate``, or the estimator's), and
        the curation parameters, read now so set_params applies at once."""
        if not self._curation_params:
            return {}
        validate_parameter_constraints({"curate": ["boolean", None]}, {"curate": curate},
                                       caller_name=f"{type(self).__name__}.sample")
        on = self.curate if curate is None else curate
        return {"curate": bool(on), **{p: getattr(self, p) for p in self._curation_params}}

    def __sklearn_tags__(self):
        tags = sampler_tags(super().__sklearn_tags__())
        tags.target_tags.required = False  # fit(X) alone gives an unconditional model
        self._codec_class.edit_tags(tags)
        return tags

    def __sklearn_is_fitted__(self) -> bool:
        return "engine_" in vars(self)

    @property
    def net_(self) -> torch.nn.Module:
        """The fitted sampling network (``engine_.net``)."""
        check_is_fitted(self)
        return self.engine_.net

    @property
    def sample_batch_size_(self) -> int:
        """Rows generated per device call: ``sample_batch_size``, or the
        engine's default for the device (see the class documentation)."""
        check_is_fitted(self)
        if self.sample_batch_size is None:
            return int(self.engine_.rows_per_call(self.device_))
        validate_parameter_constraints(  # it may have been set after fit
            {"sample_batch_size": self._parameter_constraints["sample_batch_size"]},
            {"sample_batch_size": self.sample_batch_size}, caller_name=type(self).__name__)
        return int(self.sample_batch_size)

    # ------------------------------------------------------------------ fit
    def fit(self, X, y=None):
        """Fit the generator on ``X`` (class-conditional when ``y`` is given).

        Parameters
        ----------
        X : the model's kind of data (see the model's documentation)
        y : array-like of shape (n_samples,), optional
            Class labels (also a one-column DataFrame, a tensor or a one-hot
            matrix); without them the model is unconditional. Models with
            ``accepts_unlabelled`` also take rows marked unlabelled: -1 for
            numeric labels (scikit-learn's semi-supervised convention), None
            or NaN for string labels.

        Returns
        -------
        self
        """
        self._fit(X, y)
        return self

    def _fit(self, X, y) -> bool:
        """Fit; return whether ``y`` came as a one-hot matrix. Fitted state
        is assigned only when everything succeeded, and a failed fit (bad
        input, a divergence, an interrupt) leaves the estimator unfitted: no
        half-trained model, and no stale one from an earlier fit that would
        pass for the result of this one."""
        try:
            return self._fit_all(X, y)
        except BaseException:
            self._set_fitted({})
            raise

    def _fit_all(self, X, y) -> bool:
        self._validate_params()
        self._check_params()
        if scipy.sparse.issparse(X):
            raise TypeError(
                "X is a scipy sparse matrix, which synthaug models do not accept; "
                "pass dense data (X.toarray())."
            )
        X, y = self._codec_class.prepare(X, y)
        n = self._codec_class.check_input(X)
        fitted, y_idx, n_classes, one_hot = {}, None, 0, False
        if y is not None:
            y, one_hot = label_vector(y, n)
            check = check_y_semi if self.accepts_unlabelled else check_y_fit
            classes, y_idx, counts = check(y, n)
            n_classes = len(classes)
            name = getattr(y, "name", None)  # so tools write labels under the user's name
            fitted.update(classes_=classes, class_counts_=counts,
                          target_name_=name if isinstance(name, str) else None)
        else:
            fitted["class_counts_"] = np.array([n])
        device = resolve_device(self.device)
        parts = self._make_parts()
        M = parts.codec.fit_transform(X)
        labels, n_pseudo = y_idx, 0
        if y_idx is not None and self.accepts_unlabelled:
            labels, n_pseudo = training_labels(M, y_idx, self.pseudo_labels, n_classes)
            fitted["n_pseudo_labelled_"] = n_pseudo
        data = TrainingSet(M, y_idx, labels, n_classes, parts.codec.layout)
        seed = seed_from(self.random_state, FIT_STREAM)
        history = parts.engine.fit(data, seed, device, type(self).__name__, bool(self.verbose))
        if parts.curator is not None:
            parts.curator.fit(data, parts.codec, seed)
        fitted.update(
            codec_=parts.codec, engine_=parts.engine, curator_=parts.curator, device_=device,
            history_=history, conditional_=y is not None,
            n_unlabelled_=0 if y_idx is None else int((y_idx < 0).sum()),
            **parts.codec.fitted_attributes(),
        )
        self._set_fitted(fitted)
        return one_hot

    def _set_fitted(self, fitted: dict) -> None:
        for name in [k for k in vars(self) if k.endswith("_") and not k.startswith("__")]:
            delattr(self, name)  # state of an earlier fit (e.g. sampling_strategy_)
        vars(self).update(fitted)

    # --------------------------------------------------------------- sample
    def sample(self, n_samples=None, y=None, *, conditions=None, temperature=None,
               random_state=None, **options):
        """Draw synthetic samples.

        Parameters
        ----------
        n_samples : int >= 1, or None when ``y`` is an array or a dict
        y : None, a label, an array of labels or a dict ``{label: count}``
            Only for a model fitted with labels. None follows the training
            class proportions (given ``conditions``, when set).
        conditions : dict ``{column: value}``, optional
            Tabular models: fix one categorical or boolean column to
            ``value`` in every row. The rest of each row is generated
            conditioned on it, never by rejecting rows.
        temperature : float or None
            Scale of the sampling noise for this call; None uses the
            estimator's ``temperature``.
        random_state : int, RandomState or None
            Defaults to the estimator's ``random_state``: the same value gives
            the same samples (on the same device), for any
            ``sample_to_file`` chunking; pass another for a new draw.
        **options
            Model-specific settings: ``curate`` (tabular models and TextLM:
            over-generate and keep the best samples, see the model's
            ``curate`` parameter; None uses the estimator's), and TextLM's
            ``top_p`` and ``max_length``.

        Returns
        -------
        X_syn
            For a model fitted without labels. Samples come in the container
            of the training ``X`` (array, DataFrame, tensor, list, Series)
            with its column names, dtypes, layout and value range.
        (X_syn, y_syn)
            For a model fitted with labels: ``y_syn`` is a numpy array of
            labels from ``classes_``, one per sample, in request order.
        """
        run = self._plan(n_samples, y, conditions, temperature, random_state, options)
        collector, labels = self.codec_.collector(len(run.plan)), []
        for part, idx in self._chunks(run, run.unit):
            collector.add(part)
            labels.append(idx)
        self.sample_report_ = run.report
        X_syn = collector.result()
        if not self.conditional_:
            return X_syn
        # (no label at all only when curation kept no sample)
        return X_syn, self.classes_[np.concatenate(labels) if labels else np.zeros(0, int)]

    def sample_to_file(self, path, n_samples=None, y=None, *, conditions=None,
                       temperature=None, chunk_size=None, random_state=None,
                       labels_path=None, **options):
        """Stream synthetic samples to a file, a chunk at a time.

        Memory stays bounded by ``chunk_size`` decoded samples (plus one
        device call's worth) whatever ``n_samples`` is, and the file holds
        exactly what ``sample`` returns for the same arguments and
        ``random_state``: samples are a function of the seed and their
        position, not of the chunking. Each file is written under a
        temporary name and renamed when complete, so a failure never leaves
        a partial file at ``path``.

        Parameters
        ----------
        path : str or Path
            The suffix chooses the format. Tables: ``.csv`` (header row; for
            a model fitted with labels the label is the last column, named
            as the training target or ``"label"``) or ``.npy`` (one array;
            numbers only). Images: ``.npy``. Texts: ``.txt`` (one text per
            line), ``.jsonl`` (``{"text": ..., "label": ...}`` per line) or
            ``.csv``.
        n_samples, y, conditions, temperature, random_state, **options
            As in :meth:`sample`.
        chunk_size : int >= 1, optional
            Samples generated and written per step (default: one device call).
        labels_path : str or Path, optional
            ``.npy`` / ``.txt`` output of a model fitted with labels: where
            the labels go (default: ``path`` with ``.labels.npy`` /
            ``.labels.txt`` in place of its suffix).

        Returns
        -------
        pathlib.Path, or ``(path, labels_path)`` for ``.npy`` / ``.txt`` with labels.
        """
        run = self._plan(n_samples, y, conditions, temperature, random_state, options)
        chunk = run.unit if chunk_size is None else chunk_size
        check_positive(chunk, "chunk_size", integer=True)
        writer = SampleWriter(path, labels_path, self, self.codec_.file_formats)
        chunks = ((self.codec_.collector(len(idx)).add(part).result(), idx)
                  for part, idx in self._chunks(run, int(chunk)))
        out = writer.write(chunks, len(run.plan))
        self.sample_report_ = run.report
        return out

    def _plan(self, n_samples, y, conditions, temperature, random_state, options) -> _Run:
        """Validate a sampling request."""
        check_is_fitted(self)
        condition = self.codec_.condition_position(conditions)
        if self.conditional_:
            counts = (self.class_counts_ if condition is None
                      else self.engine_.class_counts_given(condition))
            plan = plan_labels(n_samples, y, self.classes_, counts)
        else:
            if y is not None:
                raise ValueError(
                    "y was given but this model was fitted without labels; "
                    "refit with fit(X, y) to sample by class."
                )
            plan = plan_labels(n_samples, None, np.arange(1), self.class_counts_)
        if temperature is None:
            temperature = self.temperature
        else:  # the constructor's constraint, so both say the same
            validate_parameter_constraints(
                {"temperature": self._parameter_constraints["temperature"]},
                {"temperature": temperature}, caller_name=f"{type(self).__name__}.sample")
        options = self._sampling_options(options)
        rs = self.random_state if random_state is None else random_state
        curator = self.curator_ if options.get("curate") else None
        report = {"requested": len(plan), "generated": 0, "returned": 0}
        return _Run(plan, condition, seed_from(rs, SAMPLE_STREAM), float(temperature), options,
                    self.sample_batch_size_, curator, report)

    def _chunks(self, run: _Run, chunk_size: int):
        """Yield ``(decoded part, class indices)`` for consecutive chunks of
        ``chunk_size`` samples (a codec's collector builds the container).

        The engine always runs on the same units of ``run.unit`` rows,
        aligned at multiples of it, whatever ``chunk_size`` is: a matrix
        product's rounding can depend on its batch size, so this (with noise
        that is a function of the row, see ``nets.noise.RowNoise``) is what
        makes chunked output identical to one ``sample`` call.
        """
        waiting, waiting_idx, held = [], [], 0
        for lo in range(0, len(run.plan), run.unit):
            encoded, idx = self._unit(run, lo, min(lo + run.unit, len(run.plan)))
            pos = 0
            while pos < len(idx):
                take = min(chunk_size - held, len(idx) - pos)
                waiting.append(encoded[pos : pos + take])
                waiting_idx.append(idx[pos : pos + take])
                held, pos = held + take, pos + take
                if held == chunk_size:
                    yield self._decode(waiting, waiting_idx, run)
                    waiting, waiting_idx, held = [], [], 0
        if held:
            yield self._decode(waiting, waiting_idx, run)

    def _decode(self, encoded: list, idx: list, run: _Run):
        T = encoded[0] if len(encoded) == 1 else torch.cat(encoded)
        idx = np.concatenate(idx)
        run.report["returned"] += len(idx)
        return self.codec_.decode(T, run.report), idx

    def _unit(self, run: _Run, lo: int, hi: int):
        """Encoded samples for rows ``lo:hi`` of the plan, and their classes."""
        idx = run.plan.take(lo, hi)
        if run.curator is None:
            run.report["generated"] += hi - lo
            return self._draw(idx, RowNoise(run.seed, lo, hi, len(run.plan), self.device_),
                              run), idx

        def draw(labels, round_):
            # over-generation may ask for several units' worth: drawn a unit
            # at a time (memory stays bounded), each from its own stream
            parts = []
            for a in range(0, len(labels), run.unit):
                part = labels[a : a + run.unit]
                seed = sub_seed(run.seed, lo, CURATION_STREAM, round_, a)
                noise = RowNoise(seed, 0, len(part), len(part), self.device_)
                parts.append(self._draw(part, noise, run))
            return parts[0] if len(parts) == 1 else torch.cat(parts)

        n_classes = len(self.classes_) if self.conditional_ else 1
        return curate(draw, run.curator, idx, n_classes, run.options, run.report)

    def _draw(self, idx: np.ndarray, noise: RowNoise, run: _Run) -> torch.Tensor:
        y = torch.as_tensor(idx, device=self.device_) if self.conditional_ else None
        with torch.inference_mode():  # conditions and nets alike: no autograd
            return self.engine_.sample(y, noise, run.condition, run.temperature, run.options)

    # -------------------------------------------------------- fit_resample
    def fit_resample(self, X, y):
        """Fit on ``(X, y)`` and return real samples followed by synthetic ones.

        How many synthetic samples each class gets follows
        ``sampling_strategy`` (imbalanced-learn's meanings) or, when set,
        ``synthetic_ratio``. The real samples come first, unchanged and in
        order; ``X_res`` has ``X``'s container and ``y_res`` ``y``'s
        (array, Series, one-column DataFrame, list, tensor or one-hot matrix).
        """
        if isinstance(X, torch.utils.data.Dataset):
            raise TypeError(
                "fit_resample needs X as an array or tensor; for a Dataset use "
                "synthaug.AugmentedDataset(dataset, model.fit(dataset))."
            )
        if y is None:
            raise ValueError("fit_resample needs y; use fit(X) and sample(n) without labels.")
        if self.accepts_unlabelled:
            mask = unlabelled_mask(label_vector(y, len(y))[0])
            if mask.any():
                # resampling returns the training rows with their labels: an
                # unlabelled row has no label to return and no class to count in
                raise ValueError(
                    f"fit_resample got {int(mask.sum())} row(s) marked unlabelled in y; "
                    "resampling needs every row labelled. Use fit(X, y) with the "
                    "unlabelled rows, then sample(...), or AugmentedClassifier."
                )
        one_hot = self._fit(X, y)
        y_vec = label_vector(y, len(y))[0]  # for a callable sampling_strategy
        y_vec = np.asarray(getattr(y_vec, "to_numpy", lambda: y_vec)()).ravel()
        new = new_rows_per_class(self.sampling_strategy, self.synthetic_ratio, self.classes_,
                                 self.class_counts_, y_vec)
        self.sampling_strategy_ = {c: int(k) for c, k in zip(self.classes_.tolist(), new)}
        if new.sum() == 0:
            # same containers (a fresh RangeIndex, new arrays) as when samples are added
            return concat([X]), append_labels(y, self.classes_[:0], one_hot)
        X_syn, y_syn = self.sample(y={c: int(k) for c, k in self.sampling_strategy_.items() if k})
        return concat([X, X_syn]), append_labels(y, y_syn, one_hot)

    # ----------------------------------------------------------- features
    @available_if(lambda self: self._codec_class.has_columns)
    def get_feature_names_out(self, input_features=None):
        """The column names of the samples: those seen in fit (tabular models)."""
        check_is_fitted(self)
        return _check_feature_names_in(self, input_features)

    # ---------------------------------------------------------- persistence
    def save(self, path):
        """Write the fitted model to ``path`` (JSON config + arrays, no pickle).

        The file is written to a temporary name and renamed, so an existing
        file is never left half-written. Load it with :func:`synthaug.load`.

        Returns
        -------
        pathlib.Path : the path written (so ``load(model.save(p))`` chains).
        """
        check_is_fitted(self)
        return save_model(self, path)

    def __setstate__(self, state):
        super().__setstate__(state)
        if "engine_" in vars(self):  # modules were pickled on the CPU
            if self.device_.type == "cuda" and not torch.cuda.is_available():
                self.device_ = torch.device("cpu")
            self.engine_.to(self.device_)
