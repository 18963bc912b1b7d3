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


# -- planning that scales (issue 18): a 20,000-operator chain --------------------------------------
CHAIN_OPERATORS = 20_000
CHAIN_LIMIT_SECONDS = 2.0


def long_chain(operators: int = CHAIN_OPERATORS) -> microinfer.Model:
    """MAX_POOL_2D and ADD in turn, each ADD reading the previous two tensors: a chain whose
    tensors live two or three operators."""
    builder = ModelBuilder(description="benchmark: long chain")
    g = builder.main
    shape = (1, 8, 8, 4)
    x = g.add_input("input", shape, "int8", scale=0.1, zero_point=0)
    previous = x
    pool = Pool2DOptions(stride_w=1, stride_h=1, filter_width=1, filter_height=1)
    for i in range(operators):
        add = g.add_output if i == operators - 1 else g.add_tensor
        y = add(f"t{i}", shape, "int8", scale=0.1, zero_point=0)
        if i % 2:
            g.add_operator("ADD", [x, previous], [y], AddOptions(), version=2)
        else:
            g.add_operator("MAX_POOL_2D", [x], [y], pool, version=2)
        previous, x = x, y
    return microinfer.load(builder.build())


@pytest.fixture(scope="module")
def chain():
    return long_chain()


def test_bench_plan_20000_operator_chain_tflm(benchmark, chain):
    """The whole arena (TFLite Micro's head, the tail and the smallest working arena) of a
    20,000-operator chain in under 2 s."""
    plan = benchmark.pedantic(microinfer.plan, args=(chain, "tflm"), rounds=3, iterations=1)
    assert plan.head_bytes == plan.lower_bound_bytes == 3 * 256
    best = benchmark.stats.stats.min
    benchmark.extra_info["operators"] = CHAIN_OPERATORS
    assert best < CHAIN_LIMIT_SECONDS, f"planned {CHAIN_OPERATORS} operators in {best:.2f} s"


def test_bench_plan_20000_operator_chain_best_head(benchmark, chain):
    """The best planner's head on the same chain (ten first- and best-fit placements, merges)."""
    plan = benchmark.pedantic(plan_head, args=(chain, "best"), rounds=1, iterations=1)
    assert plan.head_bytes <= plan_head(chain, "tflm").head_bytes
