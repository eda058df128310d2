"""The two error types of normlib.

Both subclass ValueError so callers that already catch ValueError keep working.
Every message says what is wrong *and* how to write it right.
"""


class NormError(ValueError):
    """A normalization request that cannot be computed as written.

    Raised for bad axes strings, group counts, eps, gamma/beta shapes and
    tensors that are not finite real 4-D arrays.
    """


class InputError(ValueError):
    """An input source (an image file, bytes, a stream) that cannot be read.

    The message names the source and the reason.
    """
