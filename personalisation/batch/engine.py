"""A papermill engine that keeps one warm kernel per worker thread and resets it between runs.

Registered with papermill under the name ``personalisation-warm`` (entry point group
``papermill.engine``), so it serves plain ``papermill -e personalisation-warm in.ipynb
out.ipynb`` as well as ``personalisation run-notebooks`` (the default there;
``--fresh`` uses papermill's own one-kernel-per-run engine).

Before every run the kernel is brought back to the state of a fresh kernel:

- a fresh user namespace (``InteractiveShell.reset``), execution counts from 1, empty
  ``In``/``Out`` and output cache;
- every matplotlib figure closed and ``rcParams`` restored to those of a fresh kernel
  that has just imported matplotlib; ``matplotlib.pyplot`` and its backend, if the last
  run imported them, undone with the display formatters and event hooks they set up (a
  new kernel has no pyplot: a package figure then shows the PNG it was saved as, and a
  run whose first pyplot figure sets up the inline backend does so afresh).  pyplot is
  forgotten, or, when a library imported it and keeps it (mapclassify does), left with
  no backend chosen, as just after importing that library in a new kernel;
- the working directory set to the run's and the environment restored to the kernel's
  at start;
- ``warnings`` filters restored and every module's ``__warningregistry__`` cleared, so
  a warning shown once in an earlier run is shown again;
- ``sys.path`` restored, and modules imported from outside the environment (a
  notebook's helper module in its run folder) forgotten, so the next run imports its own;
- ``random`` and ``numpy.random`` reseeded from the operating system, as a new
  process would be;
- the last run's garbage collected, then what is still alive (modules and their caches)
  frozen with :func:`gc.freeze`, so that collections during a run look at the run's own
  objects, as in a new kernel, not at the whole scientific stack.  A frozen object that
  later becomes part of an unreachable cycle is not freed; ``max_runs`` and ``max_rss_mb``
  bound what that can cost.

After every run the engine checks for global state that the reset cannot undo: a
function or class replaced (monkeypatching, e.g. ``pandas.read_csv = ...``) in
``builtins``, ``os``, ``sys``, ``json``, ``pathlib``, ``random``, numpy, pandas, xarray,
geopandas, shapely, scipy, matplotlib, pyplot or any ``personalisation`` module, against
the state in which the kernel first saw that module (so a module a run imports and
patches in the same run is caught only from the next run on).  If it
finds one, the kernel is replaced before the next run (and the run's record says
why).  Not detected, and so not undone: changes inside objects of imported modules
(mutating a module-level cache or a class attribute holding data), ``logging``
configuration, threads or files left open by a notebook.  Use ``--fresh`` for
notebooks that do such things.

A kernel that dies or times out fails only its run; it is replaced for the next run.
A kernel is also replaced after ``max_runs`` runs or once its resident memory exceeds
``max_rss_mb`` (defaults :data:`DEFAULT_MAX_RUNS`, :data:`DEFAULT_MAX_RSS_MB`), so
memory stays bounded over long batches.
"""

from __future__ import annotations

import ast
import atexit
import json
import os
import threading
from dataclasses import dataclass, field
from typing import Any

from personalisation.batch.execute import DEFAULT_MAX_RSS_MB, DEFAULT_MAX_RUNS, ENGINE_NAME

__all__ = [  # noqa: F822 (WarmEngine is built on first use, see __getattr__)
    "DEFAULT_MAX_RSS_MB",
    "DEFAULT_MAX_RUNS",
    "ENGINE_NAME",
    "WarmEngine",
    "shutdown_kernels",
    "take_note",
    "warm_kernel_pids",
]

