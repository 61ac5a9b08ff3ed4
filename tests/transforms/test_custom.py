import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp


@pb.custom_vjp
def scaled_sin(x):
    return pnp.sin(x)


scaled_sin.defvjp(lambda x: (pnp.sin(x), pnp.cos(x)), lambda cos_x, g: (2.0 * cos_x * g,))


def test_custom_vjp_is_used_by_grad_and_transposed_for_jvp():
    x = 0.3
    assert pb.grad(scaled_sin)(x) == pytest.approx(2 * np.cos(x), rel=1e-15)
    assert pb.jvp(scaled_sin, (x,), (1.0,))[1] == pytest.approx(2 * np.cos(x), rel=1e-15)


def test_custom_vjp_second_order_in_all_modes():
    x = 0.7
    want = -2 * np.sin(x)
    assert pb.grad(pb.grad(scaled_sin))(x) == pytest.approx(want, rel=1e-14)
    fwd_rev = pb.jvp(pb.grad(scaled_sin), (x,), (1.0,))[1]
    rev_fwd = pb.grad(lambda x: pb.jvp(scaled_sin, (x,), (1.0,))[1])(x)
    assert fwd_rev == pytest.approx(want, rel=1e-14)
    assert rev_fwd == pytest.approx(want, rel=1e-14)


def test_custom_vjp_with_pytree_arguments_and_nondiff_argnums():
    def f(n, p):
        return p["w"] * n

    cf = pb.custom_vjp(f, nondiff_argnums=(0,))
    cf.defvjp(lambda n, p: (f(n, p), None), lambda n, res, g: ({"w": g * n * 10},))
    g = pb.grad(lambda w: pnp.sum(cf(3, {"w": w})))(np.ones(2))
    assert np.array_equal(g, [30.0, 30.0])


def test_custom_vjp_wrong_shape_names_the_rule_and_argument():
    @pb.custom_vjp
    def f(x):
        return x * 2

    f.defvjp(lambda x: (x * 2, None), lambda res, g: (np.ones(3),))
    pattern = r"custom_vjp 'f'.*shape \(3,\) for argument 0 of shape \(2, 3\)"
    with pytest.raises(ValueError, match=pattern):
        pb.grad(lambda x: pnp.sum(f(x)))(np.ones((2, 3)))


def test_custom_vjp_wrong_arity_and_dtype_raise():
    @pb.custom_vjp
    def f(x, y):
        return x * y

    f.defvjp(lambda x, y: (x * y, (x, y)), lambda res, g: (g,))
    with pytest.raises(ValueError, match="returned 1 cotangent"):
        pb.grad(f)(1.0, 2.0)

    @pb.custom_vjp
    def h(x):
        return x

    h.defvjp(lambda x: (x, None), lambda res, g: (np.ones(2, np.float64),))
    with pytest.raises(TypeError, match="dtype float64 for argument 0 of dtype float32"):
        pb.grad(lambda x: pnp.sum(h(x)))(np.ones(2, np.float32))


def test_custom_vjp_without_rule_raises():
    f = pb.custom_vjp(lambda x: x)
    with pytest.raises(TypeError, match="defvjp"):
        f(1.0)


def test_custom_gradient_clip_by_value():
    @pb.custom_gradient
    def clip_gradients(y):
        return y, lambda dy: pnp.clip(dy, -0.5, 0.5)

    assert pb.grad(lambda x: 3.0 * clip_gradients(x))(1.0) == 0.5
    assert clip_gradients(2.0) == 2.0


def test_custom_gradient_fixes_the_exp_instability_in_float32():
    @pb.custom_gradient
    def inv_exp(x):
        y = 1.0 / pnp.exp(x)
        return y, lambda g: -g * y

    x = np.float32(100.0)
    g = pb.grad(inv_exp)(x)
    assert np.isfinite(g) and g.dtype == np.float32


def test_differentiable_function_from_a_value_and_pullback():
    square = pb.differentiable_function(lambda x: (x * x, lambda g: 2 * x * g))
    assert pb.grad(square)(3.0) == 6.0
    assert pb.grad(pb.grad(square))(3.0) == 2.0


def test_custom_jvp_serves_both_modes_and_second_order():
    @pb.custom_jvp
    def f(x):
        return pnp.sin(x)

    f.defjvp(lambda p, t: (pnp.sin(p[0]), 3.0 * pnp.cos(p[0]) * t[0]))
    x = 0.5
    assert pb.jvp(f, (x,), (1.0,))[1] == pytest.approx(3 * np.cos(x), rel=1e-15)
    assert pb.grad(f)(x) == pytest.approx(3 * np.cos(x), rel=1e-15)
    assert pb.grad(pb.grad(f))(x) == pytest.approx(-3 * np.sin(x), rel=1e-14)


def test_primitive_with_only_a_vjp_rule_works_in_forward_mode():
    cube = pb.primitive(lambda x: x**3, name="cube_vjp_only")
    pb.defvjp(cube, lambda g, ans, x: g * 3 * x**2)
    assert pb.jvp(cube, (2.0,), (1.0,))[1] == 12.0
    pb.check_grads(cube, (np.array([0.5, -1.2]),), order=2)


