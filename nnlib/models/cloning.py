"""``clone_model``: the same architecture with new layers, hence new weights.

Cloning a model is like calling it on new inputs, except that each layer is
replaced by a copy made from its config (``type(layer).from_config(
layer.get_config())``), whose weights are drawn anew, as Keras's
``keras.models.clone_model``.  A layer used twice (shared) is copied once and
the copy used twice, so the clone shares it as the model does.
"""
import inspect
import warnings

from ..checks import flag
from ..graph import SymbolicTensor, flatten, pack_as
from ..layers.base import Layer
from .functional import Model
from .sequential import Sequential


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False, **kwargs):
    """A new ``Sequential`` or functional ``Model`` with the architecture of
    ``model`` and new weights.

    Args:
        model: the model to clone.  Any other layer is rebuilt from its config
            (with none of the arguments below).
        input_tensors: the ``Input`` tensor(s) to build the clone on, in the
            structure of ``model.input`` (one for a ``Sequential``); by default,
            new ``Input`` tensors like the model's, with their names.
        clone_function: ``fn(layer) -> layer``, applied to every layer but the
            inputs (once per layer, even a shared one); by default a new layer
            from the layer's config.  ``lambda layer: layer`` reuses the layers.
        call_function: ``fn(layer, *args, **kwargs) -> outputs``, how each new
            layer is called on its inputs (functional models only); by default
            ``layer(*args, **kwargs)``.  It may add layers around the call.
        recursive: whether a model nested in ``model`` is cloned with
            ``clone_model`` and these arguments (else with ``clone_function``).

    The clone has the model's name and its layers' names.  If ``model`` is
    compiled, the clone is compiled with the same arguments and a new
    optimizer of the same config (as Keras); compile arguments that cannot be
    serialized leave the clone uncompiled, with a warning.

    >>> from nnlib.layers import Dense, Input
    >>> model = Sequential([Input((3,), name="x"), Dense(2, name="out")])
    >>> clone = clone_model(model)
    >>> [layer.name for layer in clone.layers], clone.layers[0] is model.layers[0]
    (['out'], False)
    """
    if kwargs:
        raise ValueError(f"clone_model: unexpected keyword argument(s) {sorted(kwargs)}")
    return _clone(model, input_tensors, clone_function, call_function,
                  flag("clone_model", "recursive", recursive), cache={})


def _clone(model, input_tensors, clone_function, call_function, recursive, cache):
    if not isinstance(model, Layer):
        raise TypeError(f"clone_model: expected a Sequential or functional Model, got {model!r}")
    for name, function in (("clone_function", clone_function),
                           ("call_function", call_function)):
        if function is not None and not callable(function):
            raise TypeError(f"clone_model: {name} must be a function, got {function!r}")
    if not isinstance(model, Model):
        if clone_function is not None or input_tensors is not None or \
                call_function is not None:
            raise ValueError(f"clone_model: input_tensors, clone_function and call_function "
                             f"are for Sequential and functional models, got "
                             f"{type(model).__name__} '{model.name}'")
        return type(model).from_config(model.get_config())
    clone_layer = _layer_cloner(clone_function, call_function, recursive, cache)
    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError(f"clone_model: call_function is for functional models; in "
                             f"Sequential '{model.name}' layers are listed, not called")
        clone = _clone_sequential(model, input_tensors, clone_layer)
    else:
        clone = _clone_functional(model, input_tensors, clone_layer, call_function)
    if model.compiled:
        _compile_like(clone, model)
    return clone


def _layer_cloner(clone_function, call_function, recursive, cache):
    """``clone_function`` made to copy each layer once (``cache``: ``{id: copy}``)
    and, if ``recursive``, to clone nested models with ``clone_model``."""
    def clone_layer(layer):
        if id(layer) not in cache:
            if recursive and isinstance(layer, Model):
                cache[id(layer)] = _clone(layer, None, clone_function, call_function
                                          if not isinstance(layer, Sequential) else None,
                                          recursive, cache)
            elif clone_function is not None:
                cache[id(layer)] = clone_function(layer)
            else:
                cache[id(layer)] = type(layer).from_config(layer.get_config())
        return cache[id(layer)]
    return clone_layer


