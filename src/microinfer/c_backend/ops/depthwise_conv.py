"""DEPTHWISE_CONV_2D in C: mi_depthwise_conv_wrapper_s8 (3x3 or general) and mi_depthwise_conv_s16.

float32 runs in NumPy.
"""

from __future__ import annotations

from ...kernels._conv_util import Requantizer
from ...kernels.depthwise_conv import DepthwiseData
from ...kernels.registry import Node
from ..binding import HYBRID_IN_NUMPY, RUNTIME_WEIGHTS_IN_NUMPY, CCall, CKernel, Fallback, register_c
from ..conv_common import ConvFamilyCall, activation, bias_arrays, conv_tiles
from ..structs import DwConvParams


@register_c("DEPTHWISE_CONV_2D")
class DepthwiseConv2DC(CKernel):
    def prepare(self, node: Node, spec: DepthwiseData) -> CCall:
        stage = spec.output
        if stage is None:
            raise Fallback(HYBRID_IN_NUMPY)
        if stage.kind not in ("int8", "int16x8"):
            raise Fallback(f"{stage.kind} runs in NumPy")
        if spec.runtime_filter or spec.runtime_bias:
            raise Fallback(RUNTIME_WEIGHTS_IN_NUMPY)
        q: Requantizer = stage.requantize
        int16 = stage.kind == "int16x8"
        x, w = node.input(0), node.input(1)
        params = DwConvParams(stage.input_offset, q.output_offset, spec.multiplier,
                              *conv_tiles(spec.stride, spec.pad, spec.dilation), activation(q))
        call = ConvFamilyCall(self.lib, "DEPTHWISE_CONV_2D", x.shape, w.shape, spec.output_shape, int16, w.data,
                              window=(spec.stride, spec.pad, spec.dilation))
        _, kh, kw, _ = w.shape
        if int16:
            size = self.lib.mi_depthwise_conv_s16_get_buffer_size
            size.argtypes = call.size_argtypes(None)
            return call.finish("mi_depthwise_conv_s16", params, q, *bias_arrays(q, int16=True),
                               scratch_size=size(call.output_dims_pointer()))
        call.require_sum_bound(kh * kw, 255 * 128)
        call.fold_offset(params, q, stage.input_offset, call.filter.reshape(-1, call.filter.shape[3]).T)
        size = self.lib.mi_depthwise_conv_wrapper_s8_get_buffer_size
        size.argtypes = call.size_argtypes(DwConvParams)
        return call.finish("mi_depthwise_conv_wrapper_s8", params, q, *bias_arrays(q, int16=False),
                           scratch_size=size(*call.size_args(params)))
