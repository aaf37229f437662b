"""Fitting the DS-CNN: TensorFlow set-up, the model, feature-domain augmentation, the training loop with
its time budget and learning-rate schedule, and the representative set for the int8 export.
Used by training/train.py's train and export phases."""
from __future__ import annotations

import math
import os
import sys
import time

from training.labels import LABELS


def setup_tf(threads):
    n = threads or int(os.environ.get("TF_NUM_INTRAOP_THREADS", "0") or 0) or (os.cpu_count() or 1)
    os.environ["TF_NUM_INTRAOP_THREADS"] = str(n)
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    try:
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(int(os.environ["TF_NUM_INTEROP_THREADS"]))
    except RuntimeError:
        pass   # already initialized in this process
    return n


def build_model(a, input_shape):
    import keras
    from training.dscnn import build_dscnn
    model = build_dscnn(input_shape=input_shape, num_classes=len(LABELS), first_filters=a.width,
                        blocks=a.blocks, block_filters=a.width, dropout=a.dropout)
    # Keras' default BN momentum (0.99) needs ~1000 steps before the moving statistics used at
    # inference (and folded into the int8 weights) follow the batch statistics; short runs need less.
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = a.bn_momentum
    return model


def augmented_dataset(a, x, y, n_cls):
    """Shuffled training batches (one-hot labels), augmented on the fly in the feature domain.

    Every epoch sees each example with a fresh random time shift (edge frames repeated) and
    SpecAugment-style masks (a few frames, or a few feature rows, replaced by the example's mean over
    the masked axis). The network must then recognise a word from parts of it, which is what carries
    over to voices it has not heard; the exported model and the hardware see unmasked features."""
    import tensorflow as tf
    T, F = int(x.shape[1]), int(x.shape[2])

    def masks(shape_len, n, width, b):
        if n <= 0 or width <= 0:
            return tf.zeros((b, shape_len), tf.bool)
        w = tf.random.uniform((b, n), 0, width + 1, tf.int32)
        s = tf.random.uniform((b, n), 0, shape_len, tf.int32)
        pos = tf.range(shape_len)[None, None, :]
        return tf.reduce_any((pos >= s[..., None]) & (pos < (s + w)[..., None]), axis=1)

    def aug(xb, yb):
        b = tf.shape(xb)[0]
        if a.time_shift > 0:
            sh = tf.random.uniform((b,), -a.time_shift, a.time_shift + 1, tf.int32)
            idx = tf.clip_by_value(tf.range(T)[None, :] - sh[:, None], 0, T - 1)
            xb = tf.gather(xb, idx, batch_dims=1)
        mt = masks(T, a.time_masks, a.mask_frames, b)[:, :, None, None]
        xb = tf.where(mt, tf.reduce_mean(xb, axis=1, keepdims=True), xb)
        mf = masks(F, a.feature_masks, a.mask_features, b)[:, None, :, None]
        xb = tf.where(mf, tf.reduce_mean(xb, axis=2, keepdims=True), xb)
        return xb, tf.one_hot(yb, n_cls)

    ds = tf.data.Dataset.from_tensor_slices((x, y.astype("int32")))
    ds = ds.shuffle(len(y), seed=a.seed, reshuffle_each_iteration=True).batch(a.batch_size)
    return ds.map(aug, num_parallel_calls=1).prefetch(2)


