"""The solvers that move the pixels: L-BFGS, SciPy's L-BFGS-B, Keras optimizers.

Each `minimize_*` takes the compiled `value_and_grad` of `gradients.py`, the
starting image `(1, H, W, 3)`, the targets and an iteration budget, reports
every iteration to a `progress.Monitor` and returns the final `(H, W, 3)`
image.
"""

import collections
import math

import keras
import numpy as np
from keras import ops

# Curvature pairs kept by L-BFGS (`history_size` of torch.optim.LBFGS, `maxcor`
# of SciPy). Each pair holds two image-sized float32 vectors.
LBFGS_HISTORY = 20


def minimize(
    optimizer, value_and_grad, x0, targets, iterations, learning_rate, monitor
):
    """Runs the solver `optimizer` names (or the Keras optimizer it is) on `x0`.

    Args:
        optimizer: `"lbfgs"`, `"lbfgs-b"`, `"adam"` or a
            `keras.optimizers.Optimizer`, as `arguments.check_optimizer` returns.
        value_and_grad: the compiled step of `gradients.compile_step`.
        x0: the starting image, float32 `(1, H, W, 3)` in 0..255.
        targets: `(content_targets, style_grams)`.
        iterations: the iteration budget.
        learning_rate: the step size of `"adam"`.
        monitor: the `progress.Monitor` every iteration is reported to.

    Returns:
        The final image, `(H, W, 3)`.
    """
    if optimizer == "lbfgs":
        return minimize_lbfgs(value_and_grad, x0, targets, iterations, monitor)
    if optimizer == "lbfgs-b":
        return minimize_scipy_lbfgsb(value_and_grad, x0, targets, iterations, monitor)
    return minimize_first_order(
        value_and_grad, x0, targets, iterations, optimizer, learning_rate, monitor
    )


def minimize_lbfgs(value_and_grad, x0, targets, iterations, monitor):
    """`lbfgs_minimize` on the flattened pixels, bounded to 0..255."""
    shape = x0.shape

    def fun(x):
        image = ops.convert_to_tensor(x.reshape(shape))
        total, parts, grad = value_and_grad(image, *targets)
        monitor.evaluations_so_far += 1
        grad = ops.convert_to_numpy(grad).reshape(-1)
        return float(ops.convert_to_numpy(total)), grad, parts

    def callback(x, parts):
        return monitor.step(parts, lambda: x.reshape(shape[1:]))

    x, message = lbfgs_minimize(fun, x0, iterations, callback=callback)
    if not monitor.stopped:
        monitor.message = message
    return x.reshape(shape[1:])


def minimize_scipy_lbfgsb(value_and_grad, x0, targets, iterations, monitor):
    """SciPy's L-BFGS-B (Wolfe line search, box constraints) on the pixels."""
    # A well-kept reference solver: the line search guarantees descent, at
    # the price of ~1.1-2 evaluations and more host time per iteration.
    import scipy.optimize

    shape = x0.shape
    last = {}

    def fun(x):
        image = ops.convert_to_tensor(x.reshape(shape).astype(np.float32))
        total, parts, grad = value_and_grad(image, *targets)
        last["parts"] = parts
        monitor.evaluations_so_far += 1
        grad = ops.convert_to_numpy(grad).astype(np.float64).ravel()
        return float(ops.convert_to_numpy(total)), grad

    def callback(intermediate_result):
        x = intermediate_result.x
        if not monitor.step(last["parts"], lambda: x.reshape(shape[1:])):
            raise StopIteration

    result = scipy.optimize.minimize(
        fun,
        x0.astype(np.float64).ravel(),
        jac=True,
        method="L-BFGS-B",
        bounds=scipy.optimize.Bounds(0.0, 255.0),
        callback=callback,
        options={
            "maxiter": iterations,
            "maxfun": 20 * iterations,
            "maxcor": LBFGS_HISTORY,
            # Run the full budget: convergence tests on a loss of ~1e6
            # would stop long before the picture stops changing.
            "ftol": 0.0,
            "gtol": 0.0,
        },
    )
    if not monitor.stopped:
        monitor.message = str(result.message)
    return result.x.reshape(shape[1:]).astype(np.float32)


def minimize_first_order(
    value_and_grad, x0, targets, iterations, optimizer, learning_rate, monitor
):
    """A Keras optimizer (Adam by default) on a `keras.Variable` image."""
    if optimizer == "adam":
        opt = keras.optimizers.Adam(learning_rate=learning_rate)
    else:  # a fresh copy per scale: optimizers are built for one variable
        opt = optimizer.__class__.from_config(optimizer.get_config())
    variable = keras.Variable(x0, dtype="float32", name="image")
    for _ in range(iterations):
        total, parts, grad = value_and_grad(ops.convert_to_tensor(variable), *targets)
        monitor.evaluations_so_far += 1
        opt.apply_gradients([(grad, variable)])
        variable.assign(ops.clip(variable, 0.0, 255.0))
        image = lambda: ops.convert_to_numpy(variable)[0]  # noqa: E731
        if not monitor.step(parts, image):
            break
    else:
        monitor.message = "STOP: iteration budget reached"
    return ops.convert_to_numpy(variable)[0]


