"""Which runtime runs mescreen's networks: LiteRT (`ai-edge-litert`), ONNX Runtime or TensorFlow.

For every network an analysis runs (BlazeFace full range, face mesh, eye contours: the wheel's
TFLite files; the per-frame emotion network and the micro-expression ensemble: models/*.tflite,
converted from Keras) it prints, per runtime, each in a fresh subprocess:
- start-up: importing the runtime and loading all five networks (wall and CPU seconds; NumPy is
  imported before), and the process's resident memory after it;
- CPU milliseconds per call on one thread (face models one input, per-frame network 64 crops,
  micro-expression network 8 flow images), and the largest output difference against LiteRT.

ONNX files are made here, in a temporary folder, with tf2onnx (face models from their TFLite
files, the Keras networks from their weights), so this needs the training extra plus
`pip install onnxruntime tf2onnx` (neither is a dependency of mescreen; without them the ONNX
rows are skipped). TensorFlow runs the TFLite files through `tf.lite.Interpreter` and the Keras
networks as traced graphs (what mescreen did before).

    MESCREEN_DATA=... .venv/bin/python bench/runtime_compare.py
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: (name, batch) of each network, in the order printed.
NETWORKS = (("face_detection_full_range", 1), ("face_landmark", 1), ("iris_landmark", 1),
            ("frame_emotion", 64), ("emotion_cnn", 8))
CALLS = 100


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rss_now_mib() -> float:
    """Resident memory now (ru_maxrss would include the parent's, which survives exec on Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def _files(onnx_dir: Path | None) -> dict[str, Path]:
    from mescreen.core.datapaths import models_dir
    from mescreen.core.face.mesh import model_dir

    files = {n: model_dir() / f"{n}.tflite" for n, _ in NETWORKS[:3]}
    files.update({n: models_dir() / f"{n}.tflite" for n, _ in NETWORKS[3:]})
    if onnx_dir is not None:
        files = {n: onnx_dir / f"{n}.onnx" for n in files}
    return files


def _inputs(shape: tuple[int, ...], batch: int) -> "object":
    import numpy as np

    return np.random.default_rng(0).random((batch, *shape), dtype=np.float32)


def child(runtime: str, onnx_dir: str) -> None:
    """One runtime: load every network, time calls, print JSON (outputs saved for comparison)."""
    import numpy as np

    start, cpu0 = time.perf_counter(), _cpu()
    runners = {}
    if runtime == "litert":
        from mescreen.core.runtime import LiteModel

        for name, path in _files(None).items():
            model = LiteModel(path)
            runners[name] = (model.input_shape, (lambda m: (lambda x: m.run(x)) if m.output_names
                                                  else (lambda x: m(x[0])))(model))
    elif runtime == "onnxruntime":
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = 1, 1
        for name, path in _files(Path(onnx_dir)).items():
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            shape = tuple(int(d) for d in session.get_inputs()[0].shape[1:])
            feed = session.get_inputs()[0].name
            runners[name] = (shape, (lambda s, f: (lambda x: s.run(None, {f: x})))(session, feed))
    else:
        import tensorflow as tf

        from mescreen.training.convert import NETWORKS as KERAS

        tf.config.threading.set_intra_op_parallelism_threads(1)
        for name, path in list(_files(None).items())[:3]:
            interpreter = tf.lite.Interpreter(model_path=str(path), num_threads=1)
            interpreter.allocate_tensors()
            detail = interpreter.get_input_details()[0]

            def run(x: np.ndarray, it: object = interpreter, index: int = detail["index"]) -> list:
                it.set_tensor(index, x)  # type: ignore[attr-defined]
                it.invoke()  # type: ignore[attr-defined]
                return [it.get_tensor(d["index"]) for d in it.get_output_details()]  # type: ignore[attr-defined]

            runners[name] = (tuple(int(d) for d in detail["shape"][1:]), run)
        for network in KERAS:
            model = network.keras_model(network.weights(ROOT / "models").parent)
            graph = tf.function(lambda x, m=model: m(x, training=False))
            runners[network.stem] = (tuple(int(d) for d in model.input_shape[1:]), graph)
    load_s, load_cpu = time.perf_counter() - start, _cpu() - cpu0
    out: dict[str, object] = {"runtime": runtime, "load_s": round(load_s, 2), "load_cpu_s": round(load_cpu, 2),
                              "rss_mib": _rss_now_mib()}
    for name, batch in NETWORKS:
        shape, run = runners[name]
        x = _inputs(shape, batch)
        for _ in range(3):
            result = run(x)
        cpu0 = _cpu()
        for _ in range(CALLS):
            run(x)
        out[name] = round((_cpu() - cpu0) / CALLS * 1000, 3)
        values = result.values() if isinstance(result, dict) else result
        flat = np.concatenate([np.ravel(np.asarray(v)) for v in sorted(values, key=lambda v: np.size(v))])
        np.save(Path(onnx_dir) / f"{runtime}-{name}.npy", flat)
    print(json.dumps(out))


def make_onnx(folder: Path) -> bool:
    """ONNX files of every network in `folder`; False when tf2onnx is not installed."""
    try:
        import tf2onnx  # noqa: F401
    except ImportError:
        return False
    code = ("import sys, tf2onnx, tensorflow as tf\n"
            "sys.path.insert(0, sys.argv[2])\n"
            "from pathlib import Path\n"
            "from bench.runtime_compare import _files\n"
            "from mescreen.training.convert import NETWORKS\n"
            "out = Path(sys.argv[1])\n"
            "for name, path in list(_files(None).items())[:3]:\n"
            "    tf2onnx.convert.from_tflite(str(path), opset=17, output_path=str(out / f'{name}.onnx'))\n"
            "for n in NETWORKS:\n"
            "    m = n.keras_model(Path(sys.argv[2]) / 'models')\n"
            "    spec = [tf.TensorSpec([None, *m.input_shape[1:]], tf.float32)]\n"
            "    fn = tf.function(lambda x, m=m: m(x, training=False))\n"
            "    tf2onnx.convert.from_function(fn, input_signature=spec, opset=17, output_path=str(out / f'{n.stem}.onnx'))\n")
    subprocess.run([sys.executable, "-c", code, str(folder), str(ROOT)], check=True, capture_output=True, cwd=ROOT)
    return True


def main() -> None:
    import numpy as np

    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
        return
    with tempfile.TemporaryDirectory() as tmp:
        runtimes = ["litert", "tensorflow"]
        try:
            import onnxruntime  # noqa: F401

            if make_onnx(Path(tmp)):
                runtimes.insert(1, "onnxruntime")
        except ImportError:
            pass
        rows = []
        for runtime in runtimes:
            env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
            done = subprocess.run([sys.executable, __file__, "--child", runtime, tmp], capture_output=True, text=True,
                                  cwd=ROOT, env=env)
            if done.returncode != 0:
                sys.exit(f"{runtime} failed:\n{done.stderr[-3000:]}")
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"load average {os.getloadavg()[0]:.1f}; CPU ms per call, one thread\n")
        names = [n for n, _ in NETWORKS]
        print("| runtime | start-up s (CPU s) | RSS MiB | " + " | ".join(f"{n} (batch {b})" for n, b in NETWORKS) + " |")
        print("|---" * (3 + len(names)) + "|")
        for r in rows:
            print(f"| {r['runtime']} | {r['load_s']} ({r['load_cpu_s']}) | {r['rss_mib']} | "
                  + " | ".join(str(r[n]) for n in names) + " |")
        for r in rows[1:]:
            diffs = []
            for n in names:
                a, b = np.load(Path(tmp) / f"litert-{n}.npy"), np.load(Path(tmp) / f"{r['runtime']}-{n}.npy")
                diffs.append(f"{n} {np.abs(np.sort(a) - np.sort(b)).max():.1e}" if a.shape == b.shape else f"{n} -")
            print(f"\nlargest difference of {r['runtime']} against LiteRT (sorted outputs): " + ", ".join(diffs))


if __name__ == "__main__":
    main()
