"""The explicit list of C-backed ops: one module per op, each registering itself."""

from . import conv, depthwise_conv, fully_connected  # noqa: F401
from . import add, average_pool, max_pool, mul, softmax  # noqa: F401
from . import batch_matmul, resize_bilinear, resize_nearest_neighbor  # noqa: F401
from . import cast, dequantize, hard_swish, leaky_relu, logistic, quantize, relu, relu6, tanh  # noqa: F401
from . import concatenation, pack, pad, slice, strided_slice, transpose  # noqa: F401
from . import mean, sum  # noqa: F401
from . import svdf  # noqa: F401
from . import maximum, minimum, sub  # noqa: F401
