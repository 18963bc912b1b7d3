"""The explicit list of C-backed ops: one module per op, each registering itself."""

from . import conv, depthwise_conv, fully_connected  # noqa: F401
from . import add, average_pool, max_pool, mul, softmax  # noqa: F401
from . import batch_matmul, resize_bilinear, resize_nearest_neighbor  # noqa: F401
