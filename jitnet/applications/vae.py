"""A convolutional variational autoencoder (Kingma & Welling 2013), the architecture of
Keras's VAE example: two strided convolutions and a Dense layer encode an image into the
mean and log-variance of a Gaussian ``z``; transposed convolutions decode a sample of it.

``model(x)`` returns ``(logits, z_mean, z_log_var)``: the reconstruction as per-pixel
Bernoulli logits (``sigmoid`` gives the image) and the posterior; ``VAELoss`` is the
negative evidence lower bound, so ``model.fit(x, x)`` trains it."""
from __future__ import annotations

import numpy as np

from .. import layers, losses, models, nn, random
from .. import numpy as jnp


class VAE(models.Model):
    """Keras's example VAE; ``encode``, ``decode`` and ``generate`` give its halves."""

    def __init__(self, input_shape=(28, 28, 1), latent_dim: int = 2, filters=(32, 64),
                 dense_units: int = 16, name="vae"):
        super().__init__(name=name)
        shape = tuple(input_shape)
        down = 2 ** len(filters)
        if len(shape) != 3 or shape[0] % down or shape[1] % down:
            raise ValueError(f"VAE: input_shape must be (height, width, channels) with sides "
                             f"divisible by {down} (one halving per filter), got {input_shape!r}")
        if not isinstance(latent_dim, int) or latent_dim < 1:
            raise ValueError(f"VAE: latent_dim must be a positive int, got {latent_dim!r}")
        self.input_shape, self.latent_dim = shape, latent_dim
        self.filters, self.dense_units = tuple(filters), int(dense_units)
        small = (shape[0] // down, shape[1] // down, self.filters[-1])
        self.encoder = models.Sequential(
            [layers.Input(shape)]
            + [layers.Conv2D(f, 3, strides=2, padding="same", activation="relu",
                             name=f"conv_{i + 1}") for i, f in enumerate(self.filters)]
            + [layers.Flatten(name="flatten"),
               layers.Dense(self.dense_units, activation="relu", name="dense")],
            name="encoder")
        self.z_mean = layers.Dense(latent_dim, name="z_mean")
        self.z_log_var = layers.Dense(latent_dim, name="z_log_var")
        self.decoder = models.Sequential(
            [layers.Input((latent_dim,)),
             layers.Dense(int(np.prod(small)), activation="relu", name="dense"),
             layers.Reshape(small, name="reshape")]
            + [layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation="relu",
                                      name=f"conv_transpose_{i + 1}")
               for i, f in enumerate(reversed(self.filters))]
            + [layers.Conv2DTranspose(shape[-1], 3, padding="same", name="logits")],
            name="decoder")
        self._input_specs = (((None,) + shape, "float32"),)

    def encode(self, x):
        h = self.encoder(x)
        return self.z_mean(h), self.z_log_var(h)

    def decode(self, z):
        """Bernoulli logits of the pixels for latent codes ``z``."""
        return self.decoder(z)

    def call(self, x, ctx):
        mean, log_var = self.encode(x)
        if ctx.training:                        # the reparameterisation trick
            eps = random.normal(ctx.next_key("VAE sampling"), mean.shape, mean.dtype)
            z = mean + jnp.exp(0.5 * log_var) * eps
        else:
            z = mean
        return self.decode(z), mean, log_var

    def generate(self, key, n: int):
        """``n`` images decoded from ``z ~ N(0, I)`` (probabilities in [0, 1])."""
        z = random.normal(key, (n, self.latent_dim))
        return nn.sigmoid(self.decode(z))


class VAELoss(losses.Loss):
    """Negative ELBO per sample: Bernoulli cross-entropy summed over the pixels plus the
    KL divergence of ``N(z_mean, exp(z_log_var))`` from ``N(0, I)`` (Keras's example)."""

    def __init__(self, name: str = "vae_loss", reduction: str = "sum_over_batch_size"):
        super().__init__(name, reduction)

    def check_targets(self, y_true, output_shape):
        """The targets are the images: pixel intensities in [0, 1] (Bernoulli means)."""
        y = np.asarray(y_true)
        if y.size and (y.min() < 0 or y.max() > 1):
            raise ValueError(f"{self.name}: targets must be images with values in [0, 1] "
                             f"(got [{y.min()}, {y.max()}]); scale them, e.g. x / 255")

    def call(self, y_true, y_pred):
        logits, mean, log_var = y_pred
        axes = tuple(range(1, logits.ndim))
        recon = jnp.sum(nn.softplus(logits) - y_true * logits, axis=axes)
        kl = -0.5 * jnp.sum(1 + log_var - jnp.square(mean) - jnp.exp(log_var), axis=1)
        return recon + kl
