"""A cost as a value: cycles, instructions, MACs and bytes read per memory region, which add up."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cost:
    cycles: float = 0.0
    instructions: float = 0.0
    macs: int = 0
    stall_cycles: float = 0.0  # part of ``cycles`` spent waiting for memory
    bytes_read: dict[str, float] = field(default_factory=dict)  # memory region -> bytes

    def __add__(self, other: Cost) -> Cost:
        regions = dict(self.bytes_read)
        for name, n in other.bytes_read.items():
            regions[name] = regions.get(name, 0.0) + n
        return Cost(self.cycles + other.cycles, self.instructions + other.instructions,
                    self.macs + other.macs, self.stall_cycles + other.stall_cycles, regions)

    def __mul__(self, factor: float) -> Cost:
        return Cost(self.cycles * factor, self.instructions * factor, round(self.macs * factor),
                    self.stall_cycles * factor, {k: v * factor for k, v in self.bytes_read.items()})

    __rmul__ = __mul__

    @property
    def cycles_per_mac(self) -> float | None:
        return self.cycles / self.macs if self.macs else None


def total(costs) -> Cost:
    result = Cost()
    for cost in costs:
        result = result + cost
    return result
