"""``rag doctor``: can this machine run the local model? It generates a few tokens in the
worker process and, when that fails, says which CPU instructions the llama.cpp build uses
that this CPU lacks, and how to rebuild.

``make test`` (and so CI) runs it before the suite: a llama.cpp built for another CPU then
stops the run at once with the reason, instead of killing a test halfway through.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from rag.config import Settings
from rag.errors import RagError

# What `make install` builds (keep in step with LLAMA_CMAKE_ARGS in the Makefile): every x86-64
# CPU with AVX2, and nothing this CPU happens to have besides (AVX-512, AMX).
PORTABLE_CMAKE_ARGS = "-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
BUILD_NOTE = "llama-cpp-build.txt"  # written into the venv by `make install`: the CMAKE_ARGS it used
# llama.cpp's system-info names -> the /proc/cpuinfo flag each needs.
CPU_FLAG = {"SSE3": "pni", "SSSE3": "ssse3", "AVX": "avx", "AVX2": "avx2", "F16C": "f16c", "FMA": "fma",
            "BMI2": "bmi2", "AVX_VNNI": "avx_vnni", "AVX512": "avx512f", "AVX512_VBMI": "avx512vbmi",
            "AVX512_VNNI": "avx512_vnni", "AVX512_BF16": "avx512_bf16", "AMX_INT8": "amx_int8"}
# As long as a real question's prompt (~250 tokens): llama.cpp picks other kernels (AMX among
# them) for a batch of prompt tokens than for one, and a build can pass "hello" and die on this.
_PASSAGE = ("The Harbor Street bakery opened in 1998 and bakes 1,200 loaves a day in two wood-fired ovens. "
            "Its rye sourdough rests for 18 hours before baking, and its staff of 14 starts work at 4 a.m. "
            "In 2023 the bakery added a third oven, which raised output by a quarter, and began delivering "
            "to nine cafes in the old town. Flour comes from a mill 40 kilometres away, bought by the tonne "
            "each month. ")
PROMPT = [{"role": "system", "content": "You answer questions using only the numbered sources given."},
          {"role": "user", "content": f"Sources:\n[1] Bakery report\n{_PASSAGE * 3}\n\n"
                                      "Question: How many loaves does the bakery bake a day?\nAnswer:"}]


def build_features(system_info: str) -> list[str]:
    """The instruction sets a llama.cpp build uses, from ``llama_print_system_info()``.

    >>> build_features("CPU : SSE3 = 1 | AVX = 1 | AVX512 = 0 | AMX_INT8 = 1 | OPENMP = 1 | ")
    ['SSE3', 'AVX', 'AMX_INT8']
    """
    found = []
    for part in system_info.replace("CPU :", "|").split("|"):
        name, _, value = part.partition("=")
        if name.strip() in CPU_FLAG and value.strip() == "1":
            found.append(name.strip())
    return found


def lacking(features: list[str], flags: set[str]) -> list[str]:
    """Build features this CPU does not list.

    >>> lacking(["AVX2", "AVX512"], {"avx2", "fma"})
    ['AVX512']
    """
    return [f for f in features if CPU_FLAG[f] not in flags]


def rebuild_args(missing: list[str]) -> str:
    """The CMAKE_ARGS to rebuild with: the portable set, less what this CPU lacks.

    >>> rebuild_args(["AVX2", "FMA", "AVX512"])
    '-DGGML_NATIVE=OFF -DGGML_AVX2=OFF -DGGML_FMA=OFF -DGGML_F16C=ON -DGGML_BMI2=ON'
    """
    args = PORTABLE_CMAKE_ARGS
    for feature in missing:
        args = args.replace(f"-DGGML_{feature}=ON", f"-DGGML_{feature}=OFF")
    return args


def cpu() -> tuple[str, set[str]]:
    """This CPU's model name and flags (Linux's /proc/cpuinfo; elsewhere, the platform's name only)."""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return platform.processor() or platform.machine(), set()
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    return fields.get("model name", platform.machine()), set(fields.get("flags", "").split())


