"""The question this app answers, shipped with the app (quoted in essentials, attributed).

Source: "How does batch normalization work for convolutional neural networks",
Data Science Stack Exchange, asked April 5, 2021 (a mirror of it is kept as
the project's reference text). Only what a newcomer needs is quoted: the
tensor, the three methods in words, and what is asked.
"""

from __future__ import annotations

TITLE = "How does batch normalization work for convolutional neural networks"
SOURCE = "Data Science Stack Exchange, asked April 5, 2021"
SETUP = "Suppose I have a feature map tensor T of shape (N, C, H, W)"
# (method key in normlib.METHODS, the question's own words for its mean)
METHODS = (
    ("method1", "the mean for all channels c [...] at spatial location x,y over the minibatch"),
    ("method2", "the mean for a specific channel c [...] at spatial location x,y"),
    ("method3", "for each channel c [...] the mean/variance over the entire spatial values"),
)
ASK = "In practice which of these methods is used (if any) [...]?"