def lbfgs_minimize(
    fun,
    x0,
    iterations,
    callback=None,
    history=LBFGS_HISTORY,
    bounds=(0.0, 255.0),
    max_backtracks=5,
):
    """Projected L-BFGS with one function evaluation per iteration.

    The L-BFGS of Torch's `optim.lbfgs` / `torch.optim.LBFGS` without line
    search, the solver of jcjohnson/neural-style: the two-loop direction is
    taken with step 1, then projected onto `bounds` (coordinates held at a
    bound by their gradient are left out of the direction). Should a step
    raise the loss, it is shortened by quadratic interpolation (extra
    evaluations, counted by the caller) and, if that fails too, the memory
    is reset to steepest descent.

    Written here rather than using SciPy's L-BFGS-B (`optimizer="lbfgs-b"`)
    because that solver's host-side bookkeeping, growing with the pixel
    count, is a sizeable share of each step, and this loop's is not; on
    random-weight VGG19 problems it reaches the same loss per iteration (or
    lower) with ~1-1.1 evaluations per iteration (benchmarks/README.md).

    Args:
        fun: `fun(x) -> (loss, gradient, aux)` for a flat float32 array `x`.
        x0: the starting point (any shape; flattened).
        iterations: the number of steps.
        callback: optional `callback(x, aux) -> bool` after every step;
            `False` stops.
        history: number of curvature pairs kept.
        bounds: `(lower, upper)` for every coordinate, or `None`.
        max_backtracks: step halvings tried when a step raises the loss.

    Returns:
        `(x, message)`: the final flat float32 point and why it stopped.

    Example:

    >>> fun = lambda x: (float(((x - 3) ** 2).sum()), 2 * (x - 3), None)
    >>> x, _ = lbfgs_minimize(fun, np.zeros(4, "float32"), 10, bounds=(0, 2))
    >>> np.round(x, 3)
    array([2., 2., 2., 2.], dtype=float32)
    """
    lower, upper = bounds if bounds is not None else (-np.inf, np.inf)
    x = np.clip(np.asarray(x0, np.float32).reshape(-1), lower, upper)
    f, g, aux = fun(x)
    pairs = collections.deque(maxlen=history)  # (s, y, 1 / y.s)
    gamma = 1.0  # initial inverse-Hessian scale, y.s / y.y of the last pair
    for _ in range(iterations):
        # Pixels held at a bound by their gradient stay out of the step.
        held = ((x <= lower) & (g > 0)) | ((x >= upper) & (g < 0))
        g_free = np.where(held, np.float32(0), g) if held.any() else g
        d = _two_loop(g_free, pairs, gamma)
        if held.any():
            d[held] = 0
        slope = float(np.dot(g_free, d))
        if not slope < 0:  # not downhill (round-off): restart
            pairs.clear()
            d = -g_free
            slope = -float(np.dot(g_free, g_free))
        # Without curvature yet, a step of L1 length <= 1, as torch.optim.LBFGS:
        # it measured better than larger first steps (ReLU networks have
        # kinky gradients; a tiny secant step gives a smoother curvature).
        step = 1.0 if pairs else min(1.0, 1.0 / max(float(np.abs(d).sum()), 1e-30))
        for _ in range(max_backtracks + 1):
            x_new = np.clip(x + step * d, lower, upper)
            f_new, g_new, aux_new = fun(x_new)
            # (float32 losses: allow round-off-sized increases)
            if math.isfinite(f_new) and f_new <= f + 1e-6 * abs(f):
                break
            # Backtrack to the minimum of the quadratic through f, the slope
            # and f_new, kept within [0.1, 0.5] of the step (Nocedal & Wright).
            shrink = 0.1
            if math.isfinite(f_new):
                curvature = f_new - f - slope * step
                shrink = min(max(-slope * step / (2 * curvature), 0.1), 0.5)
            step *= shrink
        else:  # no decrease along this direction: forget the curvature
            pairs.clear()
            gamma = 1.0
            if callback is not None and callback(x, aux) is False:
                return x, "STOP: callback"
            continue
        s, y = x_new - x, g_new - g
        ys, yy = float(np.dot(y, s)), float(np.dot(y, y))
        if ys > 1e-10 * math.sqrt(yy * float(np.dot(s, s))) and ys > 0:
            pairs.append((s, y, 1.0 / ys))
            gamma = ys / yy
        x, f, g, aux = x_new, f_new, g_new, aux_new
        if callback is not None and callback(x, aux) is False:
            return x, "STOP: callback"
    return x, "STOP: iteration budget reached"


def _two_loop(g, pairs, gamma):
    """-H g for the L-BFGS inverse-Hessian approximation H."""
    q = -g
    alphas = []
    for s, y, rho in reversed(pairs):
        alpha = rho * float(np.dot(s, q))
        q -= alpha * y
        alphas.append(alpha)
    q *= gamma
    for (s, y, rho), alpha in zip(pairs, reversed(alphas)):
        beta = rho * float(np.dot(y, q))
        q += (alpha - beta) * s
    return q