def build_info(python: str) -> dict:
    """llama-cpp-python's version and compiled-in instruction sets, read in a subprocess:
    importing it is safe, but it is the worker's Python that matters."""
    code = "import json, llama_cpp; print(json.dumps([llama_cpp.__version__, llama_cpp.llama_print_system_info().decode()]))"
    try:
        out = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=120)
        version, system_info = json.loads(out.stdout.strip().splitlines()[-1])
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
        return {"llama_cpp_python": None, "system_info": "", "features": []}
    note = Path(python).absolute().parent.parent / BUILD_NOTE  # the venv (resolving would leave it)
    return {"llama_cpp_python": version, "system_info": system_info.strip(), "features": build_features(system_info),
            "cmake_args": note.read_text().strip() if note.is_file() else "unknown (not built by `make install`)"}


def check(settings: Settings) -> dict:
    """Generate a few tokens with the configured GGUF in a worker; a report, ``ok`` on success."""
    from rag.generate.llama_cpp import LlamaCppGenerator

    name, flags = cpu()
    python = settings.llm_python or sys.executable
    report = {"cpu": name, "cpu_flags": sorted(flags & set(CPU_FLAG.values()) | flags & {"amx_tile", "amx_bf16"}),
              "python": python, **build_info(python)}
    report["lacking"] = lacking(report["features"], flags) if flags else []
    t = time.perf_counter()
    try:
        generator = LlamaCppGenerator(settings)
        report["gguf"] = generator.path
        generator.worker.ready()
        report["load_s"] = round(time.perf_counter() - t, 2)
        t, first, pieces = time.perf_counter(), None, []
        for piece in generator.chat(PROMPT, max_tokens=24):
            first = first if first is not None else time.perf_counter() - t
            pieces.append(piece)
        stats = generator.worker.last_stats
        report.update(first_token_s=round(first or 0.0, 3), reply="".join(pieces).strip(),
                      gen_tokens_per_s=round(stats["gen_tokens"] / max(stats["gen_ms"], 1) * 1000, 1)
                      if stats.get("gen_tokens") else None)
        report["ok"] = bool(pieces)
        if not pieces:
            report["error"] = "the model generated no text"
        generator.worker.stop()
    except RagError as exc:
        report.update(ok=False, error=str(exc))
    return report


def explain(report: dict) -> str:
    """The report in words; on failure, what is wrong and the fix."""
    lines = [f"CPU: {report['cpu']} ({os.cpu_count()} cores); flags: {' '.join(report['cpu_flags']) or 'unknown'}",
             f"llama-cpp-python {report.get('llama_cpp_python') or 'not importable'} in {report['python']}; "
             f"compiled for: {' '.join(report['features']) or 'unknown'}; build options: {report.get('cmake_args', '-')}"]
    if report["ok"]:
        lines.append(f"OK: {Path(report['gguf']).name} loaded in {report['load_s']} s, first token "
                     f"{report['first_token_s']} s, {report['gen_tokens_per_s']} tokens/s: {report['reply'][:60]!r}")
        return "\n".join(lines)
    lines.append(f"FAILED: the local model could not generate text: {report['error']}")
    if report["lacking"]:
        lines.append(f"The build uses {', '.join(report['lacking'])}, which this CPU lacks: it was compiled on "
                     "(or for) another machine.")
    elif "AMX_INT8" in report["features"]:
        lines.append("The build uses AMX, which this CPU lists; some kernels and hypervisors still fault on it.")
    args = rebuild_args(report["lacking"])
    lines.append(f"Fix: rebuild llama-cpp-python for this CPU and newer ones: make install LLAMA_CMAKE_ARGS=\"{args}\" "
                 f"(in a checkout), or CMAKE_ARGS=\"{args}\" pip install --force-reinstall --no-cache-dir --no-deps "
                 "llama-cpp-python")
    return "\n".join(lines)