# The kernel's side of the engine: a module of its own (``_personalisation_warm``) holding
# the baseline of a fresh kernel, ``prepare(cwd)`` (before each run) and ``check()`` (after).
_KERNEL_MODULE = r"""
import builtins, json, os, random, sys, types, warnings

_CHECKED = (type, types.FunctionType, types.BuiltinFunctionType, types.MethodType)


# set by matplotlib.pyplot.switch_backend, which prepare() undoes, and by ipykernel itself
# for every execution (input forwarding, exception display)
_RESTORED = {
    ("matplotlib.pyplot", k)
    for k in ("_backend_mod", "draw_if_interactive", "new_figure_manager", "show")
} | {("builtins", "input"), ("builtins", "raw_input"), ("sys", "excepthook"),
     ("sys", "displayhook"), ("sys", "breakpointhook")}  # fmt: skip


# modules whose functions and classes are checked for monkeypatching after every run
_WATCHED = ("builtins", "os", "sys", "json", "pathlib", "random", "numpy", "pandas",
            "xarray", "geopandas", "shapely", "scipy", "matplotlib", "matplotlib.pyplot",
            "personalisation")  # fmt: skip


def _watched(name):
    return name in _WATCHED or name.startswith("personalisation.")


def _callables(module):
    try:
        items = list(vars(module).items())
    except TypeError:
        return {}
    return {k: id(v) for k, v in items if isinstance(v, _CHECKED)}


# pyplot and the inline backend as a run imports them: forgotten after the run, so that the
# next run's import registers the inline display afresh, as in a new kernel
_PYPLOT = ("matplotlib.pyplot", "matplotlib.pylab", "pylab", "matplotlib_inline.backend_inline")


def _baseline():
    global rc, rc_backends, formatters, events, env, path, filters, modules, roots
    from IPython import get_ipython

    rc = rc_backends = None
    try:  # matplotlib, not pyplot: a new kernel has no pyplot, so no inline Figure formatter
        import matplotlib
        rc = matplotlib.rcParams.copy()  # copy() does not resolve the backend
        # pyplot's first figure writes the backend it chose into these too
        rc_backends = [(p, p._get("backend")) for p in (matplotlib.rcParamsDefault,
                                                        matplotlib.rcParamsOrig)]
    except Exception:
        pass
    ip = get_ipython()
    formatters = {
        mime: (dict(f.type_printers), dict(f.deferred_printers))
        for mime, f in ip.display_formatter.formatters.items()
    }
    events = {name: list(callbacks) for name, callbacks in ip.events.callbacks.items()}
    global inline
    inline = _inline_state()
    env = dict(os.environ)
    path = list(sys.path)
    filters = list(warnings.filters)
    modules = set(sys.modules)
    here = os.path.realpath(os.getcwd())
    found = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    found |= {os.path.realpath(p) for p in sys.path if p and os.path.isdir(p)}
    roots = tuple(sorted(found - {here}))


def _inline_state():
    # matplotlib_inline caches the backend it configured (and then skips the formatters)
    module = sys.modules.get("matplotlib_inline.backend_inline")
    function = getattr(module, "configure_inline_support", None)
    return getattr(function, "current_backend", None) if function is not None else None


_inside_known = {}


def _inside(file):
    # cached: the same ~1,500 modules are asked about before every run
    if file not in _inside_known:
        real = os.path.realpath(file)
        _inside_known[file] = any(real == r or real.startswith(r + os.sep) for r in roots)
    return _inside_known[file]


reference = {}


def prepare(cwd):
    from IPython import get_ipython

    try:
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            plt.close("all")
        _forget_pyplot()
        if rc is not None:
            import matplotlib
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                matplotlib.rcParams.clear()
                matplotlib.rcParams.update(rc)
    except Exception:
        pass
    ip = get_ipython()
    for mime, (types_, deferred) in formatters.items():  # %matplotlib registers formatters
        formatter = ip.display_formatter.formatters.get(mime)
        if formatter is not None:
            formatter.type_printers.clear()
            formatter.type_printers.update(types_)
            formatter.deferred_printers.clear()
            formatter.deferred_printers.update(deferred)
    for name, callbacks in ip.events.callbacks.items():
        callbacks[:] = events.get(name, [])
    module = sys.modules.get("matplotlib_inline.backend_inline")
    function = getattr(module, "configure_inline_support", None)
    if function is not None:
        if inline is None:
            if hasattr(function, "current_backend"):
                del function.current_backend
        else:
            function.current_backend = inline
    pandas = sys.modules.get("pandas")
    if pandas is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pandas.reset_option("all")
    os.environ.clear()
    os.environ.update(env)
    sys.path[:] = path
    for name in sorted(set(sys.modules) - modules):
        file = getattr(sys.modules.get(name), "__file__", None)
        if file and not _inside(file):
            del sys.modules[name]
    warnings.filters[:] = filters
    for module in list(sys.modules.values()):
        registry = getattr(module, "__warningregistry__", None)
        if isinstance(registry, dict):
            registry.clear()
    warnings._filters_mutated()
    os.chdir(cwd)
    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()
    get_ipython().reset(new_session=True)  # collects the last run's garbage
    # what is alive now (modules, their caches) lives as long as the kernel: kept out of
    # later collections, which then look at a run's own objects only, not the whole stack
    import gc
    gc.freeze()
    _remember()


def _forget_pyplot():
    # pyplot imported by the last run, with the backend its first figure set up (the inline
    # backend registers its display formatters when imported), is undone: the next run's
    # first pyplot figure sets up the inline display again, as in a new kernel
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None or "matplotlib.pyplot" in modules:
        return
    if _holding_pyplot(plt):
        # a library keeps it (mapclassify imports pyplot at its top): pyplot stays, as it
        # would after importing that library in a new kernel, with no backend chosen yet
        plt._backend_mod = None
        plt._REPL_DISPLAYHOOK = plt._ReplDisplayHook.NONE  # its IPython hook: events reset
        for params, value in rc_backends or ():
            params._set("backend", value)
        backends = sys.modules.get("matplotlib.backends")
        if backends is not None and hasattr(backends, "backend"):
            del backends.backend
        names = [n for n in _PYPLOT if n != "matplotlib.pyplot"]
    else:  # nothing keeps it: forgotten, so the next run imports it, if at all, afresh
        names = list(_PYPLOT)
    for name in names:
        if name in sys.modules and name not in modules:
            del sys.modules[name]
            reference.pop(name, None)
            parent, _, child = name.rpartition(".")
            if parent and getattr(sys.modules.get(parent), child, None) is not None:
                delattr(sys.modules[parent], child)


def _holding_pyplot(plt):
    # whether a module the runs imported keeps pyplot in its namespace (not the notebook's
    # own namespace, which the reset empties)
    from IPython import get_ipython

    user_ns = get_ipython().user_ns  # __main__ (and __mp_main__, multiprocessing's alias)
    for name, module in list(sys.modules.items()):
        if name in modules or name in _PYPLOT or module is None:
            continue
        namespace = getattr(module, "__dict__", None)
        if namespace is None or namespace is user_ns:
            continue
        if any(v is plt for v in list(namespace.values())):
            return True
    return False


def _remember():
    # the first state seen of every watched module: later runs are compared with it
    for name, module in list(sys.modules.items()):
        if module is not None and _watched(name) and name not in reference:
            reference[name] = (id(module), _callables(module))


def check():
    changed = []
    for name, (identity, old) in reference.items():
        module = sys.modules.get(name)
        if module is None or id(module) != identity:  # re-imported by a library: not patched
            continue
        now = _callables(module)
        changed += [
            f"{name}.{k}"
            for k, v in old.items()
            if k in now and now[k] != v and (name, k) not in _RESTORED
        ]
    _remember()  # modules this run imported: their state now is their reference
    return json.dumps(sorted(changed)[:20])


_baseline()
"""
_INSTALL = (
    "import sys as _pz_sys\n"
    "if '_personalisation_warm' not in _pz_sys.modules:\n"
    "    import types as _pz_types\n"
    "    _pz_module = _pz_types.ModuleType('_personalisation_warm')\n"
    "    exec({source!r}, _pz_module.__dict__)\n"
    "    _pz_sys.modules['_personalisation_warm'] = _pz_module\n"
    "_pz_sys.modules['_personalisation_warm'].prepare({cwd!r})\n"
)


