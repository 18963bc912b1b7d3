"""CONV_2D in C: mi_convolve_wrapper_s8 (1x1 or im2col + 2x2 tile) and mi_convolve_s16.

Grouped convolutions and float32 run in NumPy.
"""

from __future__ import annotations

from ...kernels._conv_util import Requantizer
from ...kernels.conv import ConvData, HybridConvData
from ...kernels.registry import Node
from ..binding import HYBRID_IN_NUMPY, RUNTIME_WEIGHTS_IN_NUMPY, CCall, CKernel, Fallback, register_c
from ..conv_common import ConvFamilyCall, activation, bias_arrays, conv_tiles
from ..structs import ConvParams


@register_c("CONV_2D")
class Conv2DC(CKernel):
    def prepare(self, node: Node, spec: ConvData | HybridConvData) -> CCall:
        if isinstance(spec, HybridConvData):
            raise Fallback(HYBRID_IN_NUMPY)
        stage = spec.output
        if stage.kind not in ("int8", "int16x8"):
            raise Fallback(f"{stage.kind} runs in NumPy")
        if spec.runtime_filter or spec.runtime_bias:
            raise Fallback(RUNTIME_WEIGHTS_IN_NUMPY)
        if spec.groups != 1:
            raise Fallback("grouped convolution runs in NumPy")
        q: Requantizer = stage.requantize
        int16 = stage.kind == "int16x8"
        x, w = node.input(0), node.input(1)
        params = ConvParams(stage.input_offset, q.output_offset, *conv_tiles(spec.stride, spec.pad, spec.dilation),
                            activation(q))
        call = ConvFamilyCall(self.lib, "CONV_2D", x.shape, w.shape, spec.output_shape, int16, w.data,
                              window=(spec.stride, spec.pad, spec.dilation))
        cout, kh, kw, cin = w.shape
        if int16:
            # int32 partial sums over one pixel's channels, int64 across taps
            call.require_sum_bound(cin, (1 << 15) * 128)
            return call.finish("mi_convolve_s16", params, q, *bias_arrays(q, int16=True), scratch_size=0)
        call.require_sum_bound(kh * kw * cin, 255 * 128)
        call.fold_offset(params, q, stage.input_offset, call.filter)
        size = self.lib.mi_convolve_wrapper_s8_get_buffer_size
        size.argtypes = call.size_argtypes(ConvParams)
        scratch = size(*call.size_args(params))
        return call.finish("mi_convolve_wrapper_s8", params, q, *bias_arrays(q, int16=False), scratch_size=scratch)
