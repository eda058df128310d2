"""The question this app answers, shipped with the app (quoted in essentials, attributed).

Source: "How does batch normalization work for convolutional neural networks",
Data Science Stack Exchange, asked April 5, 2021 (a mirror of it is kept as
the project's reference text). Only what a newcomer needs is quoted: the
tensor, the three methods in words, and what is asked.
"""

from __future__ import annotations

TITLE = "How does batch normalization work for convolutional neural networks"
SOURCE = "Data Science Stack Exchange, asked April 5, 2021"
SETUP = (
    "I am trying to understand how batch normalization (BN) works in CNNs. Suppose I have a "
    "feature map tensor T of shape (N, C, H, W) [...] Then it seems there could a few ways of "
    "going about this"
)
# (method key in normlib.METHODS, the question's statistic, in the question's own words)
METHODS = (
    (
        "method1",
        "μ_{x,y}",
        "the mean for all channels c [...] at spatial location x,y over the minibatch",
    ),
    (
        "method2",
        "μ_{c,x,y}",
        "the mean for a specific channel c [...] at spatial location x,y over the minibatch",
    ),
    (
        "method3",
        "μ_c",
        "for each channel c we compute the mean/variance over the entire spatial values",
    ),
)
ASK = "In practice which of these methods is used (if any) [...]?"