@dataclass
class _Kernel:
    """One warm kernel: its manager, how many runs it served, why it must be replaced."""

    km: Any
    #: the kernel client of the last run, channels open: the next run on the same thread
    #: uses it (a new client waits for the kernel's output channel to go quiet, ~0.2 s)
    kc: Any = None
    runs: int = 0
    replace_reason: str = ""
    notes: list[str] = field(default_factory=list)


_KERNELS: dict[tuple[int, str], _Kernel] = {}
_NOTES: dict[int, str] = {}
_LOCK = threading.Lock()


def take_note() -> str:
    """Why this thread's last run replaced its kernel ("" when it did not), and forget it."""
    return _NOTES.pop(threading.get_ident(), "")


def _kernel_pid(km: Any) -> int | None:
    provisioner = getattr(km, "provisioner", None)
    pid = getattr(provisioner, "pid", None)
    if pid is None:
        process = getattr(provisioner, "process", None)
        pid = getattr(process, "pid", None)
    return pid


def _rss_mb(km: Any) -> float | None:
    pid = _kernel_pid(km)
    if pid is None:
        return None
    try:
        import psutil  # type: ignore[import-untyped]

        return psutil.Process(pid).memory_info().rss / 2**20
    except Exception:
        return None


def _shutdown(kernel: _Kernel) -> None:
    """Stop a kernel now (SIGKILL if the polite shutdown fails)."""
    from jupyter_core.utils import run_sync

    km = kernel.km
    if kernel.kc is not None:
        try:
            kernel.kc.stop_channels()
        except Exception:
            pass
        kernel.kc = None
    try:
        if km.has_kernel:
            run_sync(km.shutdown_kernel)(now=True)
    except Exception:
        pid = _kernel_pid(km)
        if pid is not None:
            try:
                import signal

                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    try:
        km.cleanup_connection_file()
    except Exception:
        pass