def _new_input(tensor):
    """A new ``Input`` tensor like ``tensor``: its ``InputLayer`` rebuilt from its config."""
    layer = tensor.node.layer
    return type(layer).from_config(layer.get_config()).output


def _check_input_tensors(model, input_tensors):
    """``input_tensors`` as a flat list lined up with ``model.inputs``."""
    given = flatten(input_tensors)
    if len(given) != len(model.inputs) or not all(isinstance(t, SymbolicTensor)
                                                  for t in given):
        raise ValueError(f"clone_model: input_tensors must be {len(model.inputs)} Input "
                         f"tensor(s), in the structure of model.input ({model.input_names}), "
                         f"got {input_tensors!r}")
    return given


def _clone_sequential(model, input_tensors, clone_layer):
    layers = [clone_layer(layer) for layer in model.layers]
    if input_tensors is not None:
        layers.insert(0, _single_tensor(input_tensors))
    elif model.input_tensor is not None:
        layers.insert(0, _new_input(model.input_tensor))
    return Sequential(layers, name=model.name, trainable=model.trainable)


def _single_tensor(input_tensors):
    """The one tensor an unbuilt ``Sequential`` is given (alone or in a list)."""
    given = flatten(input_tensors)
    if len(given) != 1 or not isinstance(given[0], SymbolicTensor):
        raise ValueError(f"clone_model: a Sequential takes one Input tensor as input_tensors, "
                         f"got {input_tensors!r}")
    return given[0]


def _clone_functional(model, input_tensors, clone_layer, call_function):
    """Walk the graph in order, calling each layer's copy on the copies of its
    inputs (``new``: ``{id(tensor): tensor of the clone}``)."""
    inputs = [_new_input(t) for t in model.inputs] if input_tensors is None else \
        _check_input_tensors(model, input_tensors)
    new = {id(old): tensor for old, tensor in zip(model.inputs, inputs)}
    call = call_function or (lambda layer, *args, **kwargs: layer(*args, **kwargs))
    for node in model.nodes:
        args = pack_as(node.inputs, [new[id(t)] for t in flatten(node.inputs)])
        keywords = {key: pack_as(value, [new[id(t)] for t in flatten(value)])
                    for key, value in node.keywords.items()}
        outputs = flatten(call(clone_layer(node.layer), args, **keywords))
        if len(outputs) != len(node.outputs):
            raise ValueError(f"clone_model: the call of the copy of {type(node.layer).__name__}"
                             f" '{node.layer.name}' gave {len(outputs)} outputs, the layer "
                             f"{len(node.outputs)}")
        new.update({id(old): tensor for old, tensor in zip(node.outputs, outputs)})
    cls = type(model) if _functional_like(type(model)) else Model
    return cls(model.pack(inputs, model.input_kind, model.input_names),
               model.pack([new[id(t)] for t in model.outputs], model.output_kind,
                          model.output_names), name=model.name)


def _functional_like(cls):
    """Whether ``cls(inputs, outputs, name=...)`` builds a model (Keras's test)."""
    parameters = list(inspect.signature(cls.__init__).parameters)[1:3]
    return parameters == ["inputs", "outputs"]


def _compile_like(clone, model):
    """Compile ``clone`` with ``model``'s compile arguments, each a new object
    of the same config (the optimizer as it is now, as ``save`` writes it)."""
    try:
        arguments = model.get_compile_config()
    except TypeError as error:
        warnings.warn(f"clone_model: the clone of '{model.name}' is not compiled ({error}); "
                      f"compile it yourself", stacklevel=3)
        return
    clone.compile_from_config(arguments)


__all__ = ["clone_model"]
