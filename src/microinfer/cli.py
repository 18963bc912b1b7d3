"""The ``microinfer`` command line. Library code never prints; this module does."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
from pathlib import Path

from . import __version__
from .errors import MicroinferError
from .examples import EXAMPLES
from .info import ModelInfo, TensorSummary, describe
from .cost.estimate import KERNEL_LIBRARIES as FIT_KERNEL_LIBRARIES
from .planner import ABIS, PLANNERS, ArenaPlan, plan, reordered_model
from .planner import KERNEL_LIBRARIES as PLAN_KERNEL_LIBRARIES
from .planner import render as plan_render
from .render import counted, size, table, thousands
from .testing.op_models import ALL_DTYPES
from .tflite import load


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except MicroinferError as exc:
        print(f"microinfer {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


@contextlib.contextmanager
def _writing(path: Path):
    """Turns a failed write of a user-named output file into a one-line microinfer error."""
    try:
        yield
    except OSError as exc:
        raise MicroinferError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="microinfer",
        description="Run quantized TFLite models as TFLite Micro does, and predict their cost on MCUs.",
    )
    parser.add_argument("--version", action="version", version=f"microinfer {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    info = commands.add_parser("info", help="layers, shapes, parameters and MACs of a model")
    info.add_argument("model", type=Path, help=".tflite file")
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.set_defaults(run=_info)

    plan = commands.add_parser("plan", help="the tensor arena TFLite Micro plans for a model, and a better plan")
    plan.add_argument("model", type=Path, help=".tflite file")
    plan.add_argument("--planner", choices=PLANNERS, default="tflm",
                      help="tflm: TFLite Micro's own plan (default); best: the smallest plan microinfer finds")
    plan.add_argument("--abi", choices=ABIS, default="x86_64", help="ABI of the interpreter's structures")
    plan.add_argument("--kernels", choices=PLAN_KERNEL_LIBRARIES, default="tflm-reference", help="kernel library")
    plan.add_argument("--core", help="CPU core the kernels are built for (CMSIS-NN scratch sizes)")
    plan.add_argument("--resource-variables", type=int, default=None, metavar="N",
                      help="slots of a MicroResourceVariables the application creates in the arena "
                           "(TFLM's benchmarking tool: 100; default: as TFLM's Python interpreter, "
                           "one per distinct VAR_HANDLE shared_name)")
    plan.add_argument("--no-alias", dest="alias", action="store_false",
                      help="best: never let a RESHAPE/SQUEEZE/EXPAND_DIMS output share its input's buffer")
    plan.add_argument("--no-in-place", dest="in_place", action="store_false",
                      help="best: never let an elementwise operator overwrite its input")
    plan.add_argument("--no-in-place-depthwise", dest="in_place_depthwise", action="store_false",
                      help="best: never let a depthwise convolution overwrite its input (per-channel temporary)")
    plan.add_argument("--no-reorder", dest="reorder", action="store_false",
                      help="best: keep the model's operator order (TFLite Micro runs file order)")
    plan.add_argument("--json", action="store_true", help="print one JSON object")
    plan.add_argument("--png", type=Path, metavar="FILE", help="also draw the layout to FILE (needs matplotlib)")
    plan.set_defaults(run=_plan)

    compare = commands.add_parser("compare", help="compare every layer's output with TFLite Micro and/or LiteRT")
    compare.add_argument("model", type=Path, help=".tflite file")
    compare.add_argument("--against", choices=("tflm", "tflite", "both"), default=None,
                         help="reference interpreter(s): tflm (TFLite Micro, default), tflite (LiteRT) or both; "
                              "with --per-layer or --labels, none unless given")
    compare.add_argument("--as", dest="as_", choices=("tflm", "tflite", "same"), default="same",
                         help="the reference microinfer reproduces (default: the one it is compared against)")
    source = compare.add_mutually_exclusive_group()
    source.add_argument("--random", type=int, metavar="N",
                        help="N random input sets over each input's full range (default 1; floats in [-1, 1])")
    source.add_argument("--inputs", type=Path, metavar="PATH",
                        help="a folder of .npy/.npz files (each one sample, or many along the leading axis), one "
                             ".npz with many samples, or input_<i>.npy files in a folder (one set) or its subfolders")
    compare.add_argument("--seed", type=_seed, default=0, help="seed of the random inputs")
    compare.add_argument("--float", dest="float_model", type=Path, metavar="FLOAT_MODEL",
                         help="also measure the quantization error against this float original "
                              "(accuracy, RMSE, MAE, relative L2, cosine similarity per output)")
    compare.add_argument("--per-layer", action="store_true",
                         help="with --float: the quantization error of every layer (RMSE, max error, SNR, cosine, "
                              "error in quantization steps), ranked by the SNR each layer loses")
    compare.add_argument("--labels", type=Path, metavar="FILE",
                         help="with --float: class labels (.npy, .npz or text, one per input set) for accuracy and "
                              "confusion matrices of both models and their agreement")
    compare.add_argument("--jobs", type=int, metavar="N", help="worker processes for --per-layer/--labels "
                         "(default: every core)")
    compare.add_argument("--float-engine", choices=("auto", "microinfer", "litert"), default="auto",
                         help="what runs the float model for --per-layer/--labels: LiteRT when installed (auto), "
                              "or microinfer's float32 kernels")
    compare.add_argument("--csv", type=Path, metavar="FILE", help="write the per-layer table to FILE")
    compare.add_argument("--json", action="store_true", help="print one JSON object")
    compare.set_defaults(run=_compare)

    emulate = commands.add_parser("emulate", help="run the C kernels layer by layer on an emulated Cortex-M or RISC-V core")
    emulate.add_argument("model", type=Path, help=".tflite file")
    emulate.add_argument("--core", required=True,
                         help="emulated core (QEMU), from targets/emulation/machines.toml: cortex-m0plus "
                              "(plain C), cortex-m4f (DSP, SMLAD), cortex-m55 (Helium, MVE), rv32imc (plain C, "
                              "RISC-V as in the ESP32-C3)")
    emulate.add_argument("--seed", type=_seed, default=0, help="seed of the random input")
    emulate.add_argument("--json", action="store_true", help="print one JSON object")
    emulate.set_defaults(run=_emulate)

    _add_build_parser(commands)

    _add_fit_parser(commands)
    _add_report_parser(commands)

    fuzz = commands.add_parser("fuzz", help="differential fuzzing of the kernels against the references")
    fuzz.add_argument("--op", action="append", default=[], metavar="OP",
                      help="operator to fuzz (repeatable; default: every one, and small multi-op graphs)")
    fuzz.add_argument("--dtype", action="append", default=[], choices=ALL_DTYPES,
                      help="activation type (repeatable; default: every one)")
    fuzz.add_argument("--against", choices=("tflm", "tflite", "both", "c"), default="both",
                      help="TFLite Micro, LiteRT, both (default; also finds where they disagree), or "
                           "microinfer's C backend against its NumPy kernels")
    fuzz.add_argument("--examples", type=int, default=100, metavar="N", help="cases per operator and dtype")
    fuzz.add_argument("--seed", type=_seed, default=0, help="campaign seed (same seed, same cases)")
    fuzz.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes")
    fuzz.add_argument("--out", type=Path, default=Path("fuzz-findings"), metavar="DIR",
                      help="where to write each finding's model, inputs, outputs and command")
    fuzz.add_argument("--json", action="store_true", help="print one JSON object")
    fuzz.set_defaults(run=_fuzz)

    example = commands.add_parser("example", help="write an example model microinfer builds itself")
    example.add_argument("name", choices=sorted(EXAMPLES), help="which example")
    example.add_argument("-o", "--output", type=Path, help="output file (default: NAME.tflite)")
    example.add_argument("--seed", type=_seed, default=0, help="seed of the (untrained) weights")
    example.add_argument("--float", dest="float_twin", action="store_true",
                         help="write the float32 twin instead (dequantized weights, float activations, same names)")
    example.set_defaults(run=_example)
    return parser


def _add_fit_parser(commands) -> None:
    fit = commands.add_parser("fit", help="does a model fit a board; est. latency, energy and battery life")
    fit.add_argument("model", type=Path, help=".tflite file")
    where = fit.add_mutually_exclusive_group(required=True)
    where.add_argument("--board", help="a board from targets/boards (e.g. nucleo-l4r5zi)")
    where.add_argument("--core", help="a core from targets/cores (memory unlimited, no wait states)")
    where.add_argument("--all-boards", action="store_true", help="rank every board")
    fit.add_argument("--clock-mhz", type=float, help="clock (default: the board's or the core's)")
    fit.add_argument("--kernels", choices=FIT_KERNEL_LIBRARIES,
                     help="kernel library (default: CMSIS-NN on Cortex-M, ESP-NN on ESP32; microinfer: "
                          "microinfer's own C kernels, as microinfer build uses them)")
    fit.add_argument("--planner", choices=PLANNERS,
                     help="arena planner (default tflm; best with --kernels microinfer, as microinfer build)")
    fit.add_argument("--measure", action="store_true",
                     help="with --kernels microinfer: build the library and run it on the emulated core (QEMU); "
                          "RAM, flash and instructions are then measured")
    fit.add_argument("--weights-in", metavar="REGION", help="memory region holding the weights (default: flash)")
    fit.add_argument("--arena-in", metavar="REGION", help="memory region holding the tensor arena")
    fit.add_argument("--rate", metavar="N[/s|/h]", help="inferences per second (N or N/s) or per hour (N/h)")
    fit.add_argument("--battery", help="battery for the battery-life estimate (CR2032, 2xAA, ...)")
    fit.add_argument("--targets", type=Path, action="append", metavar="DIR",
                     help="also read cores/ and boards/ from DIR (before the built-in ones)")
    fit.add_argument("--emulated", type=Path, metavar="JSON",
                     help="with --kernels microinfer: the per-layer instruction counts `microinfer emulate --json` "
                          "wrote for this model on a core of the same ISA path (used instead of the loop model)")
    fit.add_argument("--json", action="store_true", help="print one JSON object")
    fit.add_argument("--csv", type=Path, metavar="FILE", help="write the per-layer (or per-board) table to FILE")
    fit.set_defaults(run=_fit)


def _add_report_parser(commands) -> None:
    report = commands.add_parser("report", help="one self-contained HTML report: layers, arena, fit, "
                                                "latency, quantization error")
    report.add_argument("model", type=Path, help=".tflite file")
    report.add_argument("-o", "--output", type=Path, required=True, metavar="FILE", help="the HTML file to write")
    report.add_argument("--float", dest="float_model", type=Path, metavar="FLOAT_MODEL",
                        help="the float original: quantization error per layer")
    where = report.add_mutually_exclusive_group()
    where.add_argument("--board", action="append", default=[], metavar="B",
                       help="a board from targets/boards (repeatable): fit verdict and per-layer latency")
    where.add_argument("--all-boards", action="store_true", help="every board, best first")
    report.add_argument("--inputs", type=Path, metavar="PATH", help="input sets for the quantization error "
                        "(as `compare --inputs`; default: 20 random ones)")
    report.add_argument("--labels", type=Path, metavar="FILE", help="class labels for accuracy")
    report.add_argument("--planner", choices=PLANNERS, default="tflm", help="arena planner (default tflm)")
    report.add_argument("--jobs", type=int, metavar="N", help="worker processes for the quantization error")
    report.add_argument("--targets", type=Path, action="append", metavar="DIR",
                        help="also read cores/ and boards/ from DIR")
    report.set_defaults(run=_report)


def _report(args) -> int:
    from . import datasets
    from .progress import bar
    from .report import build_report, render

    if not args.model.is_file():
        load(args.model)
    data = args.model.read_bytes()
    float_data = None
    if args.float_model is not None:
        if not args.float_model.is_file():
            load(args.float_model)
        float_data = args.float_model.read_bytes()
    elif args.inputs is not None or args.labels is not None:
        raise MicroinferError("--inputs and --labels need --float FLOAT_MODEL")
    inputs = None if args.inputs is None else datasets.read_inputs(args.inputs, data)
    labels = None
    if args.labels is not None:
        labels = datasets.read_labels(args.labels, None if inputs is None else len(inputs))
    elif args.inputs is not None:
        labels = datasets.labels_in(args.inputs)
    with bar("report", "stage") as progress:
        result = build_report(data, args.model.name, float_model=float_data,
                              float_name=None if args.float_model is None else args.float_model.name,
                              boards=args.board, all_boards=args.all_boards, inputs=inputs, labels=labels,
                              planner=args.planner, jobs=args.jobs, targets_dirs=args.targets,
                              **_with_progress(progress))
    with _writing(args.output):
        args.output.write_text(render(result), encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


def _seed(text: str) -> int:
    """An argparse type: a seed is a whole number from 0 up (NumPy's generators take no others)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"a seed is 0 or more, not {value}")
    return value


PICTURE_SUFFIXES = (".png", ".svg", ".pdf")


def _picture_path(path: Path) -> Path:
    """``--png FILE``: a .png, .svg or .pdf file; without a suffix, FILE.png."""
    if not path.suffix:
        return path.with_suffix(".png")
    if path.suffix.lower() not in PICTURE_SUFFIXES:
        raise MicroinferError(f"--png {str(path)!r}: the file must end in {', '.join(PICTURE_SUFFIXES)} "
                              f"(or have no suffix, for .png)")
    return path


def _rate(text: str | None) -> float | None:
    if text is None:
        return None
    value, slash, unit = text.partition("/")
    try:
        number = float(value)
    except ValueError:
        raise MicroinferError(f"--rate {text!r}: expected a number, N/s or N/h") from None
    if unit not in (("s", "h") if slash else ("",)):
        raise MicroinferError(f"--rate {text!r}: the unit must be /s or /h")
    if not math.isfinite(number):
        raise MicroinferError(f"--rate {text!r}: expected a finite number")
    return number / 3600 if unit == "h" else number


def _fit(args) -> int:
    from .cost import estimate, estimate_all_boards
    from .cost import render as fit_render

    if args.all_boards:
        single = [flag for flag, value in (("--clock-mhz", args.clock_mhz), ("--weights-in", args.weights_in),
                                           ("--arena-in", args.arena_in), ("--measure", args.measure or None))
                  if value is not None]
        if single:
            raise MicroinferError(f"{', '.join(single)}: only with --board or --core, not with --all-boards")
    model = load(args.model)
    planner = args.planner or ("best" if args.kernels == "microinfer" else "tflm")
    options = dict(planner=planner, rate_per_s=_rate(args.rate), battery=args.battery,
                   targets_dirs=args.targets, model_name=args.model.name)
    if args.all_boards:
        from .progress import bar

        with bar("boards", "board") as progress:
            results = estimate_all_boards(model, kernels=args.kernels, **options, **_with_progress(progress))
        if args.csv:
            with _writing(args.csv):
                args.csv.write_text(fit_render.summary_csv(results))
        if args.json:
            print(json.dumps({"model": args.model.name, "boards": [r.to_dict() for r in results]}, indent=1))
        else:
            arena = ("the generated library's own plan" if args.kernels == "microinfer"
                     else "the TFLite Micro planner")
            print(f"{args.model.name}: every board, best first (estimates; arena from {arena})")
            print(fit_render.ranking_table(results))
        return 0
    emulated = None
    if args.emulated:
        try:
            emulated = json.loads(args.emulated.read_text())
        except (OSError, ValueError) as error:
            raise MicroinferError(f"--emulated {args.emulated}: cannot read emulate's JSON: {error}") from None
    if args.measure and args.kernels != "microinfer":
        raise MicroinferError("--measure builds microinfer's own library: add --kernels microinfer")
    result = estimate(model, args.board, core=args.core, clock_mhz=args.clock_mhz, kernels=args.kernels,
                      weights_in=args.weights_in, arena_in=args.arena_in, emulated=emulated,
                      measure=args.measure, **options)
    if args.csv:
        with _writing(args.csv):
            args.csv.write_text(fit_render.layers_csv(result))
    print(fit_render.to_json(result) if args.json else fit_render.fit_table(result))
    return 0


def _info(args) -> int:
    info = describe(load(args.model))
    if args.json:
        print(json.dumps({"model": args.model.name, **info.to_dict()}, indent=1))
    else:
        print(_format_info(args.model, info))
    return 0


def _plan_arena(model, planner: str, abi: str, kernels: str, core: str | None,
                resource_variables: int | None, **options) -> ArenaPlan:
    """The arena plan for one target (``core``: CMSIS-NN only)."""
    return plan(model, planner, abi=abi, kernels=kernels, core=core,
                resource_variables=resource_variables, **options)


def _plan(args) -> int:
    model = load(args.model)
    target = dict(abi=args.abi, kernels=args.kernels, core=args.core,
                  resource_variables=args.resource_variables)
    from .progress import bar

    with bar(f"planning ({args.planner})", "placement", show=None if args.planner == "best" else False) as progress:
        plan = _plan_arena(model, args.planner, alias=args.alias, in_place=args.in_place,
                           in_place_depthwise=args.in_place_depthwise, reorder=args.reorder, **target,
                           **_with_progress(progress))
    baseline = plan if args.planner == "tflm" else _plan_arena(model, "tflm", **target)
    # a reordered plan's scopes follow its order; labels keep the original operator numbers
    ordered = model if plan.operator_order is None else reordered_model(model, plan.operator_order, renumber=False)
    labels = plan_render.scope_labels(ordered)
    if args.png:
        args.png = _picture_path(args.png)
        with _writing(args.png):
            plan_render.write_png(plan, args.png, title=f"{args.model.name}: arena head, planner {plan.planner}",
                                  labels=labels, baseline=baseline)
    extra = dict(kernels=args.kernels, core=args.core, baseline=baseline)
    if args.json:
        print(json.dumps(plan_render.plan_dict(plan, model=args.model.name, **extra), indent=1))
    else:
        print(plan_render.format_plan(plan, args.model.name, labels=labels, **extra))
    if args.png:
        print(f"wrote {args.png}", file=sys.stderr if args.json else sys.stdout)
    return 0


def _compare(args) -> int:
    from . import compare as comparison
    from . import datasets
    from .progress import bar

    if not args.model.is_file():
        load(args.model)  # raises ModelError saying why the file cannot be read
    data = args.model.read_bytes()
    dataset = args.per_layer or args.labels is not None
    if dataset and args.float_model is None:
        raise MicroinferError(f"{'--per-layer' if args.per_layer else '--labels'} needs --float FLOAT_MODEL")
    if args.against is None:
        against = () if dataset else ("tflm",)
    else:
        against = ("tflm", "tflite") if args.against == "both" else (args.against,)
    comparison.require_references(against)  # before any work: names the package to install
    if args.inputs is not None:
        inputs = comparison.read_inputs(args.inputs, data)
    else:
        count = 1 if args.random is None else args.random
        if count < 1:
            raise comparison.InputError(f"--random needs a positive count, not {count}")
        inputs = comparison.random_inputs(data, count, args.seed)
    labels = None
    if args.labels is not None:
        labels = datasets.read_labels(args.labels, len(inputs))
    elif args.inputs is not None and dataset:
        labels = datasets.labels_in(args.inputs)
        labels = labels if labels is not None and labels.size == len(inputs) else None
    float_data = None
    if args.float_model is not None:
        if not args.float_model.is_file():
            load(args.float_model)
        float_data = args.float_model.read_bytes()
    report = None
    if against:
        quantized_inputs = inputs if float_data is None else comparison.split_inputs(data, float_data, inputs)[0]
        with bar("comparing", "input") as progress:
            report = comparison.compare(data, against, quantized_inputs,
                                        microinfer_reference=None if args.as_ == "same" else args.as_,
                                        **_with_progress(progress))
    error = layers = None
    if float_data is not None:
        with bar("float model", "input") as progress:
            error = comparison.quantization_error(data, float_data, inputs, **_with_progress(progress))
    if dataset:
        from .layer_error import layer_errors

        if args.jobs is not None and args.jobs < 1:
            raise MicroinferError(f"--jobs needs a positive count, not {args.jobs}")
        with bar("per layer" if args.per_layer else "accuracy", "input") as progress:
            layers = layer_errors(data, float_data, inputs, labels=labels, jobs=args.jobs,
                                  float_engine=args.float_engine, progress=progress)
        if args.csv:
            with _writing(args.csv):
                args.csv.write_text(layers.to_csv())
    if args.json:
        extra = {} if error is None else {"float": {"model": args.float_model.name, **error.to_dict()}}
        if layers is not None:
            extra["per_layer"] = layers.to_dict()
        body = report.to_dict() if report is not None else {"runs": len(inputs)}
        print(json.dumps({"model": args.model.name, **body, **extra}, indent=1))
    else:
        parts = []
        if report is not None:
            parts.append(_format_comparison(args.model.name, report))
        if error is not None:
            parts.append(_format_quantization_error(args.model.name, args.float_model.name, error))
        if layers is not None:
            from .layer_error import format_report

            parts.append(format_report(layers, args.model.name, args.float_model.name, top=30,
                                       per_layer=args.per_layer))
        print("\n\n".join(parts))
    if report is None:
        return 0
    # like fuzz and emulate: 1 when microinfer failed to reproduce the reference it ran as
    failed = any(not r.identical and r.microinfer_reference == name for name, r in report.references.items())
    return 1 if failed else 0


def _with_progress(progress) -> dict:
    """``progress=`` for a library call, only when there is a bar to draw."""
    return {} if progress is None else {"progress": progress}


def _format_quantization_error(name: str, float_name: str, error) -> str:
    rows = [(o.index, _short(o.name), f"{o.rmse:.4g}", f"{o.mae:.4g}", f"{o.max_abs:.4g}",
             f"{o.relative_l2:.4g}", f"{o.cosine:.6f}",
             "-" if o.top1_agreement is None else f"{o.top1_agreement:.1%}")
            for o in error.outputs]
    runs = counted(error.runs, "input")
    return "\n".join([
        f"{name} (dequantized) against the float model {float_name}, {runs}:",
        "",
        table(("#", "output", "RMSE", "MAE", "max abs", "rel. L2", "cosine", "top-1 agree"), rows,
              right=(0, 2, 3, 4, 5, 6, 7)),
    ])


def _fuzz(args) -> int:
    from . import fuzz

    if args.examples < 1 or args.jobs < 1:
        raise fuzz.FuzzError("--examples and --jobs need positive counts")
    from .progress import bar

    with bar("fuzzing", "unit") as progress:
        def show(report, done: int, total: int) -> None:
            progress(done, total, f"{thousands(report.cases)} cases, {report.cases_per_second:.0f}/s, "
                                  f"{len(report.failures)} mismatches, {len(report.disagreements)} reference "
                                  f"disagreements")

        report = fuzz.campaign(args.against, args.op, args.dtype, args.examples, args.seed, args.jobs,
                               progress=show if progress else None)
    with _writing(args.out):
        folders = [fuzz.write_finding(f, args.out) for f in report.findings.values()]
    if args.json:
        print(json.dumps({**report.to_dict(), "out": str(args.out) if folders else None}, indent=1))
    else:
        print(_format_fuzz(report, folders))
    return 1 if report.failures else 0


def _format_fuzz(report, folders) -> str:
    from .fuzz import NAMES

    against = "TFLite Micro and LiteRT" if report.against == "both" else NAMES[report.against]
    reason = "no C kernel took them" if report.against == "c" else "microinfer refuses them"
    lines = [f"fuzzed {thousands(report.cases)} cases against {against} in {report.seconds:.1f} s "
             f"({report.cases_per_second:.0f} cases/s, seed {report.seed}); "
             f"{thousands(report.refused)} not compared ({reason})"]
    rows = [(f.kind, f.op, f.dtype, f.against, _short(f.detail, 70)) for f in report.findings.values()]
    if rows:
        lines += ["", table(("finding", "op", "dtype", "against", "where"), rows)]
    for f in report.disagreements:
        lines.append(f"{f.op} {f.dtype}: TFLite Micro and LiteRT disagree; {f.follows_text}")
    lines.append("")
    failures, disagreements = len(report.failures), len(report.disagreements)
    lines.append(f"{counted(failures, 'distinct mismatch', 'distinct mismatches')} (microinfer failures), "
                 f"{counted(disagreements, 'reference disagreement')}")
    if folders:
        lines.append(f"reproducers in {folders[0].parent}/: " + ", ".join(f.name for f in folders))
    return "\n".join(lines)


def _format_comparison(name: str, report) -> str:
    from .compare import REFERENCE_NAMES

    runs = counted(report.runs, "input")
    parts = []
    for ref, result in report.references.items():
        target = REFERENCE_NAMES[ref]
        mode = "" if result.microinfer_reference == ref else \
            f", microinfer as {REFERENCE_NAMES[result.microinfer_reference]}"
        rows = [
            (
                layer.op_index,
                layer.op,
                f"{layer.tensor_index} {_short(layer.tensor_name)}",
                f"{thousands(layer.mismatches)} / {thousands(layer.total)}",
                _diff(layer.max_abs_diff),
            )
            for layer in result.layers
        ]
        first = result.first_diverging_layer
        if first is None:
            all_ = "all " if report.runs > 1 else ""
            largest = max((layer.max_abs_diff for layer in result.layers), default=0)
            verdict = f"bit-identical to {target} on {all_}{runs}" if not largest else \
                (f"agrees with {target} on {all_}{runs}: float32 within 1e-5 relative (summation order), "
                 f"largest difference {_diff(largest)}")
        else:
            layer = next(layer for layer in result.layers if layer.op_index == first)
            verdict = (f"first diverging layer: op {first} ({layer.op}), output tensor {layer.tensor_index} "
                       f"{layer.tensor_name!r}: {thousands(layer.mismatches)} of {thousands(layer.total)} "
                       f"elements differ over {runs}, max abs diff {_diff(layer.max_abs_diff)}")
        parts.append("\n".join([
            f"{name} against {target}{mode}, {runs}:",
            "",
            table(("#", "op", "output tensor", "mismatching / total", "max abs diff"), rows, right=(0, 3, 4)),
            "",
            verdict,
        ]))
    return "\n\n".join(parts)


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _diff(value) -> str:
    return str(value) if isinstance(value, int) else f"{value:.6g}"


def _emulate(args) -> int:
    from .emulate import emulate
    from .emulate.report import format_emulation

    model = load(args.model)
    from .progress import bar

    with bar(f"emulating ({args.core})", "layer") as progress:
        result = emulate(model, args.core, seed=args.seed, progress=progress)
    if args.json:
        print(json.dumps({**result.to_dict(), "model": args.model.name}, indent=1))
    else:
        print(format_emulation(args.model.name, result))
    return 0 if result.all_bit_exact else 1


def _add_build_parser(commands) -> None:
    build = commands.add_parser("build", help="write a model as a standalone C99 library (no interpreter, no malloc)")
    build.add_argument("model", type=Path, help=".tflite file")
    build.add_argument("-o", "--output", type=Path, required=True, metavar="DIR", help="folder to write the library into")
    build.add_argument("--core", default="host",
                       help="measure for: host (the system compiler) or an emulated core (QEMU): cortex-m0plus, "
                            "cortex-m4f, cortex-m55 (default host)")
    build.add_argument("--planner", choices=PLANNERS, default="best",
                       help="arena planner (default best; tflm: TFLite Micro's own plan)")
    build.add_argument("--name", help="C name of the library and prefix of its symbols (default: the model's file name)")
    build.add_argument("--verify", action="store_true",
                       help="run it on seeded inputs and check every output bit against microinfer's interpreter")
    build.add_argument("--inputs", type=int, default=20, metavar="N", help="input sets --verify runs (default 20)")
    build.add_argument("--seed", type=int, default=0, help="seed of the input sets")
    build.add_argument("--sanitize", action="store_true",
                       help="host: compile the test program with -fsanitize=address,undefined")
    build.add_argument("--no-measure", action="store_true",
                       help="only write the library: do not compile and run it (no sizes, no instructions)")
    build.add_argument("--json", action="store_true", help="print one JSON object")
    build.set_defaults(run=_build)


def _build(args) -> int:
    from .build import build
    from .build.report import format_build

    if args.inputs < 1:
        raise MicroinferError(f"--inputs must be at least 1, not {args.inputs}")
    if args.sanitize and args.core != "host":
        raise MicroinferError("--sanitize applies to --core host (the sanitizers need the host's runtime)")
    show = (lambda text: print(f"{text} ...", file=sys.stderr, flush=True)) if sys.stderr.isatty() else None
    result = build(args.model, args.output, core=args.core, planner=args.planner, name=args.name,
                   verify=args.verify, inputs=args.inputs, seed=args.seed, measure=not args.no_measure,
                   sanitize=args.sanitize, progress=show)
    if args.json:
        print(json.dumps(result.to_dict(), indent=1))
    else:
        print(format_build(result))
    return 1 if args.verify and not result.bit_exact else 0


def _example(args) -> int:
    data = EXAMPLES[args.name](seed=args.seed)
    if args.float_twin:
        from .float_twin import float_twin

        data = float_twin(data)
    output = args.output or Path(f"{args.name.replace('-', '_')}{'_float' if args.float_twin else ''}.tflite")
    with _writing(output):
        output.write_bytes(data)
    print(f"wrote {output} ({size(len(data))})")
    return 0


def _signature(tensors: tuple[TensorSummary, ...]) -> str:
    return ", ".join(f"{t.name} {_shape(t.shape)} {t.dtype}" for t in tensors)


def _shape(shape) -> str:
    return "x".join(str(d) for d in shape) if shape else "scalar"


def _io(tensors: tuple[TensorSummary, ...]) -> str:
    return " ".join(f"{_shape(t.shape)}:{t.dtype}" for t in tensors if not t.constant)


def _format_info(path: Path, info: ModelInfo) -> str:
    rows = [
        (
            layer.index,
            f"{layer.op} v{layer.version}",
            _io(layer.inputs),
            _io(layer.outputs),
            layer.weight_quantization,
            thousands(layer.parameters),
            thousands(layer.parameter_bytes),
            thousands(layer.macs),
        )
        for layer in info.layers
    ]
    histogram = ", ".join(f"{op} x{count}" for op, count in info.op_histogram.items())
    return "\n".join(
        [
            f"{path.name}: {size(info.size_bytes)}, {counted(len(info.layers), 'operator')}, "
            f"{counted(info.subgraphs, 'subgraph')}",
            f"inputs:  {_signature(info.inputs)}",
            f"outputs: {_signature(info.outputs)}",
            "",
            table(
                ("#", "op", "inputs", "outputs", "weights", "params", "param bytes", "MACs"),
                rows,
                right=(0, 5, 6, 7),
            ),
            "",
            f"total MACs:       {thousands(info.macs)}",
            f"parameters:       {thousands(info.parameters)} ({size(info.parameter_bytes)})",
            f"operators:        {histogram}",
            *_notes("microinfer cannot run", info.unsupported),
            *_notes("warnings (TFLite Micro tolerates these)", info.warnings),
            *_notes("notes", info.notes),
        ]
    )


def _notes(heading: str, lines: tuple[str, ...]) -> list[str]:
    return ["", f"{heading}:", *(f"  {line}" for line in lines)] if lines else []


if __name__ == "__main__":
    sys.exit(main())