def shutdown_kernels(thread: int | None = None) -> int:
    """Shut down the warm kernels of this process; returns how many there were.

    ``thread`` (a :func:`threading.get_ident` value): only the kernels of that thread, so a
    worker thread that ends leaves its neighbours' kernels alone.  Registered with
    :mod:`atexit`; the batch runner also calls it when a worker ends or is interrupted.
    """
    with _LOCK:
        keys = [key for key in _KERNELS if thread is None or key[0] == thread]
        kernels = [_KERNELS.pop(key) for key in keys]
    for kernel in kernels:
        _shutdown(kernel)
    return len(kernels)


atexit.register(shutdown_kernels)


def warm_kernel_pids() -> list[int]:
    """Process ids of this process's warm kernels (for tests and clean-up)."""
    with _LOCK:
        return [pid for k in _KERNELS.values() if (pid := _kernel_pid(k.km)) is not None]


def __getattr__(name: str) -> Any:
    # The classes subclass papermill's; they are built on first use, because papermill
    # imports this module (its entry point) while papermill.engines is being imported.
    if name in ("WarmEngine", "_WarmClient"):
        return _build()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _build() -> dict[str, Any]:
    """Define :class:`WarmEngine` (once); re-entered through papermill's entry points."""
    namespace = globals()
    if "WarmEngine" in namespace:
        return namespace
    from papermill.engines import Engine  # may load this module's entry point: re-entry

    if "WarmEngine" in namespace:
        return namespace
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.utils import merge_kwargs, remove_args

    class _WarmClient(PapermillNotebookClient):
        """papermill's notebook client, resetting the kernel before the cells and checking after."""

        def __init__(self, nb_man: Any, kernel: _Kernel, cwd: str, **kwargs: Any) -> None:
            super().__init__(nb_man, km=kernel.km, **kwargs)
            self._warm = kernel
            self._cwd = cwd

        def _silent(self, code: str, expression: str | None = None) -> Any:
            """Run code silently in the kernel; the value of ``expression`` (a JSON string)."""
            msg_id = self.kc.execute(
                code,
                silent=True,
                store_history=False,
                user_expressions={"value": expression} if expression else None,
            )
            reply = self.wait_for_reply(msg_id)
            content = (reply or {}).get("content", {})
            if content.get("status") != "ok":
                raise RuntimeError(
                    f"{ENGINE_NAME}: resetting the kernel failed: "
                    f"{content.get('ename', '')}: {content.get('evalue', '')}"
                )
            if expression:
                value = content.get("user_expressions", {}).get("value", {})
                if value.get("status") != "ok":
                    raise RuntimeError(f"{ENGINE_NAME}: checking the kernel failed: {value}")
                return json.loads(ast.literal_eval(value["data"]["text/plain"]))
            return None

        def papermill_execute_cells(self) -> None:
            self._silent(_INSTALL.format(source=_KERNEL_MODULE, cwd=self._cwd))
            super().papermill_execute_cells()
            changed = self._silent("", "__import__('_personalisation_warm').check()")
            if changed:
                self._warm.replace_reason = (
                    "the run changed global state the reset cannot undo: " + ", ".join(changed)
                )
                self._warm.notes.append(self._warm.replace_reason)

    class WarmEngine(Engine):
        """papermill engine: one kernel per thread and kernel name, reset before every run.

        Extra keyword arguments (through ``papermill.execute_notebook(..., **kwargs)``):
        ``max_runs`` (default :data:`DEFAULT_MAX_RUNS`) and ``max_rss_mb``
        (default :data:`DEFAULT_MAX_RSS_MB`).

        Examples
        --------
        Skipped as a doctest: it starts a Jupyter kernel (see ``tests/batch``).

        >>> import papermill
        >>> papermill.execute_notebook("in.ipynb", "out.ipynb",
        ...                            engine_name="personalisation-warm")  # doctest: +SKIP
        """

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man: Any,
            kernel_name: str,
            log_output: bool = False,
            stdout_file: Any = None,
            stderr_file: Any = None,
            start_timeout: float = 60,
            execution_timeout: float | None = None,
            max_runs: int = DEFAULT_MAX_RUNS,
            max_rss_mb: float = DEFAULT_MAX_RSS_MB,
            **kwargs: Any,
        ) -> Any:
            from nbclient.client import NotebookClient

            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            # the run's folder: nbclient's resources path if given, else papermill's ``cwd``
            # (papermill runs the engine inside it)
            cwd = (kwargs.get("resources") or {}).get("metadata", {}).get("path") or os.getcwd()
            key = (threading.get_ident(), kernel_name)
            with _LOCK:
                kernel = _KERNELS.pop(key, None)
            if kernel is not None and not kernel.replace_reason:
                if kernel.runs >= max_runs:
                    kernel.replace_reason = f"served {kernel.runs} runs (max_runs={max_runs})"
                elif not kernel.km.has_kernel:
                    kernel.replace_reason = "the kernel had stopped"
            if kernel is not None and kernel.replace_reason:
                _shutdown(kernel)
                kernel = None
            if kernel is None:
                km = NotebookClient(nb_man.nb, kernel_name=kernel_name).create_kernel_manager()
                kernel = _Kernel(km=km)
            final = merge_kwargs(
                kwargs,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=nb_man.log if hasattr(nb_man, "log") else None,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            if final.get("log") is None:
                from papermill.log import logger

                final["log"] = logger
            client = _WarmClient(nb_man, kernel, cwd, **final)
            if kernel.kc is not None and kernel.km.has_kernel:
                client.kc = kernel.kc  # nbclient starts no new client when it has one
            try:
                client.execute(cwd=cwd)
            except BaseException:
                kernel.replace_reason = "the run failed inside the kernel (died, hung or timed out)"
                raise
            finally:
                kernel.runs += 1
                kernel.kc = client.kc
                rss = _rss_mb(kernel.km)
                if not kernel.replace_reason and rss is not None and rss > max_rss_mb:
                    kernel.replace_reason = f"resident memory {rss:.0f} MiB > {max_rss_mb} MiB"
                if kernel.replace_reason:
                    _NOTES[threading.get_ident()] = f"kernel replaced: {kernel.replace_reason}"
                    _shutdown(kernel)
                else:
                    with _LOCK:
                        _KERNELS[key] = kernel
            return nb_man.nb

    WarmEngine.__qualname__, _WarmClient.__qualname__ = "WarmEngine", "_WarmClient"
    namespace.update(WarmEngine=WarmEngine, _WarmClient=_WarmClient)
    return namespace