def test_primitive_with_only_a_jvp_rule_works_in_reverse_mode():
    cube = pb.primitive(lambda x: x**3, name="cube_jvp_only")
    pb.defjvp(cube, lambda t, ans, x: t * 3 * x**2)
    assert pb.grad(cube)(2.0) == 12.0
    pb.check_grads(cube, (np.array([0.5, -1.2]),), order=2)


def test_primitive_without_rules_raises_a_lookup_error_naming_it():
    opaque = pb.primitive(lambda x: x * 2, name="opaque")
    with pytest.raises(LookupError, match="no VJP rule for 'opaque'"):
        pb.grad(opaque)(1.0)


def test_with_derivative_replaces_and_observes_the_cotangent():
    seen = []
    assert pb.grad(lambda x: pnp.log(pb.with_derivative(x, seen.append)))(2.0) == 0.5
    assert seen == [0.5]
    assert pb.grad(lambda x: pb.with_derivative(x, lambda g: g * 10) * 2)(1.0) == 20.0
    assert pb.jvp(lambda x: pb.with_derivative(x, lambda g: g * 10) * 2, (1.0,), (1.0,))[1] == 2.0


def test_stop_gradient_blocks_the_derivative():
    assert pb.grad(lambda x: pb.stop_gradient(x) * x)(3.0) == 3.0
    assert pb.jvp(lambda x: pb.without_derivative(x) * x, (3.0,), (1.0,))[1] == 3.0


def _stack(f, xs):
    return np.stack([np.asarray(f(x)) for x in xs])


@pytest.mark.filterwarnings("ignore:vmap. primitive")
def test_every_custom_form_composes_with_vmap():
    xs = np.linspace(-1.0, 1.0, 6).reshape(3, 2)

    @pb.custom_jvp
    def cj(x):
        return pnp.sin(x)

    cj.defjvp(lambda p, t: (pnp.sin(p[0]), 3.0 * pnp.cos(p[0]) * t[0]))

    @pb.custom_gradient
    def cg(x):
        return x * x, lambda g: 10.0 * g

    forms = {
        "custom_vjp": scaled_sin,
        "custom_jvp": cj,
        "custom_gradient": cg,
        "differentiable_function": pb.differentiable_function(lambda x: (x * 2.0, lambda g: g)),
        "with_derivative": lambda x: pb.with_derivative(x, lambda g: g * 5.0) * 1.0,
        "stop_gradient": lambda x: pb.stop_gradient(x) * x,
        "checkpoint": pb.checkpoint(lambda x: pnp.tanh(x) * x),
    }
    for name, f in forms.items():
        loss = lambda x, f=f: pnp.sum(f(x))
        np.testing.assert_allclose(pb.vmap(f)(xs), _stack(f, xs), rtol=1e-14, err_msg=name)
        np.testing.assert_allclose(
            pb.vmap(pb.grad(loss))(xs), _stack(pb.grad(loss), xs), rtol=1e-14, err_msg=name
        )
        np.testing.assert_allclose(
            pb.grad(lambda b, loss=loss: pnp.sum(pb.vmap(loss)(b)))(xs),
            _stack(pb.grad(loss), xs),
            rtol=1e-14,
            err_msg=name,
        )


@pb.custom_vjp
def _scaled(x, scale=2.0):
    return x * scale


_scaled.defvjp(lambda x, scale: (x * scale, scale), lambda scale, g: (10.0 * scale * g, None))


@pb.custom_jvp
def _power(x, n=2):
    return x**n


_power.defjvp(lambda p, t: (p[0] ** p[1], p[1] * p[0] ** (p[1] - 1) * t[0]))


def test_custom_rules_get_keyword_arguments_and_defaults_by_position():
    # as JAX: the rules take every argument of the signature positionally
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(pb.grad(lambda x: pnp.sum(_scaled(x)))(x), [20.0] * 3)
    np.testing.assert_array_equal(pb.grad(lambda x: pnp.sum(_scaled(x, scale=3.0)))(x), [30.0] * 3)
    np.testing.assert_array_equal(pb.jvp(_power, (x,), (np.ones(3),))[1], 2 * x)
    np.testing.assert_array_equal(pb.grad(lambda x: pnp.sum(_power(x, n=3)))(x), 3 * x**2)


def test_keyword_only_arguments_of_a_custom_function_are_refused():
    @pb.custom_jvp
    def f(x, *, k):
        return x * k

    f.defjvp(lambda p, t: (p[0], t[0]))
    with pytest.raises(TypeError, match=r"keyword-only arguments \['k'\] cannot reach"):
        f(np.ones(2), k=2.0)


def test_custom_jvp_tangent_of_another_shape_names_the_rule():
    @pb.custom_jvp
    def f(x):
        return pnp.sin(x)

    f.defjvp(lambda p, t: (pnp.sin(p[0]), t[0][:2]))
    message = r"jvp rule of custom_jvp 'f' .* tangent of shape \(2,\) for output 0 of shape \(3,\)"
    for call in (lambda x: pb.jvp(f, (x,), (x,)), lambda x: pb.grad(lambda x: pnp.sum(f(x)))(x)):
        with pytest.raises(ValueError, match=message):
            call(np.ones(3))