def train(a, model, x_tr, y_tr, x_va, y_va, seconds):
    import keras

    class TimeBudget(keras.callbacks.Callback):
        """Stop when another epoch (as long as the longest so far) would overrun ``limit`` seconds."""

        def __init__(self, limit):
            super().__init__()
            self.limit, self.t0, self.hit, self.longest, self.t_epoch = limit, time.time(), False, 0.0, None

        def on_epoch_begin(self, epoch, logs=None):
            self.t_epoch = time.time()

        def on_epoch_end(self, epoch, logs=None):
            now = time.time()
            self.longest = max(self.longest, now - self.t_epoch)
            if now - self.t0 + self.longest > self.limit:
                print(f"[train] stopping after epoch {epoch + 1}: another epoch would pass the time budget "
                      f"({self.limit:.0f} s for training)", flush=True)
                self.model.stop_training, self.hit = True, True

    class CosineToBudget(keras.callbacks.Callback):
        """Cosine learning-rate decay from ``lr0`` to ``lr_min`` over the planned number of epochs:
        ``max_epochs``, or fewer when the time budget cannot hold them, re-planned after every epoch
        with the time budget's own measure (its longest epoch), so the decay ends where it stops training."""

        def __init__(self, lr0, lr_min, max_epochs, budget):
            super().__init__()
            self.lr0, self.lr_min, self.max_epochs, self.budget = lr0, lr_min, max_epochs, budget
            self.planned = max_epochs

        def on_epoch_begin(self, epoch, logs=None):
            frac = min(1.0, epoch / max(1, self.planned - 1))
            lr = self.lr_min + 0.5 * (self.lr0 - self.lr_min) * (1 + math.cos(math.pi * frac))
            self.model.optimizer.learning_rate.assign(lr)

        def on_epoch_end(self, epoch, logs=None):   # runs after the budget's, which measured this epoch
            left = self.budget.limit - (time.time() - self.budget.t0)
            per = self.budget.longest
            fit = epoch + 1 + int(left // per) if per > 0 else self.max_epochs
            planned = min(self.max_epochs, max(epoch + 2, fit))
            if planned != self.planned and epoch + 1 < planned:
                print(f"[train] learning-rate decay planned over {planned} epochs "
                      f"({per:.0f} s per epoch, {left:.0f} s left)", flush=True)
            self.planned = planned
            if logs is not None:
                logs["learning_rate"] = float(self.model.optimizer.learning_rate.numpy())

    keras.utils.set_random_seed(a.seed)
    model.compile(optimizer=keras.optimizers.Adam(a.lr),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=a.label_smoothing),
                  metrics=["accuracy"])
    n_cls = model.output_shape[-1]
    train_ds = augmented_dataset(a, x_tr, y_tr, n_cls)
    y_va = keras.utils.to_categorical(y_va, n_cls)
    budget = TimeBudget(seconds)
    if a.lr_schedule == "plateau":
        sched = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_lr=a.min_lr,
                                                  verbose=0)
    else:
        sched = CosineToBudget(a.lr, a.min_lr, a.epochs, budget)

    class EarlyStopAfterDecay(keras.callbacks.EarlyStopping):
        """Early stopping that lets the cosine decay reach its last quarter first: at a high learning
        rate validation accuracy is noisy, and an early stop there skips the low-rate epochs where
        most of the gain comes (a default run stopped at epoch 35 of 44 planned, lr still 7e-4).
        The best weights on validation are kept either way."""
        def on_epoch_end(self, epoch, logs=None):
            super().on_epoch_end(epoch, logs)
            planned = getattr(sched, "planned", None)
            if self.model.stop_training and planned and epoch + 1 < 0.75 * planned:
                self.model.stop_training = False
                self.stopped_epoch = 0

    stop = EarlyStopAfterDecay(monitor="val_accuracy", patience=a.patience, restore_best_weights=True, verbose=1)
    verbose = 1 if (sys.stdout.isatty() and not a.quiet) else 2
    hist = model.fit(train_ds, epochs=a.epochs, validation_data=(x_va, y_va), batch_size=a.batch_size,
                     callbacks=[budget, sched, stop], verbose=verbose)
    h = {k: [round(float(v), 4) for v in vals] for k, vals in hist.history.items()}
    best = int(max(range(len(h["val_accuracy"])), key=lambda i: h["val_accuracy"][i]))
    # EarlyStopping restores the best weights only when it stops the run itself; do it here always.
    if stop.best_weights is not None:
        model.set_weights(stop.best_weights)
    return {"epochs_run": len(h["loss"]), "best_epoch": best + 1, "time_budget_hit": budget.hit,
            "history": h}


# ------------------------------------------------------------------------------------------------
# export and int8 evaluation

def representative_set(x, y, n, seed, scale, zero_point):
    """A class-balanced calibration sample plus one sample that spans the full int8 input range.

    The converter derives the input quantization from the min/max the representative data reaches.
    The front-end's int8 range maps to [(-128 - zp) * scale, (127 - zp) * scale]; real features rarely
    reach both ends, so one training example gets its two largest-magnitude cells set to the two ends:
    the converter then picks exactly the front-end's (scale, zero_point) for the model input."""
    import numpy as np
    rng = np.random.default_rng([seed, 31])
    per = max(1, n // len(LABELS))
    idx = np.concatenate([rng.permutation(np.nonzero(y == k)[0])[:per] for k in range(len(LABELS))])
    rep = x[np.sort(idx)].copy()
    span = rep[:1].copy()
    flat = span.reshape(-1)
    hi, lo = int(np.argmax(flat)), int(np.argmin(flat))
    if hi == lo:
        hi, lo = 0, 1
    flat[hi] = np.float32((127 - zero_point) * scale)
    flat[lo] = np.float32((-128 - zero_point) * scale)
    return np.concatenate([rep, span])
