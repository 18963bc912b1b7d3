"""Planning the arena of a 100-operator graph, with TFLite Micro's planner and the best one.

    pytest benchmarks/test_bench_plan.py --benchmark-columns=min,mean,median,rounds

Target: each planner under 1 s on a 100-operator graph (both take milliseconds today).
"""

from __future__ import annotations

import time

import pytest

import microinfer
from microinfer.planner import plan_head
from microinfer.tflite import ModelBuilder
from microinfer.tflite.options import AddOptions, Pool2DOptions

OPERATORS = 100
LIMIT_SECONDS = 1.0


def residual_graph(operators: int = OPERATORS) -> microinfer.Model:
    """Blocks of three ADDs with skip connections (the block's input feeds all three, so it lives
    across the block), separated by pooling that halves the activations: a chain with branches."""
    builder = ModelBuilder(description="benchmark: residual chain")
    g = builder.main
    channels, side = 8, 64
    x = g.add_input("input", (1, side, side, channels), "int8", scale=0.1, zero_point=0)
    count = 0
    while count < operators:
        block_input, h = x, x
        for k in range(3):
            if count == operators - 1:
                break
            y = g.add_tensor(f"add_{count}", (1, side, side, channels), "int8", scale=0.1, zero_point=0)
            g.add_operator("ADD", [h, block_input], [y], AddOptions(), version=2)
            h, count = y, count + 1
        side = max(2, side // 2) if count % 12 == 0 else side
        last = count == operators - 1
        add = g.add_output if last else g.add_tensor
        x = add(f"pool_{count}", (1, side, side, channels), "int8", scale=0.1, zero_point=0)
        stride = 2 if count % 12 == 0 else 1
        options = Pool2DOptions(stride_w=stride, stride_h=stride, filter_width=stride, filter_height=stride)
        g.add_operator("MAX_POOL_2D", [h], [x], options, version=2)
        count += 1
    model = microinfer.load(builder.build())
    assert len(model.main.operators) == operators
    return model


@pytest.fixture(scope="module")
def model():
    return residual_graph()


@pytest.mark.parametrize("planner", ["tflm", "best"])
def test_bench_plan_100_operators(benchmark, model, planner):
    start = time.perf_counter()
    once = plan_head(model, planner)
    elapsed = time.perf_counter() - start
    assert elapsed < LIMIT_SECONDS, f"{planner} planned {OPERATORS} operators in {elapsed:.2f} s"
    plan = benchmark(plan_head, model, planner)
    assert plan == once and plan.lower_bound_bytes <= plan.head_bytes
    assert plan.head_bytes <= plan_head(model, "tflm").head_bytes
